"""Compare-page blocks: the filterable runs table (searches with their trials) and the view inside one search."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.common import i18n
from core.compare import runs
from core.ui import cache
from core.ui.charts import search as search_charts
from core.ui.common import inert_chart, show_table
from core.ui.i18n import t

_TABLE_HEIGHT = 420  # rows scroll inside the table; the page stays short with hundreds of runs


def _column_config(metric: str) -> dict:
    score = st.column_config.NumberColumn
    text = st.column_config.TextColumn
    return {
        "run": text(t("search.col_run")),
        "kind": text(t("search.col_kind")),
        "algorithm": text(t("search.col_algorithm")),
        "key params": text(t("search.col_key_params")),
        f"CV {metric}": score(format="%.3f", help=t("search.col_cv_help")),
        "CV std": score(format="%.3f", help=t("search.col_cv_std_help")),
        f"test {metric}": score(format="%.3f", help=t("search.col_test_help")),
        "verdict": text(t("search.col_verdict")),
        "seconds": score(t("search.col_duration"), format="%.1f s"),
        "trials": score(t("search.col_trials"), format="%d"),
        "status": text(t("search.col_status")),
        "started": st.column_config.DatetimeColumn(t("search.col_started"), format="YYYY-MM-DD HH:mm:ss"),
        "data_digest": text(t("search.col_data_set"), help=t("search.col_data_set_help")),
        "conclusion": text(t("search.col_conclusion"), width="medium"),
    }


def _options(kind: str, english: dict[str, str]) -> dict[str, str]:
    """Filter options (verdicts, kinds, orders) in the session's language: ``search.<kind>_<value>``, else as
    core.compare.runs names them. A dict, not a function: AppTest calls ``format_func`` outside the script run."""
    known = i18n.catalogue(i18n.DEFAULT_LANGUAGE)
    keys = {value: f"search.{kind}_{value.replace(' ', '_')}" for value in english}
    return {value: t(key) if key in known else english[value] for value, key in keys.items()}


def _present_filter(where, table: pd.DataFrame, column: str, english: dict[str, str]) -> list[str]:
    """A multiselect over the values of ``column`` that the table holds, in the catalogue's order and words."""
    return where.multiselect(
        t(f"search.filter_{column}"),
        [value for value in english if value in set(table[column])],
        format_func=_options(column, english).get,
        key=f"compare_filter_{column}",
        placeholder=t("common.choose"),
    )


def runs_filters(table: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Filter and order widgets over the runs table; the rows to show and whether trials go under searches."""
    text, algorithms, verdicts, kinds, order = st.columns([2, 2, 2, 2, 2])
    needle = text.text_input(t("search.find"), placeholder=t("search.find_placeholder"), key="compare_find")
    chosen_algorithms = algorithms.multiselect(
        t("search.filter_algorithm"),
        sorted(table["algorithm"].unique()),
        key="compare_filter_algorithm",
        placeholder=t("common.choose"),
    )
    chosen_verdicts = _present_filter(verdicts, table, "verdict", runs.VERDICTS)
    chosen_kinds = _present_filter(kinds, table, "kind", runs.KINDS)
    by = order.selectbox(
        t("search.filter_order"),
        list(runs.ORDERS),
        format_func=_options("order", runs.ORDERS).get,
        key="compare_order",
    )
    shown = runs.filter_runs(table, chosen_algorithms, chosen_verdicts, chosen_kinds, needle)
    with_trials = "search" in set(shown["kind"]) and st.toggle(t("search.show_trials"), key="compare_show_trials")
    return runs.order_runs(shown, by), with_trials


def runs_table(project, table: pd.DataFrame, metric: str, fingerprint: tuple) -> None:
    """The runs table with filters; a search's trials can be listed beneath it."""
    shown, with_trials = runs_filters(table)
    if with_trials:
        shown = runs.with_trials(shown, cache.search_children(project.experiment_id, metric, fingerprint))
    show_table(
        runs.overview(shown, metric),
        hide_index=True,
        width="stretch",
        height=min(_TABLE_HEIGHT, 38 + 35 * max(len(shown), 1)),
        column_config=_column_config(metric),
    )
    if with_trials:
        caption = t("search.runs_with_trials", shown=int((shown["kind"] != "trial").sum()), total=len(table))
    elif len(shown) != len(table):
        caption = t("search.runs_some", shown=len(shown), total=len(table))
    else:
        caption = t("search.runs_all", total=len(table))
    left, right = st.columns([5, 1])
    left.caption(caption)
    right.button(t("search.refresh"), key="compare_refresh", on_click=cache.forget_runs, help=t("search.refresh_help"))


def search_view(table: pd.DataFrame, metric: str, fingerprint: tuple) -> None:
    """Inside one search: its trials as parallel coordinates, and which hyperparameters mattered."""
    searches = table[table["kind"] == "search"]
    if searches.empty:
        st.caption(t("search.no_search_yet"))
        return
    labels = dict(zip(searches["run_id"], searches["run"] + " · " + searches["algorithm"], strict=True))
    parent = st.selectbox(t("search.search"), list(labels), format_func=labels.get, key="compare_search")
    status = searches.loc[searches["run_id"] == parent, "status"].iloc[0]
    insight = cache.search_insight(parent, metric, (status, fingerprint if status == "RUNNING" else ()))
    if insight.finished < 2 or not insight.searched:
        st.info(t("search.too_few_trials"))
        return
    st.caption(t("search.parallel_caption", finished=insight.finished, total=len(insight.trials)))
    figure = search_charts.parallel_coordinates(insight.trials, metric, insight.searched)
    inert_chart(st, figure, key="compare_search_parcoords")
    if insight.importance:
        figure = search_charts.param_importance_bar(insight.importance, t("search.importance_title", metric=metric))
        inert_chart(st, figure, key="compare_search_importance")
        st.caption(t("search.importance_caption", method=insight.method))
