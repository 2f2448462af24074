"""K — register models as versions in the MLflow Model Registry and move aliases by button."""

import pandas as pd
import streamlit as st

from core import registry, runs
from core.kpis import primary_metric
from core.ui.actions import run_action, show_outcome
from core.ui.common import phase_header, require_project

phase_header(
    "🏷️ K — Knowledge transfer: the model registry",
    "A registered model is a named container of versions; each version points at the run that produced "
    "it, with its data digest and metrics. Aliases such as `champion` or `production` are movable "
    "pointers: applications load `models:/<name>@production`, and moving the alias changes what they "
    "serve without touching their code.",
)
project = require_project()
show_outcome()
state = st.session_state


def register() -> str:
    info = registry.register(state["registry_run"], state["registry_model_name"], state["registry_description"])
    return f"Registered '{info.name}' version {info.version}."


def set_alias() -> str:
    alias = state["registry_alias"]
    alias = state.get("registry_alias_custom", "") if alias == "other…" else alias
    model, version = state["registry_model"], state["registry_version"]
    before = registry.get_model(model).aliases.get(alias)
    registry.set_alias(model, alias, version)
    moved = f" (moved from v{before})" if before and before != version else ""
    return f"@{alias} now points at version {version}{moved}."


def remove_alias() -> str:
    registry.delete_alias(state["registry_model"], state["registry_remove_alias"])
    return f"Removed @{state['registry_remove_alias']}."


st.subheader("Register a run's model")
table = runs.training_runs(project.experiment_id, primary_metric(project.kpis))
with_model = table[table["has_model"]] if not table.empty else table
if with_model.empty:
    st.info("No run with a model yet: train one first.")
else:
    labels = runs.run_labels(with_model)
    order = with_model.sort_values(["test_score", "cv_score"], ascending=False, na_position="last")["run_id"]
    st.selectbox("Run", list(order), format_func=labels.get, key="registry_run")
    existing = [m.name for m in registry.list_models()]
    left, right = st.columns(2)
    left.text_input(
        "Registered model name (new or existing)",
        value=registry.suggested_model_name(project.name),
        key="registry_model_name",
        help="Existing: " + (", ".join(existing) or "none"),
    )
    right.text_input("Version description (optional)", key="registry_description")
    st.button(
        "📦 Register as a new version", type="primary", key="registry_register", on_click=run_action, args=(register,)
    )

models = registry.list_models()
if not models:
    st.stop()
st.subheader("Versions and aliases")
names = [m.name for m in models]
model_name = st.selectbox("Registered model", names, key="registry_model")
versions = registry.versions_table(model_name)
frame = pd.DataFrame(versions)
frame["created"] = pd.to_datetime(frame["created"], unit="ms")
st.dataframe(frame, hide_index=True, width="stretch")
aliases = registry.get_model(model_name).aliases
if aliases:
    st.markdown("  ".join(f"`@{a}` → v{v}" for a, v in sorted(aliases.items())))

set_col, remove_col = st.columns(2)
with set_col, st.container(border=True):
    st.markdown("**Assign or move an alias**")
    choices = list(dict.fromkeys([*registry.STANDARD_ALIASES, *sorted(aliases), "other…"]))
    alias = st.selectbox("Alias", choices, key="registry_alias")
    if alias == "other…":
        st.text_input("Alias name", key="registry_alias_custom", placeholder="e.g. staging")
    st.selectbox("Version", [v["version"] for v in versions], key="registry_version")
    st.button("Set alias", type="primary", key="registry_set_alias", on_click=run_action, args=(set_alias,))
with remove_col, st.container(border=True):
    st.markdown("**Remove an alias**")
    if aliases:
        st.selectbox("Alias to remove", sorted(aliases), key="registry_remove_alias")
        st.button("Remove alias", key="registry_remove", on_click=run_action, args=(remove_alias,))
    else:
        st.caption("This model has no aliases.")
st.page_link("pages/predict.py", label="Next: predict with an alias", icon="➡️")
