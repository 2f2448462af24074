"""The A³ page's two tabs: training chosen algorithms by hand (A1, A3 by hand) and a hyperparameter search (A3)."""

from __future__ import annotations

import streamlit as st

from core.codegen.snippets import train as snippets
from core.common.i18n import number, when
from core.data.datastore import DatasetRecord
from core.question.projects import Project
from core.train import jobs, orphans, training, tuning
from core.train.algorithms import ALGORITHMS
from core.train.features import FeatureSteps
from core.train.search_space import METHODS, fixed_values, space_from_table
from core.train.tuning import SearchConfig
from core.ui import cache, keys
from core.ui.actions import run_action, show_outcome
from core.ui.common import error_message, guarded_button, show_code, show_table
from core.ui.i18n import t
from core.ui.text import plain
from core.ui.widgets.inputs import export_button, param_input
from core.ui.widgets.search import live_search, search_setup, watched_job

CODE_MEMO = "train_code_memo"  # per tab: the last "Show the code" text and what it was built for
RESULT_COLUMNS = {  # the results table's columns and their catalogue keys train.<key>
    "rank": "col_rank",
    "algorithm": "col_algorithm",
    "fit s": "col_fit",
    "folds": "col_folds",
    "run": "col_run",
    "params": "col_params",
}


def algorithm_labels() -> dict[str, str]:
    """The algorithms' names in this run's language: format_func gets a dict, as AppTest calls it outside the run."""
    return {key: algorithm.shown_label for key, algorithm in ALGORITHMS.items()}


def remembered_code(tab: str, what: tuple, build) -> str:
    """The snippet for ``what`` (run ids, a search job), built once: a pipeline with selection or PCA is fitted
    to learn its capped sizes."""
    memo = st.session_state.setdefault(CODE_MEMO, {})
    if tab not in memo or memo[tab][0] != what:
        memo[tab] = (what, build())
    return memo[tab][1]


def hand_training(project: Project, record: DatasetRecord, steps: FeatureSteps, folds: int, metric: str) -> None:
    """Pick algorithms and their hyperparameters, train them (or all with defaults), rank what this session trained."""
    labels = algorithm_labels()
    chosen = st.multiselect(
        t("train.algorithms"),
        list(ALGORITHMS),
        default=["random_forest"],
        format_func=labels.get,
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
    quick_clicked = right.button(t("train.quick", count=len(ALGORITHMS)), key="train_quick", help=t("train.quick_help"))
    if train_clicked or quick_clicked:
        todo = {k: {} for k in ALGORITHMS} if quick_clicked else settings
        st.session_state[keys.TRAIN_RESULTS] = _train_all(project, record, todo, folds, steps, labels)
    results = [r for r in st.session_state.get(keys.TRAIN_RESULTS) or [] if r.experiment_id == project.experiment_id]
    if results:
        _ranked(project, record, results, metric, labels)


def _train_all(
    project: Project, record: DatasetRecord, todo: dict, folds: int, steps: FeatureSteps, labels: dict[str, str]
) -> list[training.TrainResult]:
    """Train each algorithm in ``todo`` with its settings, with a progress bar; a failure is said and skipped."""
    results = []
    progress = st.progress(0.0, text=t("train.starting"))
    for i, key in enumerate(todo):
        progress.progress(i / len(todo), text=t("train.training", algorithm=labels[key], number=i + 1, total=len(todo)))
        try:
            results.append(training.train_model(project.experiment_id, record, key, todo[key], folds, steps))
        except Exception as exc:  # noqa: BLE001 — the run is marked FAILED by MLflow; tell the person why
            st.error(t("train.failed", algorithm=labels[key], error=plain(error_message(exc))))
    progress.progress(1.0, text=t("train.done"))
    return results


def _ranked(
    project: Project, record: DatasetRecord, results: list[training.TrainResult], metric: str, labels: dict[str, str]
) -> None:
    st.subheader(t("train.results_header", metric=metric))
    ranked = training.results_table(results, metric)
    ranked = ranked.rename(columns={name: t(f"train.{key}") for name, key in RESULT_COLUMNS.items()})
    show_table(ranked, hide_index=True, width="stretch")
    best = max(results, key=lambda r: r.cv_metrics[f"cv_{metric}"])
    score = number(best.cv_metrics[f"cv_{metric}"], 3)
    st.success(t("train.best", metric=metric, score=score, algorithm=labels[best.algorithm], run_id=best.run_id))
    export_button(best.run_id, "train_export_best")
    what = tuple(r.run_id for r in results)
    show_code(remembered_code("train", what, lambda: snippets.training(project.name, record, results)))


def lost_searches(project: Project, record: DatasetRecord) -> None:
    """The project's searches a killed server cut short, each with a button to run it again and one to dismiss it."""
    labels = algorithm_labels()
    own = jobs.get_job(st.session_state.get(keys.SEARCH_JOB))
    busy = t("train.search_running") if own is not None and own.view().running else None  # one search per session
    for lost in cache.lost_searches(project.experiment_id):
        method = t(f"search.method_word_{lost.method}") if lost.method in METHODS else lost.method
        algorithm = labels.get(lost.algorithm, lost.algorithm)
        said = t(
            "train.lost_search", method=method, algorithm=algorithm, when=when(lost.started_ms), trials=lost.trials
        )
        st.warning(said, icon="⚠️")
        st.caption(t("train.lost_restart_help"))

        def again(lost=lost, method=method, algorithm=algorithm) -> str:
            job = orphans.restart(lost.run_id, project.experiment_id, record)
            st.session_state[keys.SEARCH_JOB] = job.job_id  # the page watches the new search
            cache.forget_runs()
            return t("train.lost_restarted", method=method, algorithm=algorithm, tab=t("train.tab_search"))

        def dismiss(lost=lost) -> str:
            orphans.dismiss(lost.run_id)
            cache.forget_runs()
            return t("train.lost_dismissed")

        left, right = st.columns([1, 4])
        guarded_button(
            t("train.lost_restart"),
            where=left,
            key=f"train_lost_restart_{lost.run_id}",
            blocked=busy,
            on_click=run_action,
            args=(again, "lost"),
        )
        right.button(
            t("train.lost_dismiss"),
            key=f"train_lost_dismiss_{lost.run_id}",
            on_click=run_action,
            args=(dismiss, "lost"),
        )
    show_outcome(slot="lost")


def search_tab(project: Project, record: DatasetRecord, steps: FeatureSteps, folds: int, metric: str) -> None:
    """Set up a search of one algorithm, start it (one per session), and watch it or another session's."""
    labels = algorithm_labels()
    tuned = st.selectbox(
        t("train.algorithm_to_tune"),
        list(ALGORITHMS),
        index=list(ALGORITHMS).index("random_forest"),
        format_func=labels.get,
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
    _other_searches(project, job, labels)
    if job is not None:
        _watched(project, job, metric)


def _other_searches(project: Project, job: jobs.SearchJob | jobs.RemoteSearch | None, labels: dict[str, str]) -> None:
    """Searches other sessions run in this project, each with a button to watch it here."""
    for other in [j for j in jobs.jobs_for(project.experiment_id, running_only=True) if j is not job]:
        view = other.view()
        left, right = st.columns([3, 1])
        method = t(f"search.method_word_{view.config.method}")
        algorithm = labels.get(view.config.algorithm, view.config.algorithm)
        if isinstance(other, jobs.RemoteSearch):
            left.info(t("train.other_search_elsewhere", method=method, algorithm=algorithm, done=len(view.trials)))
        else:
            left.info(t("train.other_search", method=method, algorithm=algorithm))
        right.button(
            t("train.watch"),
            key=f"train_watch_{other.job_id}",
            on_click=st.session_state.update,
            args=({keys.SEARCH_JOB: other.job_id},),
        )


def _watched(project: Project, job: jobs.SearchJob | jobs.RemoteSearch, metric: str) -> None:
    """The watched search live; once it ended, its export, the way on to C and its code."""
    live_search(job, metric)
    view = job.view()
    if not view.running and view.result and view.result.model_uri:
        export_button(view.run_id, "train_export_search")
        st.page_link("pages/compare.py", label=t("train.next_compare"), icon="➡️")
    if not view.running and view.result is not None and view.result.trials and job.dataset is not None:
        code = remembered_code("search", (job.job_id,), lambda: snippets.search(project.name, job.dataset, view.config))
        show_code(code)
