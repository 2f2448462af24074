"""K — register models as versions, promote them through the gate by button, audit, roll back, model card."""

import pandas as pd
import streamlit as st

from core import registry, runs
from core.kpis import primary_metric
from core.ui.actions import run_action, show_outcome
from core.ui.common import phase_header, plain, require_project
from core.ui.identity import identity_box
from core.ui.registry_widgets import (
    audit_timeline,
    model_card_section,
    promotion_form,
    protection_settings,
    remove_form,
)
from core.ui.retrain_widgets import retrain_panel

phase_header(
    "🏷️ K — Knowledge transfer: the model registry",
    "A registered model is a named container of versions; each version points at the run that produced "
    "it, with its data digest and metrics. Aliases such as `champion` or `production` are movable "
    "pointers: applications load `models:/<name>@production`, and moving the alias changes what they "
    "serve without touching their code. Protected aliases only move to versions that pass their KPIs "
    "(or with a written override), every change is recorded in the registry, and one click rolls it back.",
)
project = require_project()
show_outcome()
state = st.session_state
metric = primary_metric(project.kpis)
with st.container(border=True):
    actor = identity_box()


def register() -> str:
    tags = registry.parse_tags(state.get("registry_tags", ""))
    info = registry.register(state["registry_run"], state["registry_model_name"], state["registry_description"], tags)
    return f"Registered '{info.name}' version {info.version}."


st.subheader("Register a run's model")
table = runs.training_runs(project.experiment_id, metric)
with_model = table[table["has_model"]] if not table.empty else table
if with_model.empty:
    st.info("No run with a model yet: train one first.")
else:
    labels = runs.run_labels(with_model)
    order = with_model.sort_values(["test_score", "cv_score"], ascending=False, na_position="last")["run_id"]
    verdicts = dict(zip(with_model["run_id"], with_model["verdict"], strict=True))
    st.selectbox(
        "Run", list(order), format_func=lambda r: f"{labels[r]} · {runs.VERDICTS.get(verdicts[r])}", key="registry_run"
    )
    existing = [m.name for m in registry.list_models()]
    left, right = st.columns(2)
    left.text_input(
        "Registered model name (new or existing)",
        value=registry.suggested_model_name(project.name),
        key="registry_model_name",
        help="Existing: " + (", ".join(map(plain, existing)) or "none"),
    )
    right.text_input("Version description (optional)", key="registry_description")
    st.text_area("Version tags (optional, one key=value per line)", key="registry_tags", height=68)
    st.button(
        "📦 Register as a new version", type="primary", key="registry_register", on_click=run_action, args=(register,)
    )

models = registry.list_models()
if not models:
    st.stop()
st.subheader("Versions and aliases")
model_name = st.selectbox("Registered model", [m.name for m in models], key="registry_model")
versions = registry.versions_table(model_name)
frame = pd.DataFrame(versions)
frame["created"] = pd.to_datetime(frame["created"], unit="ms")
frame["verdict"] = frame["verdict"].map(lambda v: runs.VERDICTS.get(v, v))
st.dataframe(frame, hide_index=True, width="stretch")
aliases = registry.get_model(model_name).aliases
if aliases:
    st.markdown("  ".join(f"`@{a}` → v{v}" for a, v in sorted(aliases.items())))
protection_settings(model_name, actor)

set_col, remove_col = st.columns([3, 2])
with set_col, st.container(border=True):
    promotion_form(model_name, versions, aliases, actor, metric)
with remove_col, st.container(border=True):
    remove_form(model_name, aliases, actor)
audit_timeline(model_name, actor)
with st.container(border=True):
    retrain_panel(model_name, actor)
model_card_section(model_name, versions, aliases)
st.page_link("pages/predict.py", label="Next: predict with an alias", icon="➡️")
