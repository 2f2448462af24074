"""The shared sidebar: which store is in use and which project (MLflow experiment) is selected."""

from __future__ import annotations

import streamlit as st

from core.common.config import active_store
from core.data import datastore, sets
from core.question import projects
from core.train import cluster
from core.ui import context, keys
from core.ui.actions import SIDEBAR, run_action, show_outcome
from core.ui.common import error_message
from core.ui.i18n import language_picker, t
from core.ui.text import plain


def _create_example() -> str:
    """The handout's Iris example: question, KPIs and the iris data with the default split."""
    project = projects.ensure_example_project()
    if not project.data_run_id:
        datastore.record_dataset(project.experiment_id, sets.load_builtin("iris"), "iris", "species")
    context.set_project(project.experiment_id)
    return t("sidebar.example_created", name=project.name)


def _create_project() -> str:
    project = projects.create_project(st.session_state.get("sidebar_new_name", ""))
    context.set_project(project.experiment_id)
    return t("sidebar.project_created", name=project.name)


def _select(experiment_id: str) -> None:
    context.set_project(experiment_id)


def render_sidebar() -> projects.Project | None:
    """Draw the store status and project picker; return the selected project."""
    sidebar = st.sidebar
    language_picker(sidebar)
    store = active_store()
    where = ("🗄️ " if store.embedded else "🌐 ") + plain(store.description)
    scheduler = cluster.scheduler_address()
    if scheduler is not None:  # the same line: where the work runs belongs with where it is stored
        where += " · 🧮 " + plain(cluster.describe(scheduler))
    try:
        all_projects = projects.list_projects()
    except Exception as exc:  # noqa: BLE001 — an unreachable store must not break the page
        sidebar.error(t("sidebar.store_unreachable", error=plain(error_message(exc))))
        sidebar.caption(where)
        return None
    sidebar.caption(where)

    by_id = {p.experiment_id: p for p in all_projects}
    current = st.session_state.get(keys.PROJECT_ID)
    if current not in by_id:
        current = all_projects[0].experiment_id if all_projects else None
        st.session_state[keys.PROJECT_ID] = current
    if all_projects:
        # The widget mirrors the plain key; the callback copies a person's choice back before the run.
        st.session_state["sidebar_project"] = current
        sidebar.selectbox(
            t("sidebar.project_label"),
            list(by_id),
            format_func=lambda i: by_id[i].name,
            key="sidebar_project",
            on_change=lambda: _select(st.session_state["sidebar_project"]),
        )
    else:
        sidebar.info(t("sidebar.no_projects"))

    if projects.find_project(projects.EXAMPLE_NAME) is None:
        sidebar.button(
            t("sidebar.create_example", name=projects.EXAMPLE_NAME),
            key="sidebar_example",
            type="primary" if not all_projects else "secondary",
            on_click=run_action,
            args=(_create_example, SIDEBAR),
        )
    with (
        sidebar.expander(t("sidebar.new_project"), expanded=not all_projects),
        st.form("sidebar_new_project", clear_on_submit=True, border=False),
    ):
        st.text_input(t("sidebar.name"), key="sidebar_new_name", placeholder=t("sidebar.name_placeholder"))
        st.form_submit_button(t("sidebar.create_project"), on_click=run_action, args=(_create_project, SIDEBAR))
    show_outcome(sidebar, SIDEBAR)
    return by_id.get(current) if current else None
