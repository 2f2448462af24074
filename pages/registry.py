"""K — register models as versions, promote them through the gate by button, audit, roll back, model card."""

import pandas as pd
import streamlit as st

from core.codegen.snippets import registry as snippets
from core.compare import runs
from core.compare.evaluation import verdict_label
from core.question.kpis import primary_metric
from core.registry import model_registry
from core.ui import cache, context
from core.ui.actions import run_action, show_outcome
from core.ui.common import show_code, show_table
from core.ui.context import require_project
from core.ui.i18n import t
from core.ui.identity import identity_box
from core.ui.shell import phase_header
from core.ui.text import joined
from core.ui.widgets.registry import (
    audit_timeline,
    model_card_section,
    promotion_form,
    protection_settings,
    remove_form,
    version_diff_section,
    version_history,
)
from core.ui.widgets.requests import requests_section, waiting_notice
from core.ui.widgets.retrain import retrain_panel

REGISTERED = "registry_registered"  # plain session key: what the last registration of this session did
NAMES = "registry_names"  # plain session key: experiment id -> the model name typed for that project

phase_header("registry")
project = require_project()
show_outcome()
state = st.session_state
metric = primary_metric(project.kpis)
with st.container(border=True):
    actor = identity_box()


def register() -> str:
    tags = model_registry.parse_tags(state.get("registry_tags", ""))
    info = model_registry.register(
        state["registry_run"], state["registry_model_name"], state["registry_description"], tags
    )
    cache.forget_models()
    context.focus_model(info.name)  # the new version is what K, Predict and Monitor show next
    state[REGISTERED] = {
        "run_id": state["registry_run"],
        "model_uri": info.source,
        "name": info.name,
        "description": state["registry_description"],
        "tags": tags,
    }
    return t("registry.registered", name=info.name, version=info.version)


st.subheader(t("registry.register_header"))
table = runs.training_runs(project.experiment_id, metric)
with_model = table[table["has_model"]] if not table.empty else table
if with_model.empty:
    st.info(t("registry.no_run_with_model"))
else:
    labels = runs.run_labels(with_model)
    order = with_model.sort_values(["test_score", "cv_score"], ascending=False, na_position="last")["run_id"]
    verdicts = dict(zip(with_model["run_id"], with_model["verdict"], strict=True))
    options = {r: f"{labels[r]} · {verdict_label(verdicts[r])}" for r in order}
    st.selectbox(t("registry.run"), list(options), format_func=options.get, key="registry_run")
    existing = [m.name for m in model_registry.list_models()]
    own = [m.name for m in cache.project_models(project.experiment_id)]
    # the project's own model gets the next version; a new project a name of its own (kept per project)
    names = state.setdefault(NAMES, {})
    state["registry_model_name"] = (
        names.get(project.experiment_id)
        or (own[0] if own else None)
        or (model_registry.suggested_model_name(project.name))
    )
    left, right = st.columns(2)
    left.text_input(
        t("registry.model_name"),
        key="registry_model_name",
        on_change=lambda: names.__setitem__(project.experiment_id, state["registry_model_name"]),
        help=t("registry.model_name_help", names=joined(existing) or t("registry.none")),
    )
    right.text_input(t("registry.version_description"), key="registry_description")
    st.text_area(t("registry.version_tags"), key="registry_tags", height=68)
    st.button(
        t("registry.register_button"), type="primary", key="registry_register", on_click=run_action, args=(register,)
    )
    if state.get(REGISTERED):
        show_code(snippets.register_model(**state[REGISTERED]))

models = model_registry.list_models()
if not models:
    st.stop()
st.subheader(t("registry.versions_header"))
names_in_store = [m.name for m in models]
own = [m.name for m in cache.project_models(project.experiment_id)]
in_focus = context.model_in_focus(names_in_store, own)
state["registry_model"] = in_focus or names_in_store[0]  # a stand-in is shown, not put in focus
model_name = st.selectbox(
    t("registry.registered_model"),
    names_in_store,
    key="registry_model",
    on_change=lambda: context.focus_model(state["registry_model"]),
)
if in_focus is not None and context.focused().get("model") != model_name:
    context.focus_model(model_name)
versions = model_registry.versions_table(model_name)
frame = pd.DataFrame(versions)
frame["created"] = pd.to_datetime(frame["created"], unit="ms")
frame["verdict"] = frame["verdict"].map(verdict_label)
columns = {
    "version": t("registry.col_version"),
    "aliases": t("registry.col_aliases"),
    "run": t("registry.col_run"),
    "algorithm": t("registry.col_algorithm"),
    "data_digest": t("registry.col_data_digest"),
    "test_accuracy": t("registry.col_test_accuracy"),
    "test_f1_macro": t("registry.col_test_f1_macro"),
    "latency_p95_ms": t("registry.col_latency_p95_ms"),
    "verdict": t("registry.col_verdict"),
    "conclusion": t("registry.col_conclusion"),
    "created": t("registry.col_created"),
    "description": t("registry.col_description"),
}
show_table(frame.rename(columns=columns), hide_index=True, width="stretch")
aliases = model_registry.get_model(model_name).aliases
if aliases:
    st.markdown("  ".join(f"`@{a}` → v{v}" for a, v in sorted(aliases.items())))
waiting_notice(model_name, actor)
version_history(model_name, versions, project.kpis)
version_diff_section(model_name, versions, aliases, metric)
protection_settings(model_name, actor)

set_col, remove_col = st.columns([3, 2])
with set_col, st.container(border=True):
    promotion_form(model_name, versions, aliases, actor, metric)
with remove_col, st.container(border=True):
    remove_form(model_name, aliases, actor)
requests_section(model_name, aliases, actor)
audit_timeline(model_name, actor, versions)
with st.container(border=True):
    retrain_panel(model_name, actor)
model_card_section(model_name, versions, aliases)
st.page_link("pages/predict.py", label=t("registry.next_predict"), icon="➡️")
