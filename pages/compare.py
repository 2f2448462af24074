"""C — compare runs on the held-out test set against the project's KPIs."""

import pandas as pd
import streamlit as st

from core.codegen.snippets import compare as snippets
from core.common.errors import WorkbenchError
from core.common.i18n import plural_category, significant, tr
from core.compare import diagnostics, evidence, runs
from core.compare.evaluation import verdict_label
from core.question.kpis import SCORE_METRICS, primary_metric
from core.ui import cache, context, keys
from core.ui.actions import run_action, show_outcome
from core.ui.charts import compare as compare_charts
from core.ui.common import inert_chart, show_code, show_table
from core.ui.context import require_project
from core.ui.i18n import t
from core.ui.shell import phase_header
from core.ui.text import plain
from core.ui.widgets.compare import collect_evidence, conclusion_form, show_difference, show_evidence
from core.ui.widgets.inputs import export_button
from core.ui.widgets.runs import runs_table, search_view

phase_header("compare")
project = require_project()
show_outcome()
metric = primary_metric(project.kpis)
fingerprint = runs.latest_change(project.experiment_id)
table = cache.runs_table(project.experiment_id, metric, fingerprint)
if table.empty:
    st.info(t("compare.no_runs"))
    st.page_link("pages/train.py", label=t("compare.go_train"), icon="⚙️")
    st.stop()

st.subheader(t("compare.runs_header", project=plain(project.name), count=len(table)))
runs_table(project, table, metric, fingerprint)
searches = int((table["kind"] == "search").sum())
with st.expander(t(f"compare.inside_search_{plural_category(searches)}", count=searches)):
    search_view(table, metric, fingerprint)
candidates = table[table["has_model"]]
if candidates.empty:
    st.info(t("compare.no_models"))
    st.stop()
labels = runs.run_labels(candidates)
stored = context.runs_in_focus()  # None: nothing chosen yet; []: the person emptied the box
kept = [r for r in stored or [] if r in labels]
if stored is None or (stored and not kept):  # the two best by CV, until the person chooses
    kept = list(candidates.sort_values("cv_score", ascending=False)["run_id"][:2])
st.session_state["compare_runs"] = kept
chosen = st.multiselect(
    t("compare.choose_runs"),
    list(labels),
    format_func=labels.get,
    max_selections=4,
    key="compare_runs",
    on_change=lambda: context.focus_runs(st.session_state["compare_runs"]),
    placeholder=t("common.choose"),
)
with st.expander(t("compare.export_expander")):
    st.caption(t("compare.export_caption"))
    exported = st.selectbox(t("compare.run"), list(labels), format_func=labels.get, key="compare_export_run")
    if exported:
        export_button(exported, "compare_export")
if not chosen:
    st.stop()


def evaluate(run_ids: list[str], again: bool = False) -> str:
    """Evaluate runs on the held-out rows (callback: runs before the page); failures are kept per run."""
    with st.status(t("compare.evaluating"), expanded=False) as progress:

        def say(number: int, run_id: str) -> None:
            name = plain(labels.get(run_id, run_id).split(" · ")[0])
            progress.update(label=t("compare.evaluating_run", number=number, total=len(run_ids), run=name))

        done, failed = evidence.evaluate_many(run_ids, project.kpis, again=again, on_run=say)
        progress.update(label=t("compare.evaluated_short", count=len(done)), state="complete")
    errors = st.session_state.setdefault(keys.EVALUATION_ERRORS, {})
    errors.update(failed)
    for run_id in done:
        errors.pop(run_id, None)
    cache.forget_runs()
    if not done:
        raise WorkbenchError(tr("compare.none_evaluated", error=next(iter(failed.values()))))  # said by run_action
    said = t("compare.evaluated", count=len(done), project=project.name)
    return said + (" " + t("compare.not_all_evaluated", count=len(failed)) if failed else "")


stored = {run_id: cache.stored_evaluation(run_id) for run_id in chosen}
errors = st.session_state.get(keys.EVALUATION_ERRORS, {})
for run_id in chosen:
    if stored[run_id] is None and run_id in errors:
        st.warning(t("compare.cannot_evaluate", run=plain(labels[run_id]), error=plain(errors[run_id])))
missing = [run_id for run_id, ev in stored.items() if ev is None]
if missing:
    st.button(
        t("compare.evaluate_button", count=len(missing)),
        type="primary",
        key="compare_evaluate",
        on_click=run_action,
        args=(lambda: evaluate(missing),),
    )
    st.caption(t("compare.not_evaluated_yet", count=len(missing)))

evaluated = {run_id: ev for run_id, ev in stored.items() if ev is not None}
if not evaluated:
    st.stop()
st.subheader(t("compare.results_header"))
summary = pd.DataFrame(
    [
        {
            t("compare.column_run"): labels[r].split(" · ")[0],
            **{m: ev.metrics[m] for m in SCORE_METRICS},
            t("compare.column_latency_p50"): ev.metrics.get("latency_ms_p50"),
            t("compare.column_latency_p95"): ev.metrics["latency_ms"],
            t("compare.column_verdict"): verdict_label(ev.verdict(project.kpis)),
        }
        for r, ev in evaluated.items()
    ]
)
show_table(summary, hide_index=True, width="stretch")
bars = diagnostics.comparison_table(
    {labels[r].split(" · ")[0]: m for r, m in cache.run_metrics(tuple(evaluated)).items()}, SCORE_METRICS
)
inert_chart(st, compare_charts.metric_bars_with_cv(bars), key="compare_metric_bars")
st.caption(t("compare.bars_caption"))
for column, (run_id, ev) in zip(st.columns(len(evaluated)), evaluated.items(), strict=True):
    with column:
        verdict = verdict_label(ev.verdict(project.kpis))
        st.markdown(t("compare.kpi_verdict", run=plain(labels[run_id]), verdict=verdict))
        for result in ev.kpi_results(project.kpis):
            value = "—" if result.value is None else significant(result.value, 4)
            mark = "✅" if result.passed else "❌"
            st.markdown(t("compare.kpi_measured", mark=mark, kpi=result.kpi, value=value))
        inert_chart(st, compare_charts.confusion_heatmap(ev.labels, ev.confusion), key=f"compare_cm_{run_id}")

found, data_runs, datasets = collect_evidence(evaluated)
show_code(snippets.evaluate_runs(project.experiment_id, list(evaluated)))
stale = [r for r, ev in evaluated.items() if evidence.needs_renewal(ev)]
if stale:
    st.button(
        t("compare.reevaluate_button", count=len(stale)),
        key="compare_reevaluate",
        on_click=run_action,
        args=(lambda: evaluate(stale, again=True),),
        help=t("compare.reevaluate_help"),
    )
st.subheader(t("compare.evidence_header"))
show_evidence(found, evaluated, labels)
if len(evaluated) == 2:
    show_difference(evaluated, labels, data_runs, datasets, metric)
conclusion_form(evaluated, labels)
st.page_link("pages/registry.py", label=t("compare.next_registry"), icon="➡️")
