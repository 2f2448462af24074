"""K — register models as versions in the MLflow Model Registry and move aliases by button."""

import pandas as pd
import streamlit as st

from core import registry, runs
from core.ui import keys
from core.ui.common import error_message, phase_header, require_project

phase_header(
    "🏷️ K — Knowledge transfer: the model registry",
    "A registered model is a named container of versions; each version points at the run that produced "
    "it, with its data digest and metrics. Aliases such as `champion` or `production` are movable "
    "pointers: applications load `models:/<name>@production`, and moving the alias changes what they "
    "serve without touching their code.",
)
project = require_project()
if message := st.session_state.pop(keys.REGISTER_MESSAGE, None):
    st.success(message)

st.subheader("Register a run's model")
table = runs.training_runs(project.experiment_id, runs.primary_metric(project.kpis))
with_model = table[table["has_model"]] if not table.empty else table
if with_model.empty:
    st.info("No run with a model yet: train one first.")
else:
    labels = {
        r.run_id: f"{r.run} · {r.algorithm} · test {r.test_score:.3f} · {r.verdict}"
        if r.test_score == r.test_score
        else f"{r.run} · {r.algorithm} · {r.verdict}"
        for r in with_model.itertuples()
    }
    order = with_model.sort_values(["test_score", "cv_score"], ascending=False, na_position="last")["run_id"]
    run_id = st.selectbox("Run", list(order), format_func=labels.get, key="registry_run")
    existing = [m.name for m in registry.list_models()]
    left, right = st.columns(2)
    name = left.text_input(
        "Registered model name (new or existing)",
        value=registry.suggested_model_name(project.name),
        key="registry_model_name",
        help="Existing: " + (", ".join(existing) or "none"),
    )
    description = right.text_input("Version description (optional)", key="registry_description")
    if st.button("📦 Register as a new version", type="primary", key="registry_register"):
        try:
            info = registry.register(run_id, name, description)
            st.session_state[keys.REGISTER_MESSAGE] = f"Registered '{info.name}' version {info.version}."
            st.rerun()
        except ValueError as exc:
            st.error(error_message(exc))

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
        alias = st.text_input("Alias name", key="registry_alias_custom", placeholder="e.g. staging")
    version = st.selectbox("Version", [v["version"] for v in versions], key="registry_version")
    if st.button("Set alias", type="primary", key="registry_set_alias"):
        try:
            before = aliases.get(alias)
            registry.set_alias(model_name, alias, version)
            moved = f" (moved from v{before})" if before and before != version else ""
            st.session_state[keys.REGISTER_MESSAGE] = f"@{alias} now points at version {version}{moved}."
            st.rerun()
        except ValueError as exc:
            st.error(error_message(exc))
with remove_col, st.container(border=True):
    st.markdown("**Remove an alias**")
    if aliases:
        doomed = st.selectbox("Alias to remove", sorted(aliases), key="registry_remove_alias")
        if st.button("Remove alias", key="registry_remove"):
            registry.delete_alias(model_name, doomed)
            st.session_state[keys.REGISTER_MESSAGE] = f"Removed @{doomed}."
            st.rerun()
    else:
        st.caption("This model has no aliases.")
st.page_link("pages/predict.py", label="Next: predict with an alias", icon="➡️")
