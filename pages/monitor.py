"""CM — Monitor: a served model's training data against recent data (its prediction log or a batch): drift per
feature, predicted classes over time and, with labels, the KPIs over time."""

import streamlit as st

from core import monitoring
from core.ui import cache
from core.ui import monitor_widgets as widgets
from core.ui.common import error_message, phase_header, plain
from core.ui.widgets import served_alias_picker

phase_header(
    "📈 Monitor",
    "A model keeps its promise only while the data it sees looks like the data it learned from. This page "
    "compares the training rows of the version an alias serves with recent data — the predictions logged by the "
    "Predict page, or a batch you upload — feature by feature: the Kolmogorov–Smirnov test and the Population "
    "Stability Index (PSI) for numbers, the chi-square test and the PSI for categories. It shows which classes "
    "the model predicts over time and, when the batch holds the true classes, accuracy and the other KPI "
    "metrics over time against the project's KPI thresholds. An alert lists the drifted features and breached "
    "KPIs; `python -m core monitor` runs the same check in a pipeline.",
)
name, alias, version = served_alias_picker("monitor")
try:
    reference = widgets.reference(name, version.version)
except ValueError as exc:
    st.error(plain(error_message(exc)))
    st.stop()
st.caption(
    f"`models:/{name}@{alias}` → version **{version.version}** · training data: {len(reference.frame):,} rows "
    f"(training split) of '{plain(reference.dataset)}' · data run `{reference.data_run_id}`"
)
if reference.note:
    st.info(plain(reference.note))
thresholds = widgets.thresholds_input()

source = st.radio("Recent data", ["Prediction log", "Upload a batch"], key="monitor_source", horizontal=True)
model = None
try:
    if source == "Prediction log":
        left, right = st.columns(2)
        only = left.checkbox(f"Only version {version.version}'s predictions", key="monitor_only_version")
        window = right.selectbox("Logged in", list(widgets.WINDOWS), key="monitor_window")
        log = widgets.prediction_log(name, version.version)
        current = monitoring.current_from_log(reference, log, version.version if only else None, widgets.since(window))
    else:
        upload = st.file_uploader(
            "CSV, Parquet or Excel file with the model's input columns",
            type=["csv", "txt", "tsv", "parquet", "xlsx"],
            key="monitor_upload",
        )
        if upload is None:
            st.info(
                f"Upload at least {thresholds.min_rows} rows with the model's input columns. Add the "
                f"'{reference.target}' column with the true classes to measure the KPIs, and a time column (named "
                "like 'time' or 'date') to see them per period; without one, rows are grouped in consecutive chunks."
            )
            st.stop()
        current = monitoring.read_batch(upload.getvalue(), upload.name, reference, thresholds.min_rows)
        model = cache.served_model(name, version.version)
    report = monitoring.monitor(reference, current, model, thresholds, alias)
except monitoring.EmptyLog as exc:
    widgets.show_empty_log(str(exc), reference)
    st.stop()
except ValueError as exc:
    st.error(plain(error_message(exc)))
    st.stop()

widgets.render_report(report, current)
