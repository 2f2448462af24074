"""A³ — choose algorithms, set hyperparameters and train; every training is an MLflow run."""

import streamlit as st

from core import runs, training
from core.algorithms import ALGORITHMS
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

left, right = st.columns([1, 3])
train_clicked = left.button("🚀 Train", type="primary", disabled=not chosen, key="train_run")
quick_clicked = right.button(
    f"⚡ Quick compare: all {len(ALGORITHMS)} algorithms with their defaults",
    key="train_quick",
    help="The fast first look before tuning: every algorithm in the catalogue, cross-validated, one run each.",
)
if train_clicked or quick_clicked:
    todo = {k: {} for k in ALGORITHMS} if quick_clicked else settings
    results = []
    progress = st.progress(0.0, text="Starting…")
    for i, key in enumerate(todo):
        progress.progress(i / len(todo), text=f"Training {ALGORITHMS[key].label} ({i + 1}/{len(todo)})…")
        try:
            results.append(training.train_model(project.experiment_id, record, key, todo[key], folds))
        except Exception as exc:  # noqa: BLE001 — the run is marked FAILED by MLflow; tell the person why
            st.error(f"{ALGORITHMS[key].label} failed: {error_message(exc)}")
    progress.progress(1.0, text="Done.")
    st.session_state[keys.TRAIN_RESULTS] = results

results = [r for r in st.session_state.get(keys.TRAIN_RESULTS) or [] if r.experiment_id == project.experiment_id]
if results:
    metric = runs.primary_metric(project.kpis)
    st.subheader(f"Results of the last training, ranked by CV {metric}")
    st.dataframe(training.results_table(results, metric), hide_index=True, width="stretch")
    best = max(results, key=lambda r: r.cv_metrics[f"cv_{metric}"])
    st.success(
        f"Best CV {metric}: {best.cv_metrics[f'cv_{metric}']:.3f} ({ALGORITHMS[best.algorithm].label}, "
        f"run `{best.run_id}`). Each run is in MLflow with its model."
    )
    st.page_link("pages/compare.py", label="Next: compare on the held-out test set", icon="➡️")
