"""Landing page: the lifecycle status board of the selected project."""

import streamlit as st

from core import status
from core.ui import cache
from core.ui.common import current_project, error_message, plain
from core.ui.shell import ensure_shell

ensure_shell()
st.title("🦆 QUA³CK Workbench")
st.markdown(
    "Walk a machine-learning question from **Q**uestion to **K**nowledge transfer. "
    "Everything you do is recorded in MLflow, so `mlflow ui` and plain `mlflow` code see it too."
)

project = current_project()
if project is None:
    st.info("Start by creating the example project or a new one in the sidebar.")
    st.stop()

st.subheader(f"Project: {plain(project.name)}")
dataset_summary = None
if project.data_run_id:
    try:
        record = cache.dataset(project.data_run_id)
        dataset_summary = (
            f"{record.name}: {len(record.frame)} rows, {len(record.features)} features, "
            f"target '{record.target}', split {len(record.split.train)}/{len(record.split.test)}, "
            f"digest `{record.digest}`"
        )
    except ValueError as exc:
        st.warning(plain(error_message(exc)))

try:
    board = status.lifecycle_status(project, dataset_summary)
except Exception as exc:  # noqa: BLE001 — the store may be unreachable
    st.error(f"Cannot read the project's state from MLflow: {plain(error_message(exc))}")
    st.stop()

for card in board:
    with st.container(border=True):
        left, right = st.columns([5, 2])
        left.markdown(f"### {'✅' if card.done else '⬜'} {card.phase} — {card.title}")
        left.markdown(plain(card.summary, code=True))  # names, question, labels: literal text
        right.markdown(f"**Next:** {card.next_step}")
        right.page_link(f"pages/{card.page}", label=f"Open the {card.phase} page", icon="➡️")
