"""Widgets of the A³ page: the A2 feature steps, the search set-up and the live view of a running search."""

from __future__ import annotations

import functools
import time

import pandas as pd
import streamlit as st

from core.common.i18n import number
from core.train import cluster, jobs
from core.train.algorithms import ALGORITHMS, choice_text
from core.train.features import IMPUTERS, SCALERS, FeatureSteps
from core.train.search_space import METHODS, grid_size, space_from_table, space_table
from core.train.tuning import trials_frame
from core.ui import keys
from core.ui.charts import search as search_charts
from core.ui.common import error_message, inert_chart, show_table
from core.ui.i18n import language, t
from core.ui.text import plain

# how a search ended, as "The search …": catalogue keys search.status_<status>
ENDINGS = ("finished", "time_up", "stopped", "aborted", "store_error", "failed")
# the trials table's columns that get a translated header (the chart reads the English ones)
TRIAL_COLUMNS = {
    "trial": "col_trial",
    "status": "col_status",
    "best so far": "col_best",
    "seconds": "col_seconds",
    "error": "col_error",
    "run": "col_run",
    "worker": "col_worker",
}


def feature_steps_input(prefix: str = "train_prep") -> FeatureSteps:
    """The A2 settings: imputation, scaling, optional polynomial features, selection and PCA.

    Option labels are looked up while the page runs and handed over as dicts: AppTest calls ``format_func``
    outside the script run, where the session's language is not known."""
    left, middle, right = st.columns(3)
    impute = left.selectbox(
        t("train.missing_numbers"),
        list(IMPUTERS),
        format_func={k: f"{k} — {t(f'algorithms.features.impute_{k}')}" for k in IMPUTERS}.get,
        key=f"{prefix}_impute",
    )
    scaling = middle.selectbox(
        t("train.scaling"),
        list(SCALERS),
        format_func={k: f"{k} — {t(f'algorithms.features.scaling_{k}')}" for k in SCALERS}.get,
        key=f"{prefix}_scaling",
    )
    poly = right.selectbox(
        t("train.poly"),
        [1, 2, 3],
        format_func={1: t("train.poly_off"), **{d: t("train.poly_degree", degree=d) for d in (2, 3)}}.get,
        key=f"{prefix}_poly",
    )
    left, right = st.columns(2)
    select_k = left.number_input(
        t("train.select_k"),
        0,
        1000,
        0,
        key=f"{prefix}_select_k",
        help=t("train.select_k_help"),
    )
    pca = right.number_input(
        t("train.pca"),
        0,
        1000,
        0,
        key=f"{prefix}_pca",
        help=t("train.pca_help"),
    )
    steps = FeatureSteps(impute, scaling, int(poly), int(select_k), int(pca))
    st.caption(t("train.then", steps=steps.describe(language=language())))
    return steps


def search_setup(algorithm: str, prefix: str = "train_search"):
    """Method, editable search space and budgets. Returns (method, table, trials, time_budget, workers)."""
    method = st.radio(
        t("search.method"),
        list(METHODS),
        index=1,
        format_func={k: t(f"search.method_{k}") for k in METHODS}.get,
        key=f"{prefix}_method",
    )
    st.caption(t("search.space_caption"))
    column = st.column_config
    table = st.data_editor(
        space_table(algorithm),
        hide_index=True,
        disabled=["hyperparameter", "name"],
        column_config={
            "search": column.CheckboxColumn(t("search.col_search"), width="small"),
            "hyperparameter": column.TextColumn(t("search.col_hyperparameter")),
            "name": None,
            "min": column.NumberColumn(t("search.col_min")),
            "max": column.NumberColumn(t("search.col_max")),
            "log": column.CheckboxColumn(t("search.col_log"), width="small"),
            "choices": column.TextColumn(t("search.col_choices")),
            "grid points": column.NumberColumn(t("search.col_grid_points"), min_value=1, max_value=20, step=1),
            "fixed": column.TextColumn(t("search.col_fixed")),
        },
        key=f"{prefix}_space_{algorithm}",
        width="stretch",
    )
    scheduler = cluster.scheduler_address()
    if scheduler is not None:
        st.caption("🧮 " + t("search.on_cluster", address=scheduler))
    left, right = st.columns(2)
    trials = left.number_input(t("search.trial_budget"), 0, 1000, 20, key=f"{prefix}_trials")
    minutes = right.number_input(t("search.time_budget"), 0.0, 24 * 60.0, 0.0, step=0.5, key=f"{prefix}_minutes")
    if method == "grid":
        try:
            size = grid_size(space_from_table(algorithm, table))
            if 0 < trials < size:
                st.caption(t("search.grid_size_budget", size=size, trials=trials))
            else:
                st.caption(t("search.grid_size", size=size))
        except ValueError as exc:
            st.caption(plain(error_message(exc)))
    return method, table, int(trials) or None, float(minutes) * 60 or None


def _status_line(view: jobs.JobView, metric: str) -> str:
    progress = view.progress
    done = len(view.trials)
    planned = progress.planned if progress else view.config.planned_trials()
    parts = [t("search.done_of", done=done, planned=planned) if planned else t("search.done", done=done)]
    if progress and progress.failed:
        parts.append(t("search.failed_count", failed=progress.failed))
    if progress and progress.best:
        score = number(progress.best.score(metric), 4)
        parts.append(t("search.best_so_far", metric=metric, score=score, number=progress.best.number))
    if view.running and done == 0:
        parts.append(t("search.first_trial", folds=view.config.cv_folds))
    if view.running and progress and progress.eta_s is not None:
        parts.append(t("search.eta", seconds=number(progress.eta_s, 0)))
    elif view.running:
        parts.append(t("search.elapsed", seconds=number(time.time() - view.started, 0)))
    return " · ".join(parts)


@functools.lru_cache(maxsize=32)
def _trials_shown(job_id: str, count: int, metric: str, lang: str) -> tuple[object | None, pd.DataFrame]:
    """The live chart and table of a search's first ``count`` trials, or (None, empty) before the first.

    Built once per arriving trial rather than on every refresh: with several searches watched, rebuilding them
    every second was a sixth of the server's time (bench/bench_load.py)."""
    job = jobs.get_job(job_id)
    frame = trials_frame(list(job.view().trials)[:count] if job else [], metric)
    if frame.empty:
        return None, frame
    shown = frame if frame["error"].any() else frame.drop(columns="error")
    shown = shown.rename(columns={name: t(f"search.{key}") for name, key in TRIAL_COLUMNS.items()})
    return search_charts.search_progress(frame, metric), shown


def show_search(job: jobs.SearchJob | jobs.RemoteSearch, metric: str) -> None:
    """Progress bar with ETA, Stop, the score-per-trial chart and the trials table of one search."""
    view = job.view()
    label = ALGORITHMS[view.config.algorithm].shown_label
    method = t(f"search.method_name_{view.config.method}")
    st.markdown(t("search.heading", method=method, algorithm=label, run_id=view.run_id or "…"))
    if isinstance(job, jobs.RemoteSearch):
        st.caption(plain(t("search.elsewhere" if view.running else "search.ran_elsewhere", owner=job.owner or "?")))
    progress = view.progress.fraction if view.progress else 0.0
    st.progress(progress if view.running else 1.0, text=_status_line(view, metric))
    if view.running:
        st.button(
            t("search.stop") if not view.stop_requested else t("search.stopping"),
            key=f"train_stop_{view.job_id}",
            on_click=job.stop,
            disabled=view.stop_requested,
            help=t("search.stop_help"),
        )
    figure, shown = _trials_shown(view.job_id, len(view.trials), metric, language())
    if figure is not None:
        inert_chart(st, figure, key=f"train_search_chart_{view.job_id}")
        show_table(shown, hide_index=True, width="stretch", key=f"train_search_table_{view.job_id}")
    if view.running:
        return
    status = t(f"search.status_{view.status}") if view.status in ENDINGS else view.status
    best = view.result.best if view.result else None
    if view.status in ("store_error", "failed", "aborted") or best is None:
        error = view.message.render(language()) if view.message else view.error or ""
        st.error(t("search.ended", status=status, error=error).strip())
    else:
        params = ", ".join(f"{k}={choice_text(v)}" for k, v in best.values.items())
        st.success(
            t(
                "search.best",
                status=status,
                number=best.number,
                metric=metric,
                score=number(best.score(metric), 4),
                params=params,
                run_id=view.run_id,
            )
        )


def live_search(job: jobs.SearchJob | jobs.RemoteSearch, metric: str) -> None:
    """Show a search, refreshing every second while it runs (only this part of the page reruns)."""
    if not job.view().running:
        show_search(job, metric)
        return

    @st.fragment(run_every=1.0)
    def refresh():
        show_search(job, metric)
        if not job.view().running:
            st.rerun()  # the whole page: the start button comes back, the result links appear

    refresh()


def watched_job(experiment_id: str) -> jobs.SearchJob | jobs.RemoteSearch | None:
    """The search this session follows, else the project's newest search in this server (another tab's)."""
    job = jobs.get_job(st.session_state.get(keys.SEARCH_JOB))
    if job is not None and job.experiment_id == experiment_id:
        return job
    newest = jobs.jobs_for(experiment_id)
    return newest[0] if newest else None
