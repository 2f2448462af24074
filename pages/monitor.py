"""CM — Monitor: a served model's training data against recent data (its prediction log or a batch): drift per
feature, predicted classes over time and, with labels, the KPIs over time."""

import streamlit as st

from core.codegen.snippets import monitor as snippets
from core.monitor import monitoring
from core.ui import cache
from core.ui.common import show_code, stop_on_error
from core.ui.i18n import labeller, t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets import monitor as widgets
from core.ui.widgets.inputs import open_served

SOURCES = {"Prediction log": "monitor.source_log", "Upload a batch": "monitor.source_batch"}

phase_header("monitor")
name, alias, version, reference = open_served(
    "monitor",
    widgets.reference,
    "monitor.reference_caption",
    lambda ref: {"rows": len(ref.frame), "dataset": plain(ref.dataset), "data_run": ref.data_run_id},
)
if reference.note:
    st.info(plain(reference.note))
thresholds = widgets.thresholds_input()

# the options stay English (tests and widget state use them); only their labels follow the language
source = st.radio(
    t("monitor.source"), list(SOURCES), format_func=labeller(SOURCES), key="monitor_source", horizontal=True
)
model = None
filename, only, since = None, False, None
with stop_on_error():
    try:
        if source == "Prediction log":
            left, right = st.columns(2)
            only = left.checkbox(t("monitor.only_version", version=version.version), key="monitor_only_version")
            window = right.selectbox(
                t("monitor.window"),
                list(widgets.WINDOWS),
                format_func=labeller(widgets.WINDOW_LABELS),
                key="monitor_window",
            )
            since = widgets.since(window)
            log = widgets.prediction_log(name, version.version)
            current = monitoring.current_from_log(reference, log, version.version if only else None, since)
        else:
            upload = st.file_uploader(
                t("monitor.upload"),
                type=["csv", "txt", "tsv", "parquet", "xlsx"],
                key="monitor_upload",
            )
            if upload is None:
                st.info(t("monitor.upload_hint", rows=thresholds.min_rows, target=plain(reference.target)))
                st.stop()
            filename = upload.name
            current = monitoring.read_batch(upload.getvalue(), upload.name, reference, thresholds.min_rows)
            model = cache.served_model(name, version.version)
        report = monitoring.monitor(reference, current, model, thresholds, alias)
    except monitoring.EmptyLog as exc:
        widgets.show_empty_log(str(exc), reference)
        st.stop()

widgets.render_report(report)
show_code(
    snippets.drift_check(
        reference,
        thresholds.alpha,
        filename=filename,
        version=version.version if only else None,
        since=since,
    )
)
