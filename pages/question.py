"""Q — the question and its KPIs, stored on the MLflow experiment."""

import streamlit as st

from core.codegen.snippets import question as snippets
from core.common.i18n import tr
from core.question.kpis import KPI, METRICS, OPERATORS, KPIError
from core.registry import governance
from core.ui.common import error_message, guarded_button, show_code
from core.ui.context import require_project
from core.ui.i18n import t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets import question as widgets

phase_header("question")
project = require_project()
current = {k.metric: k for k in project.kpis}

question = st.text_area(
    t("question.question_label"),
    value=project.question,
    key="question_text",
    height=110,
    placeholder=t("question.question_placeholder"),
)

st.subheader(t("question.kpis_header"))
st.caption(t("question.kpis_caption"))
rows = []
for metric, info in METRICS.items():
    existing = current.get(metric)
    use_col, op_col, value_col = st.columns([3, 1, 2])
    use = use_col.checkbox(t(f"metrics.{metric}"), value=existing is not None, key=f"question_use_{metric}")
    default_op = existing.op if existing else (">=" if info.higher_is_better else "<")
    op = op_col.selectbox(
        t("question.comparator"),
        list(OPERATORS),
        index=list(OPERATORS).index(default_op),
        key=f"question_op_{metric}",
        label_visibility="collapsed",
        disabled=not use,
    )
    default_value = existing.threshold if existing else (0.9 if info.is_score else 500.0)
    threshold = value_col.number_input(
        t("question.threshold"),
        value=float(default_value),
        key=f"question_threshold_{metric}",
        label_visibility="collapsed",
        disabled=not use,
        format="%.3f" if info.is_score else "%.0f",
    )
    if use:
        rows.append((metric, op, threshold))

actor, blocked = widgets.rules_guard(project, rows)
if guarded_button(t("question.save"), blocked=blocked, type="primary", key="question_save"):
    try:
        kpis = [KPI(metric, op, threshold) for metric, op, threshold in rows]
        if not question.strip():
            raise KPIError(tr("question.no_question"))
        project = governance.save_question_and_kpis(project.experiment_id, question, kpis, actor, widgets.reason())
        saved = ", ".join(k.shown() for k in kpis) or t("question.no_kpis")
        st.success(t("question.saved", project=plain(project.name), kpis=saved))
    except ValueError as exc:
        st.error(plain(error_message(exc)))
widgets.kpi_changes(project)
if project.question:
    show_code(snippets.save_question(project.name, project.question, list(project.kpis)))
