"""AppTest fixtures: the real Home.py router against the test's temporary store, caches cleared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.ui.text import WORD_JOINER

ROOT = Path(__file__).resolve().parents[2]


def texts(elements) -> str:
    """All values of a sequence of AppTest elements joined as a person reads them (markdown's backslash escapes and
    the invisible word joiners that stop autolinks taken out), for substring assertions."""
    joined = "\n".join(str(e.value) for e in elements)
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", joined).replace(WORD_JOINER, "")


def no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture
def app(store):
    """A fresh AppTest of Home.py, already run once."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.run()
    no_exception(at)
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Switch to pages/<page>.py and run it, failing on any exception."""
    at.switch_page(f"pages/{page}.py").run()
    no_exception(at)
    return at


def new_project_button(at: AppTest):
    """The sidebar's "Create project" form button (other sidebar buttons, such as the tour's, come and go)."""
    return next(b for b in at.sidebar.button if str(b.key).startswith("FormSubmitter:sidebar_new_project"))
