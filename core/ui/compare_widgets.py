"""Compare-page blocks: the per-run evidence tabs and the plain-words verdict on two runs."""

from __future__ import annotations

import streamlit as st

from core import charts, evidence
from core.evaluation import Evaluation
from core.evidence import RunEvidence
from core.ui.common import error_message, plain


def _notes(evidence: RunEvidence) -> None:
    for note in evidence.notes:
        st.caption(plain(note))


def show_evidence(evidence: dict[str, RunEvidence], evaluations: dict[str, Evaluation], labels: dict) -> None:
    """Tabs of evidence, one column per run: per-class report, normalised confusion, curves, wrong rows."""
    titles = ["Per-class report", "Confusion (share of each true class)", "ROC", "Precision-recall", "Wrong rows"]
    tabs = st.tabs(titles)
    for tab, kind in zip(tabs, ["report", "confusion", "roc", "pr", "wrong"], strict=True):
        with tab:
            for column, (run_id, ev) in zip(st.columns(len(evidence)), evidence.items(), strict=True):
                with column:
                    st.markdown(f"**{plain(labels[run_id])}**")
                    _block(kind, ev, evaluations[run_id], run_id)


def _block(kind: str, ev: RunEvidence, evaluation: Evaluation, run_id: str) -> None:
    if kind == "confusion":
        figure = charts.confusion_heatmap_normalized(evaluation.labels, evaluation.confusion)
        st.plotly_chart(figure, key=f"compare_cmn_{run_id}")
        return
    if ev.per_class is None:
        _notes(ev)
        return
    if kind == "report":
        st.dataframe(ev.per_class.round(3), hide_index=True, width="stretch")
    elif kind in ("roc", "pr"):
        if ev.curves is None:
            _notes(ev)
            return
        figure = charts.roc_curves if kind == "roc" else charts.precision_recall_curves
        st.plotly_chart(figure(ev.curves), key=f"compare_{kind}_{run_id}")
        macro = ev.curves.get("macro_auc" if kind == "roc" else "macro_average_precision")
        if macro is not None:
            st.caption(f"Macro {'AUC' if kind == 'roc' else 'average precision'}: {macro:.3f}")
        _notes(ev)
    elif kind == "wrong":
        if ev.wrong.empty:
            st.success("No held-out row is misclassified.")
        else:
            st.caption(f"{len(ev.wrong)} of the held-out rows are misclassified; most confident mistakes first.")
            st.dataframe(ev.wrong, width="stretch")


def collect_evidence(evaluated: dict[str, Evaluation]) -> tuple[dict[str, RunEvidence], dict[str, str | None], dict]:
    """Evidence per run from its stored evaluation and its own data set; a run without one gets a reason."""
    from core.ui import cache

    found, data_runs, datasets = {}, {}, {}
    for run_id, evaluation in evaluated.items():
        data_runs[run_id] = evidence.data_run_of(run_id)
        try:
            datasets[run_id] = cache.dataset(data_runs[run_id]) if data_runs[run_id] else None
        except ValueError as exc:
            datasets[run_id] = None
            reason = error_message(exc)
        else:
            reason = "The run was not trained on a project data set, so its held-out rows are unknown."
        if datasets[run_id] is None:
            found[run_id] = RunEvidence(run_id, None, None, None, (reason,))
        else:
            found[run_id] = evidence.run_evidence(evaluation, datasets[run_id])
    return found, data_runs, datasets


def show_difference(evaluated: dict[str, Evaluation], labels: dict, data_runs: dict, datasets: dict) -> None:
    """For two runs: is the difference in held-out accuracy real? (McNemar's test, in words.)"""
    (a, ev_a), (b, ev_b) = evaluated.items()
    name_a, name_b = labels[a].split(" · ")[0], labels[b].split(" · ")[0]
    said = evidence.held_out_difference(ev_a, ev_b, name_a, name_b, data_runs[a], data_runs[b], datasets[a])
    st.subheader("Is the difference real?")
    if isinstance(said, str):
        st.warning(plain(said))
        return
    (st.success if said.significant else st.info)(plain(said.sentence))
    st.caption(
        "McNemar's test counts the held-out rows exactly one of the two models gets right; a small p-value "
        "means such a lopsided count is unlikely if both were equally accurate."
    )


def _record_conclusion() -> str:
    state = st.session_state
    return evidence.record_conclusion(
        state["compare_conclusion_run"], state["compare_conclusion_verdict"], state["compare_conclusion_note"]
    )


def conclusion_form(evaluated: dict[str, Evaluation], labels: dict) -> None:
    """Record the person's conclusion on one of the compared runs (tags on the run, shown in the registry)."""
    from core.ui.actions import run_action, show_outcome

    st.subheader("Your conclusion")
    with st.form("compare_conclusion", border=True):
        st.selectbox("Run", list(evaluated), format_func=labels.get, key="compare_conclusion_run")
        verdicts = list(evidence.CONCLUSIONS)
        st.radio("Verdict", verdicts, format_func=evidence.CONCLUSIONS.get, key="compare_conclusion_verdict")
        st.text_area("Note (why)", key="compare_conclusion_note", max_chars=evidence.MAX_NOTE)
        st.form_submit_button("Record the conclusion", on_click=run_action, args=(_record_conclusion, "conclusion"))
    show_outcome(slot="conclusion")
