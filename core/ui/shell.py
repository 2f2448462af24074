"""The app shell shared by every page: page config, navigation, store set-up and the sidebar."""

from __future__ import annotations

import time

import streamlit as st

from core.config import activate_store, unreachable
from core.ui.common import error_message, plain
from core.ui.sidebar import render_sidebar

PAGES = [
    ("pages/home.py", "Home: lifecycle board", "🏠"),
    ("pages/question.py", "Q — Question & KPIs", "❓"),
    ("pages/data.py", "U — Understand the data", "📊"),
    ("pages/train.py", "A³ — Train & tune", "⚙️"),
    ("pages/compare.py", "C — Conclude & compare", "⚖️"),
    ("pages/registry.py", "K — Registry", "🏷️"),
    ("pages/predict.py", "Predict", "🔮"),
    ("pages/monitor.py", "CM — Monitor", "📈"),
]


def app_shell():
    """Set up the page and sidebar and return the navigation's selected page (not yet run)."""
    st.set_page_config(page_title="QUA³CK Workbench", page_icon="🦆", layout="wide")
    pages = [st.Page(path, title=title, icon=icon, default=i == 0) for i, (path, title, icon) in enumerate(PAGES)]
    navigation = st.navigation(pages)
    try:
        store = activate_store()
    except Exception as exc:  # noqa: BLE001 — say what is wrong instead of a traceback
        st.error(f"The MLflow store cannot be opened: {plain(error_message(exc))}")
        st.stop()
    if problem := _store_problem(store):
        st.sidebar.caption("🌐 " + plain(store.description))
        st.error(
            f"🔌 {plain(problem)} Nothing can be read from or saved to the store until it answers again: check that "
            "the server runs (and MLFLOW_TRACKING_URI), then try again."
        )
        st.button("Try again", key="store_retry", type="primary")
        st.stop()
    render_sidebar()
    return navigation


_answered_at = [float("-inf")]
PROBE_EVERY_S = 10.0  # while the server answers, probe at most this often (each rerun would add a round trip)


def _store_problem(store) -> str | None:
    """Why the store does not answer (probed at most every PROBE_EVERY_S while it does), or None."""
    if time.monotonic() - _answered_at[0] < PROBE_EVERY_S:
        return None
    problem = unreachable(store)
    if problem is None:
        _answered_at[0] = time.monotonic()
    return problem


def ensure_shell() -> None:
    """Make sure the page runs inside the shell (navigation, store, sidebar) even when Home.py did not run.

    With a ``pages/`` folder beside the entry point, Streamlit's legacy router handles the first request of a
    fresh server (and every AppTest run) and executes the page file alone. On a real server we switch that
    router off and rerun, so the request goes through Home.py like every later one (building the shell
    inside the page instead makes the first click after a deep link get lost). AppTest resets the router
    before each run and drops clicks on such a rerun, so there the shell is built in place.
    """
    from streamlit import config
    from streamlit.runtime.pages_manager import PagesManager

    if not PagesManager.uses_pages_directory:
        return
    if config.get_option("global.appTest"):
        app_shell()
    else:
        PagesManager.uses_pages_directory = False
        st.rerun()
