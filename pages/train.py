"""A³ — choose algorithms (A1), adapt features (A2), adjust hyperparameters by hand or by search (A3)."""

import streamlit as st

from core.question.kpis import primary_metric
from core.train import orphans, training
from core.ui import cache, keys
from core.ui.common import stop_on_error
from core.ui.context import require_project
from core.ui.i18n import t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets.search import feature_steps_input
from core.ui.widgets.train import hand_training, lost_searches, search_tab

phase_header("train")
project = require_project()
if not project.data_run_id:
    st.warning(t("train.no_data"))
    st.page_link("pages/data.py", label=t("train.go_to_data"), icon="📊")
    st.stop()
with stop_on_error():
    record = cache.dataset(project.data_run_id)
if st.session_state.get(keys.ORPHANS_SWEPT) != project.experiment_id:
    if orphans.end_orphaned_runs(project.experiment_id):  # runs another replica's killed server left RUNNING
        cache.forget_runs()
    st.session_state[keys.ORPHANS_SWEPT] = project.experiment_id
lost_searches(project, record)
metric = primary_metric(project.kpis)
st.caption(
    t(
        "train.data_caption",
        name=plain(record.name),
        rows=len(record.split.train),
        target=plain(record.target),
        digest=record.digest,
        metric=metric,
    )
)
with st.expander(t("train.features_expander"), expanded=False):
    steps = feature_steps_input()
folds = st.slider(t("train.cv_folds"), 2, 10, training.DEFAULT_CV_FOLDS, key="train_cv_folds")
by_hand, search = st.tabs([t("train.tab_train"), t("train.tab_search")])
with by_hand:
    hand_training(project, record, steps, folds, metric)
with search:
    search_tab(project, record, steps, folds, metric)
