"""C — compare runs on the held-out test set against the project's KPIs."""

import pandas as pd
import streamlit as st

from core import charts, diagnostics, evaluation, evidence, runs
from core.kpis import SCORE_METRICS
from core.ui.actions import run_action, show_outcome
from core.ui.common import phase_header, require_project
from core.ui.compare_widgets import collect_evidence, conclusion_form, show_difference, show_evidence
from core.ui.widgets import export_button

phase_header(
    "⚖️ C — Conclude and compare",
    "Cross-validation scores guide the search; the verdict comes from rows no model has seen. Here each "
    "chosen run's model predicts the project's held-out test rows once: accuracy and the other scores, a "
    "confusion matrix and the single-row predict latency (p95) are logged back to the run in MLflow, and "
    "checked against the KPIs from the Q phase.",
)
project = require_project()
show_outcome()
metric = runs.primary_metric(project.kpis)
table = runs.training_runs(project.experiment_id, metric)
if table.empty:
    st.info("No runs yet: train a model first.")
    st.page_link("pages/train.py", label="Go to training", icon="⚙️")
    st.stop()

st.subheader(f"Runs of '{project.name}' ({len(table)})")
st.dataframe(runs.overview(table, metric), hide_index=True, width="stretch")
candidates = table[table["has_model"]]
labels = runs.run_labels(candidates)
default = list(candidates.sort_values("cv_score", ascending=False)["run_id"][:2])
chosen = st.multiselect(
    "Runs to compare",
    list(labels),
    default=default,
    format_func=labels.get,
    key="compare_runs",
)
with st.expander("⬇️ Export a run as a Python script"):
    st.caption(
        "A standalone script (mlflow, pandas, scikit-learn) that rebuilds the run's model from the same store and "
        "prints its cross-validated scores next to the recorded ones: the bridge from the browser to train.py."
    )
    exported = st.selectbox("Run", list(labels), format_func=labels.get, key="compare_export_run")
    if exported:
        export_button(exported, "compare_export")
if not chosen:
    st.stop()


def evaluate_missing() -> str:
    """Evaluate the chosen runs that have no stored evaluation yet (callback: runs before the page)."""
    todo = [r for r in st.session_state["compare_runs"] if evaluation.load_evaluation(r) is None]
    with st.spinner("Predicting the held-out rows and timing single-row predictions…"):
        for run_id in todo:
            evaluation.evaluate_run(run_id, project.kpis)
    return f"Evaluated {len(todo)} run(s) on {project.name}'s held-out test rows; results are logged to each run."


def reevaluate(run_ids: list[str]) -> str:
    """Evaluate runs again (callback), storing predictions and probabilities per held-out row."""
    with st.spinner("Predicting the held-out rows again…"):
        for run_id in run_ids:
            evaluation.evaluate_run(run_id, project.kpis, again=True)
    return f"Evaluated {len(run_ids)} run(s) again; the per-row evidence is stored with each run."


stored = {run_id: evaluation.load_evaluation(run_id) for run_id in chosen}
missing = [run_id for run_id, ev in stored.items() if ev is None]
if missing:
    st.button(
        f"🧪 Evaluate {len(missing)} run(s) on the held-out test set",
        type="primary",
        key="compare_evaluate",
        on_click=run_action,
        args=(evaluate_missing,),
    )
    st.caption(f"{len(missing)} chosen run(s) are not evaluated yet.")

evaluated = {run_id: ev for run_id, ev in stored.items() if ev is not None}
if not evaluated:
    st.stop()
st.subheader("Held-out test results")
summary = pd.DataFrame(
    [
        {
            "run": labels[r].split(" · ")[0],
            **{m: ev.metrics[m] for m in SCORE_METRICS},
            "latency_ms": ev.metrics["latency_ms"],
            "verdict": ev.verdict(project.kpis),
        }
        for r, ev in evaluated.items()
    ]
)
st.dataframe(summary, hide_index=True, width="stretch")
bars = diagnostics.comparison_table(
    {labels[r].split(" · ")[0]: m for r, m in evidence.run_metrics(list(evaluated)).items()}, SCORE_METRICS
)
st.plotly_chart(charts.metric_bars_with_cv(bars), key="compare_metric_bars")
st.caption("Bars: scores on the held-out test rows. Diamonds: cross-validation mean ± standard deviation.")
for column, (run_id, ev) in zip(st.columns(len(evaluated)), evaluated.items(), strict=True):
    with column:
        verdict = ev.verdict(project.kpis)
        st.markdown(f"**{labels[run_id]}** — KPI verdict: {'✅ pass' if verdict == 'pass' else '❌ ' + verdict}")
        for result in ev.kpi_results(project.kpis):
            value = "—" if result.value is None else f"{result.value:.4g}"
            st.markdown(f"{'✅' if result.passed else '❌'} `{result.kpi}` — measured {value}")
        st.plotly_chart(
            charts.confusion_heatmap(ev.labels, ev.confusion),
            key=f"compare_cm_{run_id}",
        )

found, data_runs, datasets = collect_evidence(evaluated)
stale = [r for r, ev in evaluated.items() if ev.predictions is None]
if stale:
    st.button(
        f"🔁 Evaluate {len(stale)} run(s) again to add per-row evidence",
        key="compare_reevaluate",
        on_click=run_action,
        args=(lambda: reevaluate(stale),),
        help="These runs were evaluated before predictions per held-out row were stored.",
    )
st.subheader("Evidence on the held-out rows")
show_evidence(found, evaluated, labels)
if len(evaluated) == 2:
    show_difference(evaluated, labels, data_runs, datasets)
conclusion_form(evaluated, labels)
st.page_link("pages/registry.py", label="Next: register the model you trust", icon="➡️")
