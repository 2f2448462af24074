"""A³ — choose algorithms (A1), adapt features (A2), adjust hyperparameters by hand or by search (A3)."""

import streamlit as st

from core import jobs, training, tuning
from core.algorithms import ALGORITHMS
from core.kpis import primary_metric
from core.search_space import fixed_values, space_from_table
from core.tuning import SearchConfig
from core.ui import cache, keys
from core.ui.common import error_message, phase_header, plain, require_project
from core.ui.search_widgets import feature_steps_input, live_search, search_setup, watched_job
from core.ui.widgets import export_button, param_input

phase_header(
    "⚙️ A³ — Algorithm, features, hyperparameters",
    "The A-loop: pick algorithms (A1), adapt the features (A2: impute, scale, one-hot encode, optionally add "
    "polynomial features, keep the most informative ones or project with PCA) and adjust hyperparameters (A3) "
    "by hand or with a grid, random or Bayesian (Optuna) search. A search is one MLflow run with a nested run "
    "per trial, logged as each trial finishes; its best configuration is refit on the whole training split. "
    "Every model is the whole pipeline, logged with signature and input example, so it takes raw rows and "
    "loads anywhere with `mlflow.pyfunc.load_model`. Any run can be exported as a Python script.",
)
project = require_project()
if not project.data_run_id:
    st.warning("Choose the project's data first.")
    st.page_link("pages/data.py", label="Go to the data page", icon="📊")
    st.stop()
try:
    record = cache.dataset(project.data_run_id)
except ValueError as exc:
    st.error(plain(error_message(exc)))
    st.stop()
if st.session_state.get(keys.ORPHANS_SWEPT) != project.experiment_id:
    jobs.end_orphaned_runs(project.experiment_id)  # runs a killed server left RUNNING
    st.session_state[keys.ORPHANS_SWEPT] = project.experiment_id
metric = primary_metric(project.kpis)
st.caption(
    f"Data: **{plain(record.name)}** · {len(record.split.train)} training rows · target '{plain(record.target)}' · "
    f"digest `{record.digest}` · optimising CV **{metric}** (the project's first score KPI)"
)
with st.expander("A2 — adapting features", expanded=False):
    steps = feature_steps_input()
folds = st.slider("Cross-validation folds (stratified)", 2, 10, training.DEFAULT_CV_FOLDS, key="train_cv_folds")
by_hand, search = st.tabs(["🚀 Train and quick compare", "🎯 Tune hyperparameters (search)"])

with by_hand:
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
        with st.expander(f"{algorithm.label} — hyperparameters", expanded=len(chosen) == 1):
            st.caption(algorithm.description)
            settings[key] = {p.name: param_input(p, f"train_{key}_{p.name}") for p in algorithm.params}
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
                results.append(training.train_model(project.experiment_id, record, key, todo[key], folds, steps))
            except Exception as exc:  # noqa: BLE001 — the run is marked FAILED by MLflow; tell the person why
                st.error(f"{ALGORITHMS[key].label} failed: {plain(error_message(exc))}")
        progress.progress(1.0, text="Done.")
        st.session_state[keys.TRAIN_RESULTS] = results
    results = [r for r in st.session_state.get(keys.TRAIN_RESULTS) or [] if r.experiment_id == project.experiment_id]
    if results:
        st.subheader(f"Results of the last training, ranked by CV {metric}")
        st.dataframe(training.results_table(results, metric), hide_index=True, width="stretch")
        best = max(results, key=lambda r: r.cv_metrics[f"cv_{metric}"])
        st.success(
            f"Best CV {metric}: {best.cv_metrics[f'cv_{metric}']:.3f} ({ALGORITHMS[best.algorithm].label}, "
            f"run `{best.run_id}`). Each run is in MLflow with its model."
        )
        export_button(best.run_id, "train_export_best")

with search:
    tuned = st.selectbox(
        "Algorithm to tune",
        list(ALGORITHMS),
        index=list(ALGORITHMS).index("random_forest"),
        format_func=lambda k: ALGORITHMS[k].label,
        key="train_search_algorithm",
    )
    st.caption(ALGORITHMS[tuned].description)
    method, table, trials, time_budget = search_setup(tuned)
    try:
        space = space_from_table(tuned, table)
        fixed = fixed_values(tuned, table)
        config = SearchConfig(tuned, method, space, fixed, steps, trials, time_budget, folds, metric, record.split.seed)
        config.validate()
    except ValueError as exc:  # refused before anything runs, with the reason next to the button
        config = None
        st.error(plain(error_message(exc)))
    job = watched_job(project.experiment_id)
    # this session's own search blocks a second start; watching another session's search does not
    running = job is not None and job.view().running and job.job_id == st.session_state.get(keys.SEARCH_JOB)
    # read the click before drawing the button, so it is drawn disabled in the very run that starts the search
    if st.session_state.get("train_search_start") and config is not None and not running:
        job = jobs.start_search(project.experiment_id, record, config)
        st.session_state[keys.SEARCH_JOB] = job.job_id
        running = True
    st.button("🎯 Start the search", type="primary", disabled=running or config is None, key="train_search_start")
    tuning.warm_up_workers()
    others = [j for j in jobs.jobs_for(project.experiment_id, running_only=True) if j is not job]
    for other in others:
        view = other.view()
        left, right = st.columns([3, 1])
        label = ALGORITHMS[view.config.algorithm].label
        left.info(f"Another search of this project is running: {view.config.method} search of {label}.")
        right.button(
            "Watch it",
            key=f"train_watch_{other.job_id}",
            on_click=st.session_state.update,
            args=({keys.SEARCH_JOB: other.job_id},),
        )
    if job is not None:
        live_search(job, metric)
        view = job.view()
        if not view.running and view.result and view.result.model_uri:
            export_button(view.run_id, "train_export_search")
            st.page_link("pages/compare.py", label="Next: compare on the held-out test set", icon="➡️")
