"""Shared page helpers: the current project, error display and the phase explanation box."""

from __future__ import annotations

import streamlit as st

from core import projects
from core.errors import describe
from core.ui import keys


def current_project() -> projects.Project | None:
    """The project picked in the sidebar, freshly read from MLflow (None when there is none)."""
    experiment_id = st.session_state.get(keys.PROJECT_ID)
    if not experiment_id:
        return None
    try:
        return projects.get_project(experiment_id)
    except projects.ProjectError:
        st.session_state.pop(keys.PROJECT_ID, None)
        return None


def require_project() -> projects.Project:
    """The current project, or stop the page with a pointer to the sidebar."""
    project = current_project()
    if project is None:
        st.info("Pick or create a project in the sidebar first.")
        st.stop()
    return project


def phase_header(title: str, explanation: str) -> None:
    """Page title plus a collapsible explanation of the phase."""
    from core.ui.shell import ensure_shell

    ensure_shell()
    st.title(title)
    with st.expander("What happens in this phase?", expanded=False):
        st.markdown(explanation)


def error_message(exc: BaseException) -> str:
    """One readable line for an exception: our own messages as they are, others with their type."""
    return describe(exc)


_MARKDOWN_SPECIAL = "\\`*_{}[]<>()#+-.!|~$"


def plain(text: object) -> str:
    """Text shown through st.markdown-based elements exactly as written: no markdown, no HTML."""
    return "".join("\\" + c if c in _MARKDOWN_SPECIAL else c for c in str(text))
