"""The app shell shared by every page: page config, navigation, store set-up and the sidebar."""

from __future__ import annotations

import contextlib
import time

import streamlit as st
from streamlit import config
from streamlit.runtime.pages_manager import PagesManager

from core.common import run_recovery
from core.common.config import activate_store, unreachable
from core.ui import cache, context, i18n
from core.ui.common import stop_on_error
from core.ui.i18n import t
from core.ui.sidebar import render_sidebar
from core.ui.text import plain
from core.ui.widgets.tour import after_page, render_tour_panel, sidebar_launcher

# page file, catalogue key of its navigation title, icon
PAGES = [
    ("pages/home.py", "shell.page_home", "🏠"),
    ("pages/question.py", "shell.page_question", "❓"),
    ("pages/data.py", "shell.page_data", "📊"),
    ("pages/train.py", "shell.page_train", "⚙️"),
    ("pages/compare.py", "shell.page_compare", "⚖️"),
    ("pages/registry.py", "shell.page_registry", "🏷️"),
    ("pages/predict.py", "shell.page_predict", "🔮"),
    ("pages/monitor.py", "shell.page_monitor", "📈"),
]


def app_shell(deferred: bool = False):
    """Set up the page and sidebar and return the navigation's selected page (not yet run). ``deferred``: the
    caller runs the page, then ``after_page()`` (Home.py does; a page building the shell in place does not)."""
    st.set_page_config(page_title="QUA³CK Workbench", page_icon="🦆", layout="wide")
    i18n.install()
    # URL paths come from the file names, so links and bookmarks work in both languages
    pages = [st.Page(path, title=t(key), icon=icon, default=i == 0) for i, (path, key, icon) in enumerate(PAGES)]
    navigation = st.navigation(pages)
    with stop_on_error(Exception, "shell.store_cannot_open"):  # say what is wrong instead of a traceback
        store = activate_store()
    if problem := _store_problem(store):
        st.sidebar.caption("🌐 " + plain(store.description))
        st.error(t("shell.store_down", problem=plain(problem)))
        st.button(t("shell.try_again"), key="store_retry", type="primary")
        st.stop()
    with contextlib.suppress(Exception):  # a search cut off by a stopped server: end its runs now it answers
        run_recovery.end_remembered()
    with contextlib.suppress(Exception):  # runs a killed server left RUNNING: ended once, at this process's start
        cache.orphans_swept(store.tracking_uri)
    with contextlib.suppress(Exception):  # a deep link naming what is not there leaves the focus as it was
        context.apply_deep_link()
    render_sidebar()
    sidebar_launcher()
    render_tour_panel(navigation, deferred)
    return navigation


def run_page(navigation) -> None:
    """Run the selected page, then what the shell draws after it (the tour's box that watches the page's clicks),
    also when the page stops early."""
    try:
        navigation.run()
    finally:
        after_page()


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

    if not PagesManager.uses_pages_directory:
        return
    if config.get_option("global.appTest"):
        app_shell()
    else:
        PagesManager.uses_pages_directory = False
        st.rerun()


def phase_header(area: str) -> None:
    """Page title plus a collapsed explanation of the phase. The title is the page's label in the sidebar
    (``shell.page_<area>``, the same key, so the two never differ) with its icon; below it ``<area>.subtitle``,
    and in the box ``<area>.phase`` (the phase in QUA³CK), ``<area>.mlops`` (the practice that modernises it)
    and ``<area>.decide`` (what the person decides here)."""
    ensure_shell()
    icon = next(icon for _, key, icon in PAGES if key == f"shell.page_{area}")
    st.title(f"{icon} {t(f'shell.page_{area}')}")
    st.caption(t(f"{area}.subtitle"))
    with st.expander(t("shell.phase_expander"), expanded=False):
        st.markdown(f"**{t('shell.phase_in_qua3ck')}** {t(f'{area}.phase')}")
        st.markdown(f"**{t('shell.phase_mlops')}** {t(f'{area}.mlops')}")
        st.markdown(f"**{t('shell.phase_decide')}** {t(f'{area}.decide')}")
