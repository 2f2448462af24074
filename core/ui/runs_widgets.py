"""Compare-page blocks: the filterable runs table (searches with their trials) and the view inside one search."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import charts, runs
from core.ui import cache
from core.ui.common import inert_chart

_TABLE_HEIGHT = 420  # rows scroll inside the table; the page stays short with hundreds of runs


def _column_config(metric: str) -> dict:
    score = st.column_config.NumberColumn
    return {
        f"CV {metric}": score(format="%.3f", help="Mean over the cross-validation folds of the training split"),
        "CV std": score(format="%.3f", help="Standard deviation over the folds"),
        f"test {metric}": score(format="%.3f", help="On the held-out test rows (after evaluation)"),
        "seconds": score("duration", format="%.1f s"),
        "trials": score(format="%d"),
        "started": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss"),
        "data_digest": st.column_config.TextColumn("data set", help="Digest of the data the run was trained on"),
        "conclusion": st.column_config.TextColumn(width="medium"),
    }


def runs_filters(table: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Filter and order widgets over the runs table; the rows to show and whether trials go under searches."""
    text, algorithms, verdicts, kinds, order = st.columns([2, 2, 2, 2, 2])
    needle = text.text_input("Find", placeholder="name or parameter", key="compare_find")
    chosen_algorithms = algorithms.multiselect(
        "Algorithm", sorted(table["algorithm"].unique()), key="compare_filter_algorithm"
    )
    present = [v for v in runs.VERDICTS if v in set(table["verdict"])]
    chosen_verdicts = verdicts.multiselect(
        "KPI verdict", present, format_func=runs.VERDICTS.get, key="compare_filter_verdict"
    )
    present_kinds = [k for k in runs.KINDS if k in set(table["kind"])]
    chosen_kinds = kinds.multiselect("Kind", present_kinds, format_func=runs.KINDS.get, key="compare_filter_kind")
    by = order.selectbox("Order", list(runs.ORDERS), format_func=runs.ORDERS.get, key="compare_order")
    shown = runs.filter_runs(table, chosen_algorithms, chosen_verdicts, chosen_kinds, needle)
    with_trials = "search" in set(shown["kind"]) and st.toggle(
        "Show each search's trials beneath it", key="compare_show_trials"
    )
    return runs.order_runs(shown, by), with_trials


def runs_table(project, table: pd.DataFrame, metric: str, fingerprint: tuple) -> None:
    """The runs table with filters; a search's trials can be listed beneath it."""
    shown, with_trials = runs_filters(table)
    if with_trials:
        shown = runs.with_trials(shown, cache.search_children(project.experiment_id, metric, fingerprint))
    st.dataframe(
        runs.overview(shown, metric),
        hide_index=True,
        width="stretch",
        height=min(_TABLE_HEIGHT, 38 + 35 * max(len(shown), 1)),
        column_config=_column_config(metric),
    )
    caption = f"{len(shown)} of {len(table)} runs shown" if len(shown) != len(table) else f"{len(table)} runs"
    if with_trials:
        caption = f"{(shown['kind'] != 'trial').sum()} of {len(table)} runs shown, with their trials"
    left, right = st.columns([5, 1])
    left.caption(caption + ". Click a column header to sort by it.")
    right.button("🔄 Refresh", key="compare_refresh", on_click=cache.forget_runs, help="Read the runs again")


def search_view(table: pd.DataFrame, metric: str, fingerprint: tuple) -> None:
    """Inside one search: its trials as parallel coordinates, and which hyperparameters mattered."""
    searches = table[table["kind"] == "search"]
    if searches.empty:
        st.caption("No search in this project yet: tune hyperparameters on the training page.")
        return
    labels = dict(zip(searches["run_id"], searches["run"] + " · " + searches["algorithm"], strict=True))
    parent = st.selectbox("Search", list(labels), format_func=labels.get, key="compare_search")
    status = searches.loc[searches["run_id"] == parent, "status"].iloc[0]
    insight = cache.search_insight(parent, metric, (status, fingerprint if status == "RUNNING" else ()))
    if insight.finished < 2 or not insight.searched:
        st.info(
            "This search has fewer than two finished trials or no searched hyperparameter, "
            "so there is nothing to relate the score to yet."
        )
        return
    st.caption(
        f"{insight.finished} finished trials of {len(insight.trials)}. Each line is a trial: follow the bright "
        "(high-scoring) lines to see which values the good configurations share. Drag along an axis to filter."
    )
    figure = charts.parallel_coordinates(insight.trials, metric, insight.searched)
    inert_chart(st, figure, key="compare_search_parcoords")
    if insight.importance:
        figure = charts.param_importance_bar(insight.importance, f"Which hyperparameters mattered for {metric}")
        inert_chart(st, figure, key="compare_search_importance")
        st.caption(
            "Share of the score's variation across the trials that each hyperparameter explains, "
            f"estimated by {insight.method}."
        )
