"""Streamlit helpers of the Monitor page: cached loaders, threshold inputs and the report's rendering."""

from __future__ import annotations

import dataclasses

import pandas as pd
import streamlit as st

from core import drift, monitoring, monitoring_charts, projects
from core.ui.common import inert_chart, plain

WINDOWS = {"all time": None, "last 24 hours": 1, "last 7 days": 7, "last 30 days": 30}
DEFAULT_CHARTS = 4


@st.cache_data(show_spinner="Loading the training data from MLflow…", max_entries=16)
def _reference(name: str, version: str) -> monitoring.Reference:
    """A version's training data never changes, so (name, version) is a safe key."""
    return monitoring.reference_for_version(name, version)


def reference(name: str, version: str) -> monitoring.Reference:
    """The cached training data with the project's KPIs read fresh (they change on the Question page)."""
    ref = _reference(name, version)
    if not ref.experiment_id:
        return ref
    return dataclasses.replace(ref, kpis=tuple(projects.get_project(ref.experiment_id).kpis))


class _NothingLogged(Exception):
    """Raised inside the cached reader so that an empty log is not cached (Streamlit caches no exceptions)."""


@st.cache_data(show_spinner="Reading the prediction log…", ttl=15, max_entries=16)
def _log(name: str, version: str) -> pd.DataFrame:
    log = monitoring.read_log(_reference(name, version))
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
    """The drift thresholds, editable in an expander; the defaults of core.drift.Thresholds."""
    default = drift.Thresholds()
    with st.expander("Drift thresholds", expanded=False):
        a, b, c, d = st.columns(4)
        psi_drift = a.number_input("PSI: drift from", 0.01, 10.0, default.psi_drift, 0.05, key="monitor_psi_drift")
        psi_moderate = b.number_input(
            "PSI: moderate from", 0.01, 10.0, default.psi_moderate, 0.05, key="monitor_psi_moderate"
        )
        alpha = c.number_input("p-value below", 0.0001, 0.5, default.alpha, 0.005, format="%.4f", key="monitor_alpha")
        min_rows = d.number_input("Minimum rows", 2, 10_000, default.min_rows, 1, key="monitor_min_rows")
        st.caption(
            "A feature drifts when its PSI reaches the first value or its test (Kolmogorov–Smirnov for numbers, "
            "chi-square for categories) gives a p-value below the third; a PSI between the two PSI values is a "
            "warning. Tests need the minimum number of values on both sides."
        )
    try:
        return drift.Thresholds(float(psi_moderate), float(psi_drift), float(alpha), int(min_rows), default.bins)
    except ValueError as exc:
        st.error(plain(str(exc)))
        st.stop()


def show_empty_log(message: str, ref: monitoring.Reference) -> None:
    """What the page shows before anything was logged: how to get a log, and the training data meanwhile."""
    from core import charts, data

    st.info(
        f"{message} Predictions made on the **Predict** page (with *Log predictions for monitoring* on) or with "
        "`python -m core predict` through the app land in the log; or choose *Upload a batch* above."
    )
    st.page_link("pages/predict.py", label="Go to Predict", icon="🔮")
    st.markdown(f"**Training data** the log will be compared with: {len(ref.frame):,} rows of '{plain(ref.dataset)}'.")
    inert_chart(
        st, charts.class_balance_bar(data.class_balance(ref.frame, ref.target)), key="monitor_reference_classes"
    )


def render_report(report: monitoring.MonitorReport, current: monitoring.Current) -> None:
    """Alerts, drift summary, distributions, predicted classes and KPIs over time."""
    _alerts(report, current)
    _drift(report)
    _classes(report)
    _kpis(report)


def _alerts(report: monitoring.MonitorReport, current: monitoring.Current) -> None:
    if report.alert:
        lines = "\n".join(f"- {plain(line)}" for line in report.alerts())
        st.error(f"**Alert** — {plain(report.source)} vs training data of version {report.version}:\n{lines}")
        st.page_link(
            "pages/registry.py",
            label="Retrain with new labelled data (registry page: challenger, comparison, gated promotion)",
            icon="🔁",
        )
    else:
        st.success(
            f"No drift and no KPI breach: {report.current_rows:,} rows of the {plain(report.source)} look like the "
            f"{report.reference_rows:,} training rows of version {report.version}."
        )
    if report.moderate:
        st.warning(f"Moderate shift (PSI between the thresholds) in: {plain(', '.join(report.moderate))}.")
    for note in report.notes:
        st.info(plain(note))
    if current.findings:
        from core.ui.data_widgets import show_findings

        show_findings(list(current.findings))  # its own expander
    counts = drift.summary(report.drift)
    cols = st.columns(4)
    cols[0].metric("Recent rows", f"{report.current_rows:,}", help=f"Training rows: {report.reference_rows:,}")
    cols[1].metric("Features drifted", f"{counts['drift']} of {len(report.drift)}")
    cols[2].metric("Moderate shifts", counts["moderate"])
    measured = [k for k in report.kpis if k.passed is not None]
    cols[3].metric(
        "KPIs breached",
        f"{len(report.breached)} of {len(measured)}",
        help=f"Of the {len(measured)} KPIs measurable on this data ({len(report.kpis)} set for the project).",
    )


def _drift(report: monitoring.MonitorReport) -> None:
    st.subheader("Drift per feature")
    st.dataframe(
        drift.results_frame(report.drift),
        hide_index=True,
        width="stretch",
        column_config={
            "statistic": st.column_config.NumberColumn(format="%.3f"),
            "p-value": st.column_config.NumberColumn(format="%.2e"),
            "PSI": st.column_config.NumberColumn(format="%.3f"),
        },
    )
    if report.prediction_drift is not None and report.prediction_drift.psi is not None:
        p = report.prediction_drift
        st.caption(
            f"Predicted classes vs the training labels: PSI {p.psi:.3f}, chi-square p {p.p_value:.2g} "
            f"({p.verdict}). A shift here with no drift in the inputs often means the class mix changed."
        )
    features = [d.feature for d in report.drift]
    by_feature = {d.feature: d for d in report.drift}
    chosen = st.multiselect(
        "Distributions (training vs recent, as shares of rows)",
        features,
        default=features[:DEFAULT_CHARTS],
        key="monitor_features",
    )
    columns = st.columns(2)
    for i, feature in enumerate(chosen):
        with columns[i % 2]:
            inert_chart(
                st,
                monitoring_charts.distribution_overlay(
                    report.reference_frame[feature],
                    report.current_frame[feature],
                    report.kinds.get(feature, "numeric"),
                    by_feature.get(feature),
                ),
                key=f"monitor_dist_{i}",
            )


def _classes(report: monitoring.MonitorReport) -> None:
    st.subheader("Predicted classes over time")
    st.caption(f"Rows grouped {plain(report.grouping)}.")
    if report.classes_over_time is None or report.classes_over_time.empty:
        st.info("No predictions to show.")
        return
    inert_chart(
        st, monitoring_charts.classes_over_time(report.classes_over_time, report.periods), key="monitor_classes_chart"
    )


def _kpis(report: monitoring.MonitorReport) -> None:
    st.subheader("KPIs over time")
    frame = report.kpis_over_time
    if frame is not None and not frame.empty:
        scores = [m for m in frame["metric"].unique() if m != "latency_ms"]
        if scores:
            inert_chart(
                st,
                monitoring_charts.kpis_over_time(frame, report.periods, [k.kpi for k in report.kpis], scores),
                key="monitor_kpi_chart",
            )
        if "latency_ms" in set(frame["metric"]):
            inert_chart(
                st,
                monitoring_charts.kpis_over_time(frame, report.periods, [k.kpi for k in report.kpis], ["latency_ms"]),
                key="monitor_latency_chart",
            )
    if not report.kpis:
        st.info("The project has no KPIs; set them on the Question page.")
        return
    rows = [
        {
            "KPI": str(k.kpi),
            "measured": k.value,
            "status": "not measured" if k.passed is None else ("pass" if k.passed else "BREACHED"),
            "periods failing": ", ".join(k.failing_periods) if k.passed is not None else k.why_not,
        }
        for k in report.kpis
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    if report.labelled_rows == 0:
        st.info(
            "Accuracy and the other scores need the true classes: upload a batch with the target column to measure "
            "them over time."
        )
