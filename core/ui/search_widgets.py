"""Widgets of the A³ page: the A2 feature steps, the search set-up and the live view of a running search."""

from __future__ import annotations

import time

import streamlit as st

from core import charts, jobs
from core.algorithms import ALGORITHMS, choice_text
from core.features import IMPUTERS, SCALERS, FeatureSteps
from core.search_space import METHODS, grid_size, space_from_table, space_table
from core.tuning import trials_frame
from core.ui import keys
from core.ui.common import error_message, inert_chart, plain

STATUS_TEXT = {
    "finished": "finished: the trial budget is spent",
    "time_up": "finished: the time budget is spent",
    "stopped": "stopped on request; the trials done are kept",
    "aborted": "ended because the server stopped",
    "store_error": "ended: the MLflow store stopped answering",
    "failed": "failed",
}


def feature_steps_input(prefix: str = "train_prep") -> FeatureSteps:
    """The A2 settings: imputation, scaling, optional polynomial features, selection and PCA."""
    left, middle, right = st.columns(3)
    impute = left.selectbox(
        "Missing numbers", list(IMPUTERS), format_func=lambda k: f"{k} — {IMPUTERS[k]}", key=f"{prefix}_impute"
    )
    scaling = middle.selectbox(
        "Scaling", list(SCALERS), format_func=lambda k: f"{k} — {SCALERS[k]}", key=f"{prefix}_scaling"
    )
    poly = right.selectbox(
        "Polynomial features",
        [1, 2, 3],
        format_func=lambda d: "off" if d == 1 else f"degree {d} (products of features)",
        key=f"{prefix}_poly",
    )
    left, right = st.columns(2)
    select_k = left.number_input(
        "Keep the k most informative features (0 = all)",
        0,
        1000,
        0,
        key=f"{prefix}_select_k",
        help="Univariate selection by the ANOVA F score against the target.",
    )
    pca = right.number_input(
        "PCA components (0 = off)",
        0,
        1000,
        0,
        key=f"{prefix}_pca",
        help="Projects the prepared features onto their main directions of variation.",
    )
    steps = FeatureSteps(impute, scaling, int(poly), int(select_k), int(pca))
    st.caption("Then: " + steps.describe())
    return steps


def search_setup(algorithm: str, prefix: str = "train_search"):
    """Method, editable search space and budgets. Returns (method, table, trials, time_budget, workers)."""
    method = st.radio("Search method", list(METHODS), index=1, format_func=METHODS.get, key=f"{prefix}_method")
    st.caption(
        "Tick the hyperparameters to search and edit their ranges (min/max, log scale) or choices; grid search "
        "tries 'grid points' values per range. Unticked ones keep their 'fixed' value."
    )
    table = st.data_editor(
        space_table(algorithm),
        hide_index=True,
        disabled=["hyperparameter", "name"],
        column_config={
            "search": st.column_config.CheckboxColumn("search", width="small"),
            "name": None,
            "log": st.column_config.CheckboxColumn("log scale", width="small"),
            "grid points": st.column_config.NumberColumn("grid points", min_value=1, max_value=20, step=1),
        },
        key=f"{prefix}_space_{algorithm}",
        width="stretch",
    )
    left, right = st.columns(2)
    trials = left.number_input("Trial budget (0 = no limit)", 0, 1000, 20, key=f"{prefix}_trials")
    minutes = right.number_input(
        "Time budget in minutes (0 = no limit)", 0.0, 24 * 60.0, 0.0, step=0.5, key=f"{prefix}_minutes"
    )
    if method == "grid":
        try:
            size = grid_size(space_from_table(algorithm, table))
            st.caption(
                f"The grid has {size} combinations" + (f"; the budget runs {trials}." if 0 < trials < size else ".")
            )
        except ValueError as exc:
            st.caption(plain(error_message(exc)))
    return method, table, int(trials) or None, float(minutes) * 60 or None


def _status_line(view: jobs.JobView, metric: str) -> str:
    progress = view.progress
    done = len(view.trials)
    planned = progress.planned if progress else view.config.planned_trials()
    parts = [f"{done} of {planned} trials" if planned else f"{done} trials"]
    if progress and progress.failed:
        parts.append(f"{progress.failed} failed")
    if progress and progress.best:
        parts.append(f"best CV {metric} {progress.best.score(metric):.4f} (trial {progress.best.number})")
    if view.running and progress and progress.eta_s is not None:
        parts.append(f"about {progress.eta_s:.0f} s left")
    elif view.running:
        parts.append(f"{time.time() - view.started:.0f} s so far")
    return " · ".join(parts)


def show_search(job: jobs.SearchJob, metric: str) -> None:
    """Progress bar with ETA, Stop, the score-per-trial chart and the trials table of one search."""
    view = job.view()
    label = ALGORITHMS[view.config.algorithm].label
    st.markdown(f"**{METHODS[view.config.method].split(' —')[0]} of {label}** · run `{view.run_id or '…'}`")
    progress = view.progress.fraction if view.progress else 0.0
    st.progress(progress if view.running else 1.0, text=_status_line(view, metric))
    if view.running:
        st.button(
            "⏹ Stop the search" if not view.stop_requested else "Stopping…",
            key=f"train_stop_{view.job_id}",
            on_click=job.stop,
            disabled=view.stop_requested,
            help="No new trials start; the trials done are kept and the best one is refit and logged.",
        )
    frame = trials_frame(list(view.trials), metric)
    if not frame.empty:
        inert_chart(st, charts.search_progress(frame, metric), key=f"train_search_chart_{view.job_id}")
        shown = frame if frame["error"].any() else frame.drop(columns="error")
        st.dataframe(shown, hide_index=True, width="stretch", key=f"train_search_table_{view.job_id}")
    if view.running:
        return
    status = STATUS_TEXT.get(view.status, view.status)
    best = view.result.best if view.result else None
    if view.status in ("store_error", "failed", "aborted") or best is None:
        st.error(f"The search {status}. {view.error or ''}".strip())
    else:
        params = ", ".join(f"{k}={choice_text(v)}" for k, v in best.values.items())
        st.success(
            f"The search {status}. Best: trial {best.number} with CV {metric} {best.score(metric):.4f} ({params}). "
            f"It was refit on the whole training split and logged as the model of run `{view.run_id}`."
        )


def live_search(job: jobs.SearchJob, metric: str) -> None:
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


def watched_job(experiment_id: str) -> jobs.SearchJob | None:
    """The search this session follows, else the project's newest search in this server (another tab's)."""
    job = jobs.get_job(st.session_state.get(keys.SEARCH_JOB))
    if job is not None and job.experiment_id == experiment_id:
        return job
    newest = jobs.jobs_for(experiment_id)
    return newest[0] if newest else None
