"""C — compare runs on the held-out test set against the project's KPIs."""

import pandas as pd
import streamlit as st

from core import charts, diagnostics, evidence, runs
from core.kpis import SCORE_METRICS, primary_metric
from core.ui import cache, keys
from core.ui.actions import run_action, show_outcome
from core.ui.common import inert_chart, phase_header, plain, require_project
from core.ui.compare_widgets import collect_evidence, conclusion_form, show_difference, show_evidence
from core.ui.runs_widgets import runs_table, search_view
from core.ui.widgets import export_button

phase_header(
    "⚖️ C — Conclude and compare",
    "Cross-validation scores guide the search; the verdict comes from rows no model has seen. Here each "
    "chosen run's model predicts the project's held-out test rows once: accuracy and the other scores, a "
    "confusion matrix, permutation importance and the single-row predict latency (p50/p95) are logged back to "
    "the run in MLflow, and checked against the KPIs from the Q phase. For two runs, a statistical test says "
    "whether their difference is real.",
)
project = require_project()
show_outcome()
metric = primary_metric(project.kpis)
fingerprint = runs.latest_change(project.experiment_id)
table = cache.runs_table(project.experiment_id, metric, fingerprint)
if table.empty:
    st.info("No runs yet: train a model first.")
    st.page_link("pages/train.py", label="Go to training", icon="⚙️")
    st.stop()

st.subheader(f"Runs of '{plain(project.name)}' ({len(table)})")
runs_table(project, table, metric, fingerprint)
searches = int((table["kind"] == "search").sum())
with st.expander(f"🔎 Inside a search ({searches} search{'' if searches == 1 else 'es'})"):
    search_view(table, metric, fingerprint)
candidates = table[table["has_model"]]
if candidates.empty:
    st.info("None of these runs has a model the workbench logged, so there is nothing to evaluate yet.")
    st.stop()
labels = runs.run_labels(candidates)
chosen = st.multiselect(
    "Runs to compare (up to four)",
    list(labels),
    default=list(candidates.sort_values("cv_score", ascending=False)["run_id"][:2]),
    format_func=labels.get,
    max_selections=4,
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


def evaluate(run_ids: list[str], again: bool = False) -> str:
    """Evaluate runs on the held-out rows (callback: runs before the page); failures are kept per run."""
    with st.spinner("Predicting the held-out rows and timing single-row predictions…"):
        done, failed = evidence.evaluate_many(run_ids, project.kpis, again=again)
    errors = st.session_state.setdefault(keys.EVALUATION_ERRORS, {})
    errors.update(failed)
    for run_id in done:
        errors.pop(run_id, None)
    cache.forget_runs()
    if not done:
        raise ValueError(f"No run could be evaluated: {next(iter(failed.values()))}")
    said = f"Evaluated {len(done)} run(s) on {project.name}'s held-out test rows; results are logged to each run."
    return said + (f" {len(failed)} could not be evaluated (see below)." if failed else "")


stored = {run_id: cache.stored_evaluation(run_id) for run_id in chosen}
errors = st.session_state.get(keys.EVALUATION_ERRORS, {})
for run_id in chosen:
    if stored[run_id] is None and run_id in errors:
        st.warning(f"**{plain(labels[run_id])}** cannot be evaluated: {plain(errors[run_id])}")
missing = [run_id for run_id, ev in stored.items() if ev is None]
if missing:
    st.button(
        f"🧪 Evaluate {len(missing)} run(s) on the held-out test set",
        type="primary",
        key="compare_evaluate",
        on_click=run_action,
        args=(lambda: evaluate(missing),),
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
            "latency p50 (ms)": ev.metrics.get("latency_ms_p50"),
            "latency p95 (ms)": ev.metrics["latency_ms"],
            "verdict": runs.VERDICTS.get(ev.verdict(project.kpis), ev.verdict(project.kpis)),
        }
        for r, ev in evaluated.items()
    ]
)
st.dataframe(summary, hide_index=True, width="stretch")
bars = diagnostics.comparison_table(
    {labels[r].split(" · ")[0]: m for r, m in cache.run_metrics(tuple(evaluated)).items()}, SCORE_METRICS
)
inert_chart(st, charts.metric_bars_with_cv(bars), key="compare_metric_bars")
st.caption("Bars: scores on the held-out test rows. Diamonds: cross-validation mean ± standard deviation.")
for column, (run_id, ev) in zip(st.columns(len(evaluated)), evaluated.items(), strict=True):
    with column:
        verdict = ev.verdict(project.kpis)
        st.markdown(f"**{plain(labels[run_id])}** — KPI verdict: {runs.VERDICTS.get(verdict, verdict)}")
        for result in ev.kpi_results(project.kpis):
            value = "—" if result.value is None else f"{result.value:.4g}"
            st.markdown(f"{'✅' if result.passed else '❌'} `{result.kpi}` — measured {value}")
        inert_chart(st, charts.confusion_heatmap(ev.labels, ev.confusion), key=f"compare_cm_{run_id}")

found, data_runs, datasets = collect_evidence(evaluated)
stale = [r for r, ev in evaluated.items() if evidence.needs_renewal(ev)]
if stale:
    st.button(
        f"🔁 Evaluate {len(stale)} run(s) again to add the newer evidence",
        key="compare_reevaluate",
        on_click=run_action,
        args=(lambda: evaluate(stale, again=True),),
        help="These runs were evaluated before the workbench stored predictions per row or permutation importance.",
    )
st.subheader("Evidence on the held-out rows")
show_evidence(found, evaluated, labels)
if len(evaluated) == 2:
    show_difference(evaluated, labels, data_runs, datasets, metric)
conclusion_form(evaluated, labels)
st.page_link("pages/registry.py", label="Next: register the model you trust", icon="➡️")
