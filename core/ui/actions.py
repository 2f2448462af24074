"""Button callbacks: run a core action before the page renders, and keep its outcome for the page to show.

Callbacks run before the script, so the page shows the new state (a new version, a moved alias) in the
same run, without a second ``st.rerun()``.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from core.ui.common import error_message
from core.ui.text import plain

PAGE = "page"
SIDEBAR = "sidebar"


def run_action(action: Callable[[], str], slot: str = PAGE) -> None:
    """Call ``action``; keep its success line, or one line about the error it raised, in ``slot``."""
    try:
        st.session_state[f"outcome_{slot}"] = ("success", action())
    except Exception as exc:  # noqa: BLE001 — a person sees one clear line, never a traceback
        st.session_state[f"outcome_{slot}"] = ("error", error_message(exc))


def show_outcome(where=st, slot: str = PAGE) -> None:
    """Render and forget the outcome of the last action in ``slot``, if any."""
    outcome = st.session_state.pop(f"outcome_{slot}", None)
    if outcome:
        kind, text = outcome
        (where.success if kind == "success" else where.error)(plain(text, code=True))  # names in it stay text
