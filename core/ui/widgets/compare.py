"""Compare-page blocks: the per-run evidence tabs and the plain-words verdict on two runs."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.codegen.snippets import compare as snippets
from core.common.i18n import number
from core.compare import cv_compare, diagnostics, evidence
from core.compare.evaluation import Evaluation, stored_reason
from core.compare.evidence import RunEvidence
from core.ui import cache
from core.ui.actions import run_action, show_outcome
from core.ui.charts import compare as compare_charts
from core.ui.common import error_message, inert_chart, show_code, show_table
from core.ui.i18n import t
from core.ui.text import plain

_TABS = {
    "report": "compare.tab_report",
    "confusion": "compare.tab_confusion",
    "roc": "compare.tab_roc",
    "pr": "compare.tab_pr",
    "wrong": "compare.tab_wrong",
    "importance": "compare.tab_importance",
}
# the report's and the wrong rows' own columns (feature columns are data and keep their names)
_REPORT_COLUMNS = {
    "class": "compare.column_class",
    "precision": "compare.column_precision",
    "recall": "compare.column_recall",
    "f1": "compare.column_f1",
    "support": "compare.column_support",
}
_AVERAGE_ROWS = {"macro avg": "compare.macro_avg", "weighted avg": "compare.weighted_avg"}
_WRONG_COLUMNS = {
    diagnostics.TRUE_COLUMN: "compare.column_true_class",
    diagnostics.PREDICTED_COLUMN: "compare.column_predicted_class",
    diagnostics.CONFIDENCE_COLUMN: "compare.column_confidence",
    diagnostics.TRUE_PROBABILITY_COLUMN: "compare.column_true_probability",
}


def _notes(evidence: RunEvidence) -> None:
    for note in evidence.notes:
        st.caption(plain(note))


def show_evidence(evidence: dict[str, RunEvidence], evaluations: dict[str, Evaluation], labels: dict) -> None:
    """Tabs of evidence, one column per run: per-class report, normalised confusion, curves, wrong rows."""
    tabs = st.tabs([t(key) for key in _TABS.values()])
    for tab, kind in zip(tabs, _TABS, strict=True):
        with tab:
            for column, (run_id, ev) in zip(st.columns(len(evidence)), evidence.items(), strict=True):
                with column:
                    st.markdown(f"**{plain(labels[run_id])}**")
                    _block(kind, ev, evaluations[run_id], run_id)


def _report(frame: pd.DataFrame) -> pd.DataFrame:
    """The per-class report with its column names and its two average rows in the reader's language."""
    shown = frame.round(3)
    averages = (
        shown["class"].iloc[-len(_AVERAGE_ROWS) :].map(lambda v: t(_AVERAGE_ROWS[v]) if v in _AVERAGE_ROWS else v)
    )
    shown.loc[averages.index, "class"] = averages
    return shown.rename(columns={c: t(key) for c, key in _REPORT_COLUMNS.items()})


def _wrong(frame: pd.DataFrame) -> pd.DataFrame:
    """The wrong rows with the diagnostic columns in front named in the reader's language."""
    front = [c for c in frame.columns[: len(_WRONG_COLUMNS)] if c in _WRONG_COLUMNS]
    names = [t(_WRONG_COLUMNS[c]) if c in front else c for c in frame.columns]
    return frame.set_axis(names, axis="columns")


def _block(kind: str, ev: RunEvidence, evaluation: Evaluation, run_id: str) -> None:
    if kind == "confusion":
        figure = compare_charts.confusion_heatmap_normalized(evaluation.labels, evaluation.confusion)
        inert_chart(st, figure, key=f"compare_cmn_{run_id}")
        return
    if kind == "importance":
        _importance(evaluation, run_id)
        return
    if ev.per_class is None:
        _notes(ev)
        return
    if kind == "report":
        show_table(_report(ev.per_class), hide_index=True, width="stretch")
    elif kind in ("roc", "pr"):
        if ev.curves is None:
            _notes(ev)
            return
        figure = compare_charts.roc_curves if kind == "roc" else compare_charts.precision_recall_curves
        inert_chart(st, figure(ev.curves), key=f"compare_{kind}_{run_id}")
        macro = ev.curves.get("macro_auc" if kind == "roc" else "macro_average_precision")
        if macro is not None:
            st.caption(t("compare.macro_auc" if kind == "roc" else "compare.macro_ap", value=number(macro, 3)))
        _notes(ev)
    elif kind == "wrong":
        if ev.wrong.empty:
            st.success(t("compare.no_wrong_rows"))
        else:
            st.caption(t("compare.wrong_rows", count=len(ev.wrong)))
            show_table(_wrong(ev.wrong), width="stretch")


_TOP_FEATURES = 20
_RECORDED = "compare_conclusion_recorded"  # the last conclusion this session recorded: run, verdict, note


def _importance(evaluation: Evaluation, run_id: str) -> None:
    frame = evaluation.importance_frame()
    if frame is None:
        st.caption(plain(stored_reason(evaluation.no_importance) or t("compare.no_importance")))
        return
    info = evaluation.importance
    inert_chart(
        st, compare_charts.permutation_importance_bar(frame.head(_TOP_FEATURES)), key=f"compare_importance_{run_id}"
    )
    if len(frame) > _TOP_FEATURES:
        st.caption(t("compare.importance_top", top=_TOP_FEATURES, count=len(frame)))
    if info.get("sampled_from"):
        rows = t("compare.importance_rows_sampled", rows=info["rows"], total=info["sampled_from"])
    else:
        rows = t("compare.importance_rows_all", rows=info["rows"])
    st.caption(t("compare.importance_caption", metric=info["metric"], rows=rows, repeats=info["repeats"]))


def collect_evidence(evaluated: dict[str, Evaluation]) -> tuple[dict[str, RunEvidence], dict[str, str | None], dict]:
    """Evidence per run from its stored evaluation and its own data set; a run without one gets a reason."""

    found, data_runs, datasets = {}, {}, {}
    for run_id, evaluation in evaluated.items():
        data_runs[run_id] = cache.data_run_of(run_id)
        try:
            datasets[run_id] = cache.dataset(data_runs[run_id]) if data_runs[run_id] else None
        except ValueError as exc:
            datasets[run_id] = None
            reason = error_message(exc)
        else:
            reason = t("compare.no_data_set")
        if datasets[run_id] is None:
            found[run_id] = RunEvidence(run_id, None, None, None, (reason,))
        else:
            found[run_id] = evidence.run_evidence(evaluation, datasets[run_id])
    return found, data_runs, datasets


def show_difference(
    evaluated: dict[str, Evaluation], labels: dict, data_runs: dict, datasets: dict, metric: str
) -> None:
    """For two runs: is the difference real? McNemar's test on the held-out rows, and the corrected paired
    t-test on their cross-validation folds when both were scored on the same folds."""

    (a, ev_a), (b, ev_b) = evaluated.items()
    name_a, name_b = labels[a].split(" · ")[0], labels[b].split(" · ")[0]
    st.subheader(t("compare.difference_header"))
    held_out, folds = st.columns(2)
    with held_out:
        st.markdown(t("compare.held_out_title"))
        said = evidence.held_out_difference(ev_a, ev_b, name_a, name_b, data_runs[a], data_runs[b], datasets[a])
        _say(said)
        st.caption(t("compare.mcnemar_caption"))
    with folds:
        st.markdown(t("compare.folds_title", metric=metric))
        _say(cv_compare.cv_difference(a, b, metric, name_a, name_b))
        st.caption(t("compare.folds_caption"))


def _say(said) -> None:
    if isinstance(said, str):
        st.warning(plain(said))
    else:
        (st.success if said.significant else st.info)(plain(said.shown))


def _record_conclusion() -> str:

    state = st.session_state
    said = evidence.record_conclusion(
        state["compare_conclusion_run"], state["compare_conclusion_verdict"], state["compare_conclusion_note"]
    )
    cache.forget_runs()
    state[_RECORDED] = (
        state["compare_conclusion_run"],
        state["compare_conclusion_verdict"],
        state["compare_conclusion_note"] or "",
    )
    return said


def conclusion_form(evaluated: dict[str, Evaluation], labels: dict) -> None:
    """Record the person's conclusion on one of the compared runs (tags on the run, shown in the registry)."""

    st.subheader(t("compare.conclusion_header"))
    with st.form("compare_conclusion", border=True):
        st.selectbox(t("compare.run"), list(evaluated), format_func=labels.get, key="compare_conclusion_run")
        # labels made now: a format_func may also be called outside the script run, where no language is known
        verdicts = {code: evidence.conclusion_label(code) for code in evidence.CONCLUSIONS}
        st.radio(
            t("compare.conclusion_verdict"), list(verdicts), format_func=verdicts.get, key="compare_conclusion_verdict"
        )
        st.text_area(t("compare.conclusion_note"), key="compare_conclusion_note", max_chars=evidence.MAX_NOTE)
        st.form_submit_button(
            t("compare.conclusion_submit"), on_click=run_action, args=(_record_conclusion, "conclusion")
        )
    show_outcome(slot="conclusion")
    recorded = st.session_state.get(_RECORDED)
    if recorded and recorded[0] in evaluated:
        show_code(snippets.record_conclusion(*recorded))
