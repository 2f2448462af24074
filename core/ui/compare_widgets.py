"""Compare-page blocks: the per-run evidence tabs and the plain-words verdict on two runs."""

from __future__ import annotations

import streamlit as st

from core import charts, evidence
from core.evaluation import Evaluation
from core.evidence import RunEvidence
from core.ui.common import error_message, inert_chart, plain


def _notes(evidence: RunEvidence) -> None:
    for note in evidence.notes:
        st.caption(plain(note))


def show_evidence(evidence: dict[str, RunEvidence], evaluations: dict[str, Evaluation], labels: dict) -> None:
    """Tabs of evidence, one column per run: per-class report, normalised confusion, curves, wrong rows."""
    titles = [
        "Per-class report",
        "Confusion (share of each true class)",
        "ROC",
        "Precision-recall",
        "Wrong rows",
        "Why it decides (permutation importance)",
    ]
    tabs = st.tabs(titles)
    for tab, kind in zip(tabs, ["report", "confusion", "roc", "pr", "wrong", "importance"], strict=True):
        with tab:
            for column, (run_id, ev) in zip(st.columns(len(evidence)), evidence.items(), strict=True):
                with column:
                    st.markdown(f"**{plain(labels[run_id])}**")
                    _block(kind, ev, evaluations[run_id], run_id)


def _block(kind: str, ev: RunEvidence, evaluation: Evaluation, run_id: str) -> None:
    if kind == "confusion":
        figure = charts.confusion_heatmap_normalized(evaluation.labels, evaluation.confusion)
        inert_chart(st, figure, key=f"compare_cmn_{run_id}")
        return
    if kind == "importance":
        _importance(evaluation, run_id)
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
        inert_chart(st, figure(ev.curves), key=f"compare_{kind}_{run_id}")
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


_TOP_FEATURES = 20


def _importance(evaluation: Evaluation, run_id: str) -> None:
    frame = evaluation.importance_frame()
    if frame is None:
        st.caption(plain(evaluation.no_importance or "There is no permutation importance for this run."))
        return
    info = evaluation.importance
    inert_chart(st, charts.permutation_importance_bar(frame.head(_TOP_FEATURES)), key=f"compare_importance_{run_id}")
    if len(frame) > _TOP_FEATURES:
        st.caption(f"The {_TOP_FEATURES} most important of {len(frame)} columns.")
    rows = f"{info['rows']} of the {info['sampled_from']}" if info.get("sampled_from") else f"the {info['rows']}"
    st.caption(
        f"How much {info['metric']} drops on {rows} held-out rows when one column's values are shuffled "
        f"(mean ± std of {info['repeats']} shuffles). A long bar: the model leans on that column; near zero or "
        "below: it could do without it."
    )


def collect_evidence(evaluated: dict[str, Evaluation]) -> tuple[dict[str, RunEvidence], dict[str, str | None], dict]:
    """Evidence per run from its stored evaluation and its own data set; a run without one gets a reason."""
    from core.ui import cache

    found, data_runs, datasets = {}, {}, {}
    for run_id, evaluation in evaluated.items():
        data_runs[run_id] = cache.data_run_of(run_id)
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


def show_difference(
    evaluated: dict[str, Evaluation], labels: dict, data_runs: dict, datasets: dict, metric: str
) -> None:
    """For two runs: is the difference real? McNemar's test on the held-out rows, and the corrected paired
    t-test on their cross-validation folds when both were scored on the same folds."""
    from core import cv_compare

    (a, ev_a), (b, ev_b) = evaluated.items()
    name_a, name_b = labels[a].split(" · ")[0], labels[b].split(" · ")[0]
    st.subheader("Is the difference real?")
    held_out, folds = st.columns(2)
    with held_out:
        st.markdown("**On the held-out test rows** (accuracy, McNemar's test)")
        said = evidence.held_out_difference(ev_a, ev_b, name_a, name_b, data_runs[a], data_runs[b], datasets[a])
        _say(said)
        st.caption(
            "McNemar's test counts the held-out rows exactly one of the two models gets right; a small p-value "
            "means such a lopsided count is unlikely if both were equally accurate."
        )
    with folds:
        st.markdown(f"**Across the cross-validation folds** ({metric}, corrected paired t-test)")
        _say(cv_compare.cv_difference(a, b, metric, name_a, name_b))
        st.caption(
            "The same folds of the training split, scored for both runs. The folds share training rows, so the "
            "Nadeau–Bengio correction widens the usual paired t-test; otherwise it finds differences too often."
        )


def _say(said) -> None:
    if isinstance(said, str):
        st.warning(plain(said))
    else:
        (st.success if said.significant else st.info)(plain(said.sentence))


def _record_conclusion() -> str:
    from core.ui import cache

    state = st.session_state
    said = evidence.record_conclusion(
        state["compare_conclusion_run"], state["compare_conclusion_verdict"], state["compare_conclusion_note"]
    )
    cache.forget_runs()
    return said


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
