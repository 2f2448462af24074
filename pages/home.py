"""Landing page: the lifecycle status board of the selected project."""

import streamlit as st

from core.common.i18n import tr
from core.lifecycle import status
from core.ui import cache
from core.ui.common import error_message, stop_on_error
from core.ui.context import current_project
from core.ui.i18n import t
from core.ui.identity import current_actor
from core.ui.shell import PAGES, ensure_shell
from core.ui.text import plain
from core.ui.widgets.requests import waiting_board

ensure_shell()
st.title(t("home.title"))
st.markdown(t("home.intro"))

project = current_project()
if project is None:
    st.info(t("home.no_project"))
    st.stop()

st.subheader(t("home.project", name=plain(project.name)))
dataset_summary = None
if project.data_run_id:
    try:
        record = cache.dataset(project.data_run_id)
        dataset_summary = tr(  # raw text like the board's other summaries: escaped where the card is drawn
            "home.dataset_summary",
            name=record.name,
            rows=len(record.frame),
            features=len(record.features),
            target=record.target,
            train=len(record.split.train),
            test=len(record.split.test),
            digest=record.digest,
        )
    except ValueError as exc:
        st.warning(plain(error_message(exc)))

with stop_on_error(Exception, "home.cannot_read"):  # the store may be unreachable
    board = status.lifecycle_status(project, dataset_summary)

page_titles = {path: t(key) for path, key, _ in PAGES}
if lost := cache.lost_searches(project.experiment_id):  # cut short by a killed server: A³ offers to run them again
    st.warning(t("home.lost_searches", count=len(lost)), icon="⚠️")
    st.page_link("pages/train.py", label=t("home.open_page", page=page_titles["pages/train.py"]), icon="➡️")
waiting_board(current_actor())  # promotion requests this person may decide, from every model in the store
for card in board:
    with st.container(border=True):
        left, right = st.columns([5, 2])
        left.markdown(f"### {'✅' if card.done else '⬜'} {card.phase} — {card.title}")
        left.markdown(plain(card.summary, code=True))  # names, question, labels: literal text
        right.markdown(t("home.next", step=card.next_step))
        right.page_link(
            f"pages/{card.page}", label=t("home.open_page", page=page_titles[f"pages/{card.page}"]), icon="➡️"
        )
