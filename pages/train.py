"""A³ — choose algorithms (A1), adapt features (A2), adjust hyperparameters by hand or by search (A3)."""

import streamlit as st

from core.codegen.snippets import train as snippets
from core.common.i18n import number
from core.question.kpis import primary_metric
from core.train import jobs, training, tuning
from core.train.algorithms import ALGORITHMS
from core.train.search_space import fixed_values, space_from_table
from core.train.tuning import SearchConfig
from core.ui import cache, keys
from core.ui.common import error_message, guarded_button, plain, show_code, show_table, stop_on_error
from core.ui.context import require_project
from core.ui.i18n import t
from core.ui.shell import phase_header
from core.ui.widgets.inputs import export_button, param_input
from core.ui.widgets.search import feature_steps_input, live_search, search_setup, watched_job

CODE_MEMO = "train_code_memo"  # per tab: the last "Show the code" text and what it was built for


def remembered_code(tab: str, what: tuple, build) -> str:
    """The snippet for ``what`` (run ids, a search job), built once: a pipeline with selection or PCA is fitted
    to learn its capped sizes."""
    memo = st.session_state.setdefault(CODE_MEMO, {})
    if tab not in memo or memo[tab][0] != what:
        memo[tab] = (what, build())
    return memo[tab][1]


phase_header("train")
# the algorithms' names in this run's language: format_func gets a dict, as AppTest calls it outside the run
LABELS = {key: algorithm.shown_label for key, algorithm in ALGORITHMS.items()}
project = require_project()
if not project.data_run_id:
    st.warning(t("train.no_data"))
    st.page_link("pages/data.py", label=t("train.go_to_data"), icon="📊")
    st.stop()
with stop_on_error():
    record = cache.dataset(project.data_run_id)
if st.session_state.get(keys.ORPHANS_SWEPT) != project.experiment_id:
    jobs.end_orphaned_runs(project.experiment_id)  # runs a killed server left RUNNING
    st.session_state[keys.ORPHANS_SWEPT] = project.experiment_id
metric = primary_metric(project.kpis)
st.caption(
    t(
        "train.data_caption",
        name=plain(record.name),
        rows=len(record.split.train),
        target=plain(record.target),
        digest=record.digest,
        metric=metric,
    )
)
with st.expander(t("train.features_expander"), expanded=False):
    steps = feature_steps_input()
folds = st.slider(t("train.cv_folds"), 2, 10, training.DEFAULT_CV_FOLDS, key="train_cv_folds")
by_hand, search = st.tabs([t("train.tab_train"), t("train.tab_search")])

with by_hand:
    chosen = st.multiselect(
        t("train.algorithms"),
        list(ALGORITHMS),
        default=["random_forest"],
        format_func=LABELS.get,
        key="train_algorithms",
        placeholder=t("common.choose"),
    )
    settings = {}
    for key in chosen:
        algorithm = ALGORITHMS[key]
        with st.expander(t("train.hyperparameters", algorithm=algorithm.shown_label), expanded=len(chosen) == 1):
            st.caption(algorithm.shown_description)
            settings[key] = {p.name: param_input(p.shown(), f"train_{key}_{p.name}") for p in algorithm.params}
    left, right = st.columns([1, 3])
    train_clicked = guarded_button(
        t("train.train"), where=left, type="primary", key="train_run", blocked=None if chosen else t("train.pick_first")
    )
    quick_clicked = right.button(
        t("train.quick", count=len(ALGORITHMS)),
        key="train_quick",
        help=t("train.quick_help"),
    )
    if train_clicked or quick_clicked:
        todo = {k: {} for k in ALGORITHMS} if quick_clicked else settings
        results = []
        progress = st.progress(0.0, text=t("train.starting"))
        for i, key in enumerate(todo):
            progress.progress(
                i / len(todo), text=t("train.training", algorithm=LABELS[key], number=i + 1, total=len(todo))
            )
            try:
                results.append(training.train_model(project.experiment_id, record, key, todo[key], folds, steps))
            except Exception as exc:  # noqa: BLE001 — the run is marked FAILED by MLflow; tell the person why
                st.error(t("train.failed", algorithm=LABELS[key], error=plain(error_message(exc))))
        progress.progress(1.0, text=t("train.done"))
        st.session_state[keys.TRAIN_RESULTS] = results
    results = [r for r in st.session_state.get(keys.TRAIN_RESULTS) or [] if r.experiment_id == project.experiment_id]
    if results:
        st.subheader(t("train.results_header", metric=metric))
        ranked = training.results_table(results, metric)
        columns = {"rank": "col_rank", "algorithm": "col_algorithm", "fit s": "col_fit", "folds": "col_folds"}
        columns |= {"run": "col_run", "params": "col_params"}
        ranked = ranked.rename(columns={name: t(f"train.{key}") for name, key in columns.items()})
        show_table(ranked, hide_index=True, width="stretch")
        best = max(results, key=lambda r: r.cv_metrics[f"cv_{metric}"])
        st.success(
            t(
                "train.best",
                metric=metric,
                score=number(best.cv_metrics[f"cv_{metric}"], 3),
                algorithm=LABELS[best.algorithm],
                run_id=best.run_id,
            )
        )
        export_button(best.run_id, "train_export_best")
        what = tuple(r.run_id for r in results)
        show_code(remembered_code("train", what, lambda: snippets.training(project.name, record, results)))

with search:
    tuned = st.selectbox(
        t("train.algorithm_to_tune"),
        list(ALGORITHMS),
        index=list(ALGORITHMS).index("random_forest"),
        format_func=LABELS.get,
        key="train_search_algorithm",
    )
    st.caption(ALGORITHMS[tuned].shown_description)
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
    guarded_button(
        t("train.start_search"),
        type="primary",
        key="train_search_start",
        blocked=t("train.search_running") if running else t("train.search_fix_first") if config is None else None,
    )
    tuning.warm_up_workers()
    others = [j for j in jobs.jobs_for(project.experiment_id, running_only=True) if j is not job]
    for other in others:
        view = other.view()
        left, right = st.columns([3, 1])
        left.info(
            t(
                "train.other_search",
                method=t(f"search.method_word_{view.config.method}"),
                algorithm=LABELS[view.config.algorithm],
            )
        )
        right.button(
            t("train.watch"),
            key=f"train_watch_{other.job_id}",
            on_click=st.session_state.update,
            args=({keys.SEARCH_JOB: other.job_id},),
        )
    if job is not None:
        live_search(job, metric)
        view = job.view()
        if not view.running and view.result and view.result.model_uri:
            export_button(view.run_id, "train_export_search")
            st.page_link("pages/compare.py", label=t("train.next_compare"), icon="➡️")
        if not view.running and view.result is not None and view.result.trials:
            search_code = remembered_code(
                "search", (job.job_id,), lambda: snippets.search(project.name, job.dataset, view.config)
            )
            show_code(search_code)
