"""Q — the question and its KPIs, stored on the MLflow experiment."""

import streamlit as st

from core import projects
from core.kpis import KPI, METRICS, OPERATORS, KPIError
from core.ui.common import error_message, phase_header, plain, require_project

phase_header(
    "❓ Q — Question and KPIs",
    "Every project starts with a precise question and measurable goals. The KPIs you set here decide "
    "later, on the held-out test set, whether a model is good enough. They are stored on the MLflow "
    "experiment (tags and description), so they travel with the project into `mlflow ui` and CI pipelines.",
)
project = require_project()
current = {k.metric: k for k in project.kpis}

question = st.text_area(
    "What should the model answer, for whom, and why?",
    value=project.question,
    key="question_text",
    height=110,
    placeholder="e.g. Which iris species is a flower, judged by its sepal and petal sizes?",
)

st.subheader("KPIs")
st.caption("Tick the metrics that must be met. Scores are between 0 and 1; latency is the single-row p95 in ms.")
rows = []
for metric, info in METRICS.items():
    existing = current.get(metric)
    use_col, op_col, value_col = st.columns([3, 1, 2])
    use = use_col.checkbox(info.label, value=existing is not None, key=f"question_use_{metric}")
    default_op = existing.op if existing else (">=" if info.higher_is_better else "<")
    op = op_col.selectbox(
        "Comparator",
        list(OPERATORS),
        index=list(OPERATORS).index(default_op),
        key=f"question_op_{metric}",
        label_visibility="collapsed",
        disabled=not use,
    )
    default_value = existing.threshold if existing else (0.9 if info.is_score else 500.0)
    threshold = value_col.number_input(
        "Threshold",
        value=float(default_value),
        key=f"question_threshold_{metric}",
        label_visibility="collapsed",
        disabled=not use,
        format="%.3f" if info.is_score else "%.0f",
    )
    if use:
        rows.append((metric, op, threshold))

if st.button("Save question and KPIs", type="primary", key="question_save"):
    try:
        kpis = [KPI(metric, op, threshold) for metric, op, threshold in rows]
        if not question.strip():
            raise KPIError("Write the question first: a project without a question cannot be judged.")
        projects.save_question_and_kpis(project.experiment_id, question, kpis)
        st.success(f"Saved on experiment '{plain(project.name)}': " + (", ".join(str(k) for k in kpis) or "no KPIs"))
    except ValueError as exc:
        st.error(plain(error_message(exc)))
