"""The app shell shared by every page: page config, navigation, store set-up and the sidebar."""

from __future__ import annotations

import streamlit as st

from core.config import activate_store
from core.ui.common import error_message
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
        activate_store()
    except Exception as exc:  # noqa: BLE001 — say what is wrong instead of a traceback
        st.error(f"The MLflow store cannot be opened: {error_message(exc)}")
        st.stop()
    render_sidebar()
    return navigation


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
