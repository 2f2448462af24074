"""Streamlit helpers of the Monitor page: cached loaders, threshold inputs and the report's rendering."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from core.common import i18n
from core.common.i18n import number
from core.data import sets
from core.monitor import drift, monitoring
from core.question import projects
from core.ui.cache import Later
from core.ui.charts import data as data_charts
from core.ui.charts import monitor as monitor_charts
from core.ui.common import inert_chart, show_table, stop_on_error
from core.ui.i18n import language, t
from core.ui.text import Markdown, plain
from core.ui.widgets.data import show_findings

# the options stay English (widget state and tests use them); WINDOW_LABELS are their catalogue keys
WINDOWS = {"all time": None, "last 24 hours": 1, "last 7 days": 7, "last 30 days": 30}
WINDOW_LABELS = {
    "all time": "monitor.window_all",
    "last 24 hours": "monitor.window_day",
    "last 7 days": "monitor.window_week",
    "last 30 days": "monitor.window_month",
}
DEFAULT_CHARTS = 4
# the drift table's columns (core.monitor.drift.results_frame) and the words in them, shown in the session's language
DRIFT_COLUMNS = {
    "feature": "drift.col_feature",
    "type": "drift.col_type",
    "test": "drift.col_test",
    "statistic": "drift.col_statistic",
    "p-value": "drift.col_p_value",
    "PSI": "drift.col_psi",
    "verdict": "drift.col_verdict",
    "missing (train → now)": "drift.col_missing",
    "note": "drift.col_note",
}
KINDS = {"numeric": "drift.kind_numeric", "categorical": "drift.kind_categorical"}
TESTS = {"Kolmogorov–Smirnov": "drift.test_ks", "chi-square": "drift.test_chi_square"}


def verdict_label(verdict: str) -> str:
    """A feature's drift verdict as shown (drift.verdict_<verdict>); an unknown one as it is."""
    return t(f"drift.verdict_{verdict}") if verdict in drift.VERDICTS else verdict


@st.cache_data(show_spinner=Later("monitor.spinner_reference"), max_entries=16)
def _reference(name: str, version: str, language: str) -> monitoring.Reference:
    """A version's training data never changes, so (name, version) is a safe key; its note is in ``language``."""
    return monitoring.reference_for_version(name, version)


def reference(name: str, version: str) -> monitoring.Reference:
    """The cached training data with the project's KPIs read fresh (they change on the Question page)."""
    ref = _reference(name, version, language())
    if not ref.experiment_id:
        return ref
    return dataclasses.replace(ref, kpis=tuple(projects.get_project(ref.experiment_id).kpis))


class _NothingLogged(Exception):
    """Raised inside the cached reader so that an empty log is not cached (Streamlit caches no exceptions)."""


@st.cache_data(show_spinner=Later("monitor.spinner_log"), ttl=15, max_entries=16)
def _log(name: str, version: str) -> pd.DataFrame:
    log = monitoring.read_log(_reference(name, version, i18n.current_language()))  # the page's cached reference
    if log.empty:
        raise _NothingLogged
    return log


def prediction_log(name: str, version: str) -> pd.DataFrame:
    """The model's log, re-read at most every 15 s once there is one (predictions arrive all the time); while it
    is empty it is read on every run, so the first predictions show at once."""
    try:
        return _log(name, version)
    except _NothingLogged:
        return pd.DataFrame()


def since(window: str) -> pd.Timestamp | None:
    days = WINDOWS[window]
    return None if days is None else pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=days)


def thresholds_input() -> drift.Thresholds:
    """The drift thresholds, editable in an expander; the defaults of core.monitor.drift.Thresholds."""
    default = drift.Thresholds()
    with st.expander(t("monitor.thresholds"), expanded=False):
        a, b, c, d = st.columns(4)
        psi_drift = a.number_input(t("monitor.psi_drift"), 0.01, 10.0, default.psi_drift, 0.05, key="monitor_psi_drift")
        psi_moderate = b.number_input(
            t("monitor.psi_moderate"), 0.01, 10.0, default.psi_moderate, 0.05, key="monitor_psi_moderate"
        )
        alpha = c.number_input(
            t("monitor.alpha"), 0.0001, 0.5, default.alpha, 0.005, format="%.4f", key="monitor_alpha"
        )
        min_rows = d.number_input(t("monitor.min_rows"), 2, 10_000, default.min_rows, 1, key="monitor_min_rows")
        st.caption(t("monitor.thresholds_caption"))
    with stop_on_error():
        return drift.Thresholds(float(psi_moderate), float(psi_drift), float(alpha), int(min_rows), default.bins)


def show_empty_log(message: str, ref: monitoring.Reference) -> None:
    """What the page shows before anything was logged: how to get a log, and the training data meanwhile."""
    st.info(t("monitor.empty_log", message=message))
    st.page_link("pages/predict.py", label=t("monitor.go_to_predict"), icon="🔮")
    st.markdown(t("monitor.empty_log_reference", rows=len(ref.frame), dataset=plain(ref.dataset)))
    inert_chart(
        st, data_charts.class_balance_bar(sets.class_balance(ref.frame, ref.target)), key="monitor_reference_classes"
    )


def render_report(report: monitoring.MonitorReport) -> None:
    """Alerts, drift summary, distributions, predicted classes and KPIs over time."""
    _alerts(report)
    _drift(report)
    _classes(report)
    _kpis(report)


def _alerts(report: monitoring.MonitorReport) -> None:
    if report.alert:
        lines = Markdown("\n".join(f"- {plain(line)}" for line in report.alerts()))
        st.error(t("monitor.alert", source=plain(report.current.source), version=report.reference.version, lines=lines))
        st.page_link("pages/registry.py", label=t("monitor.retrain_link"), icon="🔁")
    elif report.untested:  # the note below says why the drift tests were skipped
        st.info(t("monitor.no_alert_untested", rows=report.current_rows, source=plain(report.current.source)))
    else:
        st.success(
            t(
                "monitor.no_alert",
                rows=report.current_rows,
                source=plain(report.current.source),
                reference_rows=len(report.reference.frame),
                version=report.reference.version,
            )
        )
    if report.moderate:
        st.warning(t("monitor.moderate", features=plain(", ".join(report.moderate))))
    for note in report.notes:
        st.info(plain(note))
    if report.current.findings:
        show_findings(list(report.current.findings))  # its own expander
    counts = drift.summary(report.drift)
    cols = st.columns(4)
    cols[0].metric(
        t("monitor.metric_recent_rows"),
        number(report.current_rows),
        help=t("monitor.metric_recent_rows_help", rows=len(report.reference.frame)),
    )
    cols[1].metric(t("monitor.metric_drifted"), t("monitor.n_of_m", n=counts["drift"], m=len(report.drift)))
    cols[2].metric(t("monitor.metric_moderate"), counts["moderate"])
    measured = [k for k in report.kpis if k.passed is not None]
    cols[3].metric(
        t("monitor.metric_breached"),
        t("monitor.n_of_m", n=len(report.breached), m=len(measured)),
        help=t("monitor.metric_breached_help", measured=len(measured), kpis=len(report.kpis)),
    )


def _drift(report: monitoring.MonitorReport) -> None:
    st.subheader(t("monitor.drift_header"))
    table = drift.results_frame(report.drift)
    table["type"] = table["type"].map(lambda kind: t(KINDS[kind]) if kind in KINDS else kind)
    table["test"] = table["test"].map(lambda test: t(TESTS[test]) if test in TESTS else test)
    table["verdict"] = table["verdict"].map(verdict_label)
    columns = {column: t(key) for column, key in DRIFT_COLUMNS.items()}
    show_table(
        table.rename(columns=columns),
        hide_index=True,
        width="stretch",
        column_config={
            columns["statistic"]: st.column_config.NumberColumn(format="%.3f"),
            columns["p-value"]: st.column_config.NumberColumn(format="%.2e"),
            columns["PSI"]: st.column_config.NumberColumn(format="%.3f"),
        },
    )
    if report.prediction_drift is not None and report.prediction_drift.psi is not None:
        p = report.prediction_drift
        st.caption(t("monitor.prediction_drift", psi=p.psi, p_value=p.p_value, verdict=verdict_label(p.verdict)))
    features = [d.feature for d in report.drift]
    by_feature = {d.feature: d for d in report.drift}
    chosen = st.multiselect(
        t("monitor.distributions"),
        features,
        default=features[:DEFAULT_CHARTS],
        key="monitor_features",
        placeholder=t("common.choose"),
    )
    columns = st.columns(2)
    for i, feature in enumerate(chosen):
        with columns[i % 2]:
            inert_chart(
                st,
                monitor_charts.distribution_overlay(
                    report.reference.frame[feature],
                    report.current.frame[feature],
                    report.reference.kinds.get(feature, "numeric"),
                    by_feature.get(feature),
                ),
                key=f"monitor_dist_{i}",
            )


def _classes(report: monitoring.MonitorReport) -> None:
    st.subheader(t("monitor.classes_header"))
    st.caption(t("monitor.grouped", grouping=plain(report.grouping)))
    if report.classes_over_time is None or report.classes_over_time.empty:
        st.info(t("monitor.no_predictions"))
        return
    inert_chart(
        st, monitor_charts.classes_over_time(report.classes_over_time, report.periods), key="monitor_classes_chart"
    )


def _status(kpi: monitoring.KPIStatus) -> str:
    if kpi.passed is None:
        return t("monitor.status_not_measured")
    return t("monitor.status_pass") if kpi.passed else t("monitor.status_breached")


def _kpis(report: monitoring.MonitorReport) -> None:
    st.subheader(t("monitor.kpis_header"))
    frame = report.kpis_over_time
    if frame is not None and not frame.empty:
        scores = [m for m in frame["metric"].unique() if m != "latency_ms"]
        if scores:
            inert_chart(
                st,
                monitor_charts.kpis_over_time(frame, report.periods, [k.kpi for k in report.kpis], scores),
                key="monitor_kpi_chart",
            )
        if "latency_ms" in set(frame["metric"]):
            inert_chart(
                st,
                monitor_charts.kpis_over_time(frame, report.periods, [k.kpi for k in report.kpis], ["latency_ms"]),
                key="monitor_latency_chart",
            )
    if not report.kpis:
        st.info(t("monitor.no_kpis"))
        return
    rows = [
        {
            t("monitor.col_kpi"): str(k.kpi),
            t("monitor.col_measured"): k.value,
            t("monitor.col_status"): _status(k),
            t("monitor.col_failing"): ", ".join(k.failing_periods) if k.passed is not None else k.why_not,
        }
        for k in report.kpis
    ]
    show_table(pd.DataFrame(rows), hide_index=True, width="stretch")
    if report.labelled_rows == 0:
        st.info(t("monitor.needs_labels"))
