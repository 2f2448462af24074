"""Why this prediction, on the Predict page: the one row's strongest pushes as a bar and in words, and for a file
an optional column with each row's strongest push and a summary of the features that matter most."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.serve import explain
from core.serve.predict import ServedModel
from core.ui import cache, keys
from core.ui.charts import predict as predict_charts
from core.ui.common import error_message, inert_chart
from core.ui.i18n import t
from core.ui.text import plain

BATCH_ROWS = 500  # rows of a file explained at most (the first ones), so the column comes in seconds
BATCH_BUDGET_S = 30.0


def _reference(model: ServedModel) -> pd.DataFrame | None:
    return cache.explain_reference(model.name, model.version, model)


def _axis(found: explain.Explanation) -> str:
    return t("explain.axis_probability" if found.scale == "probability" else "explain.axis_score", label=found.label)


def _against(found: explain.Explanation) -> str:
    """What the explanation was measured against, in words."""
    if found.reference_rows is None:
        return t("explain.against_trees")
    return t("explain.against_rows", rows=found.reference_rows)


def _about(found: explain.Explanation) -> str:
    fewer = (
        " " + t("explain.fewer_orderings", count=found.permutations, full=explain.PERMUTATIONS)
        if found.permutations is not None and found.permutations < explain.PERMUTATIONS
        else ""
    )
    against = _against(found)
    return (
        t(
            f"explain.caption_{found.scale}",
            method=t(f"explain.method_{found.method}"),
            against=against,
            base=found.base,
            output=found.output,
            label=found.label,
            ms=found.seconds * 1000,
        )
        + fewer
    )


def _kept(slot: str, what: tuple, compute) -> list[explain.Explanation]:
    """``compute()``'s explanations, or why there are none (raised again), computed once for ``what``: a rerun
    of the page (a download, the language, another widget) shows them again instead of explaining again."""
    kept = st.session_state.setdefault(keys.EXPLAINED, {})
    if slot not in kept or kept[slot][0] != what:
        try:
            kept[slot] = (what, compute())
        except (explain.ExplainError, ValueError) as exc:
            kept[slot] = (what, exc)
    result = kept[slot][1]
    if isinstance(result, Exception):
        raise result
    return result


def explain_one(model: ServedModel, inputs: dict[str, object]) -> None:
    """The one row's explanation, computed when asked for (a click stays fast) and kept with its inputs."""
    key = f"predict_explain_{model.uri}"
    state = st.session_state
    if not st.toggle(t("explain.toggle"), key="predict_explain_on", help=t("explain.toggle_help")):
        return
    sampled = state.get(f"{key}_sampled", False)
    what = (model.uri, tuple(sorted((k, repr(v)) for k, v in inputs.items())), sampled)
    try:
        (found,) = _kept(
            "one",
            what,
            lambda: explain.explain_served(
                model, pd.DataFrame([inputs]), _reference(model), explain.BUDGET_S, sampled=sampled
            ),
        )
    except explain.TooLong as slow:
        st.info(plain(str(slow)))
        if st.button(t("explain.sampled_button"), key=f"{key}_sample"):
            state[f"{key}_sampled"] = True
            st.rerun(scope="fragment")
        return
    except (explain.ExplainError, ValueError) as exc:
        st.info(plain(error_message(exc)))
        return
    st.markdown(f"**{plain(explain.sentence(found))}**")
    inert_chart(
        st,
        predict_charts.contribution_bar(found.contributions, found.label, _axis(found)),
        key="predict_explain_chart",
    )
    st.caption(plain(_about(found)) + (" " + t("explain.sampled_note") if found.sampled else ""))


def explain_batch(model: ServedModel, rows: pd.DataFrame, scored: pd.DataFrame, batch: object) -> pd.DataFrame:
    """``scored`` with a ``why`` column for the first BATCH_ROWS rows when the person asks for it, and the
    features that matter most across them; ``scored`` as it was otherwise. ``batch`` names the file and model:
    the explanations are made once per batch."""
    if not st.checkbox(t("explain.batch_toggle", rows=min(len(rows), BATCH_ROWS)), key="predict_batch_explain"):
        return scored
    head = rows.head(BATCH_ROWS)
    sampled_key = f"predict_batch_explain_sampled_{batch}"
    sampled = st.session_state.get(sampled_key, False)

    def compute() -> list[explain.Explanation]:
        with st.spinner(t("explain.batch_working", rows=len(head))):
            return explain.explain_served(model, head, _reference(model), BATCH_BUDGET_S, sampled=sampled)

    try:
        found = _kept("batch", (batch, sampled), compute)
    except explain.TooLong as slow:
        st.info(plain(str(slow)))
        if st.button(t("explain.sampled_button"), key="predict_batch_explain_sample"):
            st.session_state[sampled_key] = True
            st.rerun()
        return scored
    except (explain.ExplainError, ValueError) as exc:
        st.info(plain(error_message(exc)))
        return scored
    out = scored.copy()
    why = [explain.short(e) for e in found] + [""] * (len(out) - len(found))
    out.insert(out.columns.get_loc("prediction") + 1, "why", why)  # beside the prediction it explains
    summary = explain.summary(found)
    st.markdown(f"**{t('explain.batch_summary', rows=len(found))}**")
    inert_chart(
        st,
        predict_charts.importance_bar(summary, t("explain.axis_mean_abs")),
        key="predict_batch_explain_chart",
    )
    if len(rows) > len(found):
        st.caption(t("explain.batch_first", rows=len(found), total=len(rows)))
    first = found[0]
    said = t("explain.batch_caption", method=t(f"explain.method_{first.method}"), against=_against(first))
    st.caption(plain(said) + (" " + t("explain.sampled_note") if first.sampled else ""))
    return out
