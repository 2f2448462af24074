"""U — choose, check and explore the data; fix the train/test split every later phase uses."""

import streamlit as st

from core import charts, data, datastore
from core.ui import cache, keys
from core.ui.common import error_message, phase_header, require_project

phase_header(
    "📊 U — Understand the data",
    "Know your data before you model it: size, types, missing values, class balance and how the "
    "features separate the classes. When you confirm a data set it is stored in MLflow with its digest "
    "(`mlflow.log_input`), and a stratified train/test split with a fixed seed is recorded with it. "
    "Every model is trained on the same training rows and judged on the same held-out test rows.",
)
project = require_project()

if project.data_run_id:
    try:
        current = cache.dataset(project.data_run_id)
        st.success(
            f"Current project data: **{current.name}**, {len(current.frame)} rows, target **{current.target}**, "
            f"split {len(current.split.train)} train / {len(current.split.test)} test (seed {current.split.seed}), "
            f"digest `{current.digest}`."
        )
    except ValueError as exc:
        st.warning(error_message(exc))

source = st.radio(
    "Source",
    ["Built-in data set", "Upload a CSV file"],
    horizontal=True,
    key="data_source",
)
frame, name, default_target = None, "", None
if source == "Built-in data set":
    name = st.selectbox(
        "Data set",
        list(data.BUILTIN_DATASETS),
        format_func=lambda k: data.BUILTIN_DATASETS[k][0],
        key="data_builtin",
    )
    frame, default_target = cache.builtin_frame(name), data.BUILTIN_DATASETS[name][1]
else:
    upload = st.file_uploader("CSV file with a header row", type=["csv", "txt"], key="data_upload")
    if upload is not None:
        try:
            frame = cache.uploaded_frame(upload.getvalue(), upload.name)
            name = upload.name.rsplit(".", 1)[0]
        except ValueError as exc:
            st.error(error_message(exc))
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

problem = None
try:
    data.validate_target(frame, target, test_size)
except data.DataError as exc:
    problem = str(exc)
    st.error(problem)

a, b, c, d = st.columns(4)
a.metric("Rows", len(frame))
b.metric("Features", frame.shape[1] - 1)
c.metric("Classes", frame[target].nunique())
d.metric("Missing values", int(frame.isna().sum().sum()))

if st.button(
    "✅ Use this data for the project",
    type="primary",
    disabled=problem is not None,
    key="data_use",
):
    try:
        with st.spinner("Validating, splitting and logging the data set to MLflow…"):
            record = datastore.record_dataset(project.experiment_id, frame, name, target, test_size, int(seed))
        st.success(
            f"Stored as data run `{record.run_id[:8]}` (digest `{record.digest}`): "
            f"{len(record.split.train)} training rows, {len(record.split.test)} held-out test rows."
        )
        st.page_link("pages/train.py", label="Next: train models", icon="➡️")
    except ValueError as exc:
        st.error(error_message(exc))

summary_tab, balance_tab, scatter_tab, profile_tab, rows_tab = st.tabs(
    ["Columns", "Class balance", "Scatter matrix", "Profile report", "Rows"]
)
with summary_tab:
    st.dataframe(data.column_summary(frame), hide_index=True, width="stretch")
with balance_tab:
    balance = data.class_balance(frame, target)
    st.plotly_chart(charts.class_balance_bar(balance), key="data_balance_chart")
with scatter_tab:
    st.plotly_chart(charts.scatter_matrix(frame, target), key="data_scatter_chart")
with profile_tab:
    digest = data.dataset_digest(frame)
    if st.button("📋 Build the profile report", key="data_profile") or st.session_state.get(keys.PROFILED) == digest:
        st.session_state[keys.PROFILED] = digest
        html = cache.profile_report(frame, digest, f"Profile of {name}")
        st.download_button(
            "⬇️ Download the report (HTML)", html, file_name=f"profile-{name}.html", key="data_profile_download"
        )
        st.components.v1.html(html, height=900, scrolling=True)
    else:
        st.caption(
            "A full ydata-profiling report: distributions, correlations, missing values, alerts (a few seconds)."
        )
with rows_tab:
    st.dataframe(frame.head(200), width="stretch")
