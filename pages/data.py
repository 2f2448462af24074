"""U — load, check and explore the data; fix the roles and the train/test split every later phase uses."""

import streamlit as st

from core.codegen.snippets import data as snippets
from core.common.i18n import number
from core.data import datastore, loading, sets
from core.data.validation import blocking
from core.train import tuning
from core.ui import cache, keys
from core.ui.common import error_message, guarded_button, show_code, stop_on_error
from core.ui.context import require_project
from core.ui.i18n import labeller, t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets.data import csv_settings_input, explore, roles_editor, show_findings, target_select

# The radio's values stay these English names (tests and bookmarks of the widget state use them); shown translated
STORED = "The project's stored data"
SOURCES = {
    STORED: "data.source_stored",
    "Built-in data set": "data.source_builtin",
    "Upload a file": "data.source_upload",
}


phase_header("data")
project = require_project()

current = None
if project.data_run_id:
    try:
        current = cache.dataset(project.data_run_id)
        st.success(
            t(
                "data.current",
                name=plain(current.name),
                rows=len(current.frame),
                features=len(current.features),
                target=plain(current.target),
                train=len(current.split.train),
                test=len(current.split.test),
                seed=current.split.seed,
                digest=current.digest,
            )
        )
    except ValueError as exc:
        st.warning(plain(error_message(exc)))

# A new session (a reload, a link) opens on the data the project stores: an upload cannot be put back into the
# file uploader, so it is offered as a source of its own, read from the data run; a built-in set is preselected.
stored_builtin = current is not None and sets.is_builtin(current.name, current.digest)
options = [s for s in SOURCES if s != STORED or (current is not None and not stored_builtin)]
source = st.radio(t("data.source"), options, format_func=labeller(SOURCES), horizontal=True, key="data_source")
frame, name, default_target = None, "", None
builtin, upload, settings = None, None, None
if source == STORED:
    frame, name, default_target = current.frame, current.name, current.target
    st.caption(t("data.source_stored_caption", name=plain(current.name)))
elif source == "Built-in data set":
    builtin = name = st.selectbox(
        t("data.dataset"),
        list(sets.BUILTIN_DATASETS),
        index=list(sets.BUILTIN_DATASETS).index(current.name) if stored_builtin else 0,
        format_func=labeller({k: f"data.builtin.{k}" for k in sets.BUILTIN_DATASETS}),
        key="data_builtin",
    )
    frame, default_target = cache.builtin_frame(name), sets.BUILTIN_DATASETS[name][1]
else:
    upload = st.file_uploader(
        t("data.upload"),
        type=[s.lstrip(".") for s in loading.SUPPORTED_SUFFIXES],
        key="data_upload",
        help=t("data.upload_help", megabytes=st.get_option("server.maxUploadSize")),
    )
    if upload is not None:
        try:
            content = upload.getvalue()
            if upload.name.lower().endswith((".csv", ".txt", ".tsv")):
                settings = csv_settings_input(content, upload.file_id)
            frame = cache.uploaded_table(content, upload.name, settings)
            name = upload.name.rsplit(".", 1)[0]
        except ValueError as exc:
            st.error(plain(error_message(exc)))
if frame is None:
    st.stop()

digest = sets.dataset_digest(frame)
target = target_select(frame, digest, default_target, "stored" if source == STORED else "builtin")
left, right = st.columns(2)
# whole percent: a slider writes its numbers with a decimal point in every language, a percentage needs none
test_size = left.slider(t("data.test_size"), 10, 50, 20, 5, format="%d %%", key="data_test_size") / 100
seed = right.number_input(t("data.seed"), 0, 2**31 - 1, sets.DEFAULT_SEED, key="data_seed")

st.markdown(t("data.roles_intro"))
roles, excluded = roles_editor(frame, target)
with stop_on_error():
    _, features, findings = cache.dataset_check(frame, digest, target, roles, tuple(sorted(excluded)), test_size)
show_findings(findings)
errors = blocking(findings)

a, b, c, d = st.columns(4)
a.metric(t("data.rows"), number(len(frame)))
b.metric(t("data.features_used"), t("data.features_used_value", used=len(features), total=frame.shape[1] - 1))
c.metric(t("data.classes"), frame[target].nunique())
d.metric(t("data.missing"), number(int(frame.isna().sum().sum())))

if guarded_button(t("data.use"), type="primary", key="data_use", blocked=t("data.use_blocked") if errors else None):
    try:
        with st.spinner(t("data.recording")):
            profile = (
                cache.profile_report(frame, digest, name) if st.session_state.get(keys.PROFILED) == digest else None
            )
            record = datastore.record_dataset(
                project.experiment_id, frame, name, target, test_size, int(seed), roles, excluded, profile, digest
            )
        st.success(
            t(
                "data.stored",
                run=record.run_id[:8],
                digest=record.digest,
                train=len(record.split.train),
                test=len(record.split.test),
            )
        )
        st.page_link("pages/train.py", label=t("data.next"), icon="➡️")
        tuning.warm_up_workers()  # training and searching come next: their worker processes start now
    except ValueError as exc:
        st.error(plain(error_message(exc)))
if not errors and source != STORED:  # the same load, split and data run in plain pandas, scikit-learn and MLflow
    show_code(
        snippets.record_data(
            project.name,
            name,
            target,
            test_size,
            int(seed),
            features,
            excluded,
            builtin=builtin,
            filename=upload.name if upload is not None else None,
            settings=settings,
        )
    )

explore(frame, target, features, digest, name)
