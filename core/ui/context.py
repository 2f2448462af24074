"""The lifecycle context: what the person has in focus, read and written by every page.

A project (an MLflow experiment) → its data run → its runs → the registered models built from them → the alias
served. What was chosen on one page is what the next page works with: registering a model puts it in focus on
K, Predict and Monitor; Predict and Monitor open on the selected project's model; a model or alias picked on one
page is the one on the next. Only *which* MLflow objects are in focus lives here, in plain session keys (widget
state is dropped when a page is left); everything about them is read from MLflow. A deep link sets the focus:
``?project=<experiment id or name>&model=<name>&alias=<alias>``.
"""

from __future__ import annotations

import streamlit as st

from core.question import projects
from core.registry import model_registry
from core.ui import keys
from core.ui.i18n import t

_LINK_SEEN = "context_link_seen"  # the deep-link parameters already applied in this session


def project_id() -> str | None:
    """The experiment id of the project in focus (picked in the sidebar), or None."""
    return st.session_state.get(keys.PROJECT_ID)


def set_project(experiment_id: str | None) -> None:
    st.session_state[keys.PROJECT_ID] = experiment_id


def current_project() -> projects.Project | None:
    """The project in focus, freshly read from MLflow (None when there is none)."""
    experiment_id = project_id()
    if not experiment_id:
        return None
    try:
        return projects.get_project(experiment_id)
    except projects.ProjectError:
        st.session_state.pop(keys.PROJECT_ID, None)
        return None


def require_project() -> projects.Project:
    """The project in focus, or stop the page with a pointer to the sidebar."""

    project = current_project()
    if project is None:
        st.info(t("common.pick_project"))
        st.stop()
    return project


def focus_model(name: str, alias: str | None = None) -> None:
    """Put a registered model (and optionally one of its aliases) in focus for the current project."""
    st.session_state[keys.FOCUS] = {"project": project_id(), "model": name, "alias": alias}


def focus_alias(alias: str) -> None:
    """Keep the model in focus, with ``alias`` as the alias served."""
    focus = dict(st.session_state.get(keys.FOCUS) or {})
    focus["alias"] = alias
    st.session_state[keys.FOCUS] = focus


def focused() -> dict:
    """The focus (``model``, ``alias``) when it was set for the current project; a project switch starts afresh."""
    focus = st.session_state.get(keys.FOCUS) or {}
    return focus if focus.get("project") == project_id() else {}


def model_in_focus(available: list[str], own: list[str]) -> str | None:
    """The model a page opens on among ``available``: the one in focus, else the project's newest model (``own``,
    newest first), else None (the page then says that the project has no model of its own)."""
    model = focused().get("model")
    if model in available:
        return model
    return next((name for name in own if name in available), None)


def alias_in_focus(model: str, aliases: list[str], default: str | None) -> str | None:
    """The alias a page opens on for ``model``: the one in focus when it is this model's, else ``default``."""
    focus = focused()
    if focus.get("model") == model and focus.get("alias") in aliases:
        return focus["alias"]
    return default if default in aliases else (aliases[0] if aliases else None)


def runs_in_focus() -> list[str] | None:
    """The runs chosen for comparison in the current project (None: none chosen yet)."""
    chosen = st.session_state.get(keys.FOCUS_RUNS) or {}
    return chosen.get(project_id())


def focus_runs(run_ids: list[str]) -> None:
    st.session_state.setdefault(keys.FOCUS_RUNS, {})[project_id()] = list(run_ids)


def apply_deep_link() -> None:
    """Set the focus from ``?project=…&model=…&alias=…``, once per distinct link in a session (so that a person's
    later choices are not overruled by the address they came in with)."""
    params = {name: st.query_params.get(name) for name in ("project", "model", "alias")}
    params = {name: value for name, value in params.items() if value}
    if not params or st.session_state.get(_LINK_SEEN) == params:
        return

    found = None
    if "project" in params:
        wanted = params["project"]
        found = next((p.experiment_id for p in projects.list_projects() if wanted in (p.experiment_id, p.name)), None)
    if found is None and "model" in params:
        try:  # no project named (or none by that name): the model's own project
            found = model_registry.experiment_of_model(params["model"])
        except ValueError:
            found = None  # no such model: the page says so when it looks for it
    if found is not None:
        set_project(found)
    if "model" in params:
        focus_model(params["model"], params.get("alias"))
    st.session_state[_LINK_SEEN] = params  # only once it was applied: a store that failed is asked again
