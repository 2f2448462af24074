"""A³ — choose algorithms, set hyperparameters and train; every training is an MLflow run."""

import pandas as pd
import streamlit as st

from core import training
from core.algorithms import ALGORITHMS
from core.kpis import SCORE_METRICS
from core.ui import cache, keys
from core.ui.common import error_message, phase_header, plain, require_project
from core.ui.widgets import param_input

phase_header(
    "⚙️ A³ — Algorithm, features, hyperparameters",
    "The A-loop: pick an algorithm (A1), adapt the features (A2: missing values are imputed, numbers "
    "scaled where the algorithm needs it, categories one-hot encoded) and adjust hyperparameters (A3). "
    "Each training is an MLflow run with its parameters, cross-validated scores on the training split, "
    "the data set digest, and the whole fitted pipeline logged as a model with signature and input "
    "example, so it takes raw rows and loads anywhere with `mlflow.pyfunc.load_model`.",
)
project = require_project()
if not project.data_run_id:
    st.warning("Choose the project's data first.")
    st.page_link("pages/data.py", label="Go to the data page", icon="📊")
    st.stop()
try:
    record = cache.dataset(project.data_run_id)
except ValueError as exc:
    st.error(error_message(exc))
    st.stop()
st.caption(
    f"Data: **{plain(record.name)}** · {len(record.split.train)} training rows · target '{plain(record.target)}' · "
    f"digest `{record.digest}`"
)

chosen = st.multiselect(
    "Algorithms",
    list(ALGORITHMS),
    default=["random_forest"],
    format_func=lambda k: ALGORITHMS[k].label,
    key="train_algorithms",
)
settings = {}
for key in chosen:
    algorithm = ALGORITHMS[key]
    with st.expander(f"{algorithm.label} — hyperparameters", expanded=True):
        st.caption(algorithm.description)
        params = {p.name: param_input(p, f"train_{key}_{p.name}") for p in algorithm.params}
        settings[key] = params
folds = st.slider("Cross-validation folds", 2, 10, training.DEFAULT_CV_FOLDS, key="train_cv_folds")

if st.button("🚀 Train", type="primary", disabled=not chosen, key="train_run"):
    results = []
    progress = st.progress(0.0, text="Starting…")
    for i, key in enumerate(chosen):
        progress.progress(
            i / len(chosen),
            text=f"Training {ALGORITHMS[key].label} ({i + 1}/{len(chosen)})…",
        )
        try:
            results.append(training.train_model(project.experiment_id, record, key, settings[key], folds))
        except Exception as exc:  # noqa: BLE001 — the run is marked FAILED by MLflow; tell the person why
            st.error(f"{ALGORITHMS[key].label} failed: {error_message(exc)}")
    progress.progress(1.0, text="Done.")
    st.session_state[keys.TRAIN_RESULTS] = results

results = st.session_state.get(keys.TRAIN_RESULTS) or []
results = [r for r in results if r.experiment_id == project.experiment_id]
if results:
    st.subheader("Results of the last training")
    table = pd.DataFrame(
        [
            {
                "run": r.run_id[:8],
                "algorithm": ALGORITHMS[r.algorithm].label,
                **{
                    f"CV {m}": f"{r.cv_metrics[f'cv_{m}']:.3f} ± {r.cv_metrics[f'cv_{m}_std']:.3f}"
                    for m in SCORE_METRICS
                },
                "folds": r.cv_folds,
                "seconds": round(r.seconds, 1),
                "params": ", ".join(f"{k}={v}" for k, v in r.params.items()),
            }
            for r in results
        ]
    )
    st.dataframe(table, hide_index=True, width="stretch")
    best = max(results, key=lambda r: r.cv_metrics["cv_accuracy"])
    st.success(
        f"Best CV accuracy: {best.cv_metrics['cv_accuracy']:.3f} ({ALGORITHMS[best.algorithm].label}, "
        f"run `{best.run_id}`). Each run is in MLflow with its model."
    )
    st.page_link("pages/compare.py", label="Next: compare on the held-out test set", icon="➡️")
