"""U — load, check and explore the data; fix the roles and the train/test split every later phase uses."""

import streamlit as st

from core import charts, data, datastore, loading
from core.ui import cache, keys
from core.ui.common import error_message, inert_chart, phase_header, plain, require_project
from core.ui.data_widgets import csv_settings_input, embed_report, roles_editor, show_findings

phase_header(
    "📊 U — Understand the data",
    "Know your data before you model it: size, types, missing values, class balance and how the features "
    "separate the classes. Each column gets a role (numeric, categorical, boolean, ID, constant, free text) "
    "that you can change; the data is validated with pandera, and errors block training until fixed. When "
    "you confirm a data set it is stored in MLflow with its digest, schema, roles, validation report and "
    "profile, together with a stratified train/test split with a fixed seed: every model trains on the same "
    "rows and is judged on the same held-out rows.",
)
project = require_project()

if project.data_run_id:
    try:
        current = cache.dataset(project.data_run_id)
        st.success(
            f"Current project data: **{plain(current.name)}**, {len(current.frame)} rows, "
            f"{len(current.features)} features, target **{plain(current.target)}**, split "
            f"{len(current.split.train)} train / {len(current.split.test)} test (seed {current.split.seed}), "
            f"digest `{current.digest}`."
        )
    except ValueError as exc:
        st.warning(plain(error_message(exc)))

source = st.radio("Source", ["Built-in data set", "Upload a file"], horizontal=True, key="data_source")
frame, name, default_target = None, "", None
if source == "Built-in data set":
    name = st.selectbox(
        "Data set", list(data.BUILTIN_DATASETS), format_func=lambda k: data.BUILTIN_DATASETS[k][0], key="data_builtin"
    )
    frame, default_target = cache.builtin_frame(name), data.BUILTIN_DATASETS[name][1]
else:
    upload = st.file_uploader(
        "CSV, Parquet or Excel file",
        type=[s.lstrip(".") for s in loading.SUPPORTED_SUFFIXES],
        key="data_upload",
        help=f"Up to {st.get_option('server.maxUploadSize')} MB.",
    )
    if upload is not None:
        try:
            content = upload.getvalue()
            settings = None
            if upload.name.lower().endswith((".csv", ".txt", ".tsv")):
                settings = csv_settings_input(content, upload.file_id)
            frame = cache.uploaded_table(content, upload.name, settings)
            name = upload.name.rsplit(".", 1)[0]
        except ValueError as exc:
            st.error(plain(error_message(exc)))
if frame is None:
    st.stop()

columns = list(frame.columns)
target = st.selectbox(
    "Target column (the class to predict)",
    columns,
    index=columns.index(default_target) if default_target in columns else len(columns) - 1,
    key="data_target",
)
left, right = st.columns(2)
test_size = left.slider("Held-out test share", 0.1, 0.5, 0.2, 0.05, key="data_test_size")
seed = right.number_input("Split seed", 0, 2**31 - 1, data.DEFAULT_SEED, key="data_seed")

st.markdown("**Column roles** — ID, constant and free-text columns are left out of the model unless you change them.")
roles, excluded = roles_editor(frame, target)
digest = data.dataset_digest(frame)
try:
    _, features, findings = cache.dataset_check(frame, digest, target, roles, tuple(sorted(excluded)), test_size)
except ValueError as exc:
    st.error(plain(error_message(exc)))
    st.stop()
show_findings(findings)
errors = [f for f in findings if f.severity == "error"]

a, b, c, d = st.columns(4)
a.metric("Rows", f"{len(frame):,}")
b.metric("Features used", f"{len(features)} of {frame.shape[1] - 1}")
c.metric("Classes", frame[target].nunique())
d.metric("Missing values", f"{int(frame.isna().sum().sum()):,}")

if st.button(
    "✅ Use this data for the project",
    type="primary",
    disabled=bool(errors),
    key="data_use",
    help="Fix the errors above first." if errors else None,
):
    try:
        with st.spinner("Validating, splitting and logging the data set to MLflow…"):
            profile = (
                cache.profile_report(frame, digest, name) if st.session_state.get(keys.PROFILED) == digest else None
            )
            record = datastore.record_dataset(
                project.experiment_id, frame, name, target, test_size, int(seed), roles, excluded, profile, digest
            )
        st.success(
            f"Stored as data run `{record.run_id[:8]}` (digest `{record.digest}`): "
            f"{len(record.split.train)} training rows, {len(record.split.test)} held-out test rows."
        )
        st.page_link("pages/train.py", label="Next: train models", icon="➡️")
    except ValueError as exc:
        st.error(plain(error_message(exc)))

tabs = st.tabs(
    ["Columns", "Class balance", "Distributions", "Correlations", "Scatter matrix", "Profile report", "Rows"]
)
with tabs[0]:
    st.dataframe(data.column_summary(frame), hide_index=True, width="stretch")
with tabs[1]:
    inert_chart(st, charts.class_balance_bar(data.class_balance(frame, target)), key="data_balance_chart")
with tabs[2]:
    if features:
        feature = st.selectbox("Feature", features, key="data_feature")
        inert_chart(st, charts.feature_by_class(frame, feature, target), key="data_feature_chart")
with tabs[3]:
    inert_chart(st, charts.correlation_heatmap(frame, features), key="data_corr_chart")
with tabs[4]:
    inert_chart(st, charts.scatter_matrix(frame[[*features, target]], target), key="data_scatter_chart")
with tabs[5]:
    if st.button("📋 Build the profile report", key="data_profile") or st.session_state.get(keys.PROFILED) == digest:
        st.session_state[keys.PROFILED] = digest
        with st.status("Profiling with ydata-profiling (reused once built)…", expanded=False) as progress:
            html = cache.profile_report(frame, digest, name)
            progress.update(label="Profile report ready", state="complete")
        st.download_button(
            "⬇️ Download the report (HTML)", html, file_name=f"profile-{name}.html", key="data_profile_download"
        )
        embed_report(html)
    else:
        st.caption(
            "A ydata-profiling report: distributions, correlations, missing values, alerts. Built once per "
            "data set and kept in MLflow with the data."
        )
with tabs[6]:
    st.dataframe(frame.head(200), width="stretch")
