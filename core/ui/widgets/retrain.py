"""The continuous-training panel: upload a labelled batch, retrain the model's recipe on it, see the challenger
against the champion on the same held-out rows, and promote the challenger through the gate (core.monitor.retrain)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.codegen.snippets import registry as snippets
from core.common.i18n import number
from core.data.loading import read_table
from core.data.sets import DataError
from core.monitor import retrain
from core.registry import model_registry
from core.registry.governance import MAX_REASON, Actor
from core.ui import cache
from core.ui.actions import run_action, show_outcome
from core.ui.common import error_message, guarded_button, show_code, show_table
from core.ui.i18n import t
from core.ui.identity import current_actor
from core.ui.text import plain

RESULT = "retrain_result"  # plain session key: the last RetrainResult of this session
UPLOAD_TYPES = ["csv", "txt", "tsv", "parquet", "xlsx"]


def _base_aliases(aliases: dict[str, str]) -> list[str]:
    """The aliases one may retrain from: champion first, never the challenger itself."""
    others = sorted(a for a in aliases if a not in ("champion", retrain.CHALLENGER))
    return (["champion"] if "champion" in aliases else []) + others


@st.cache_data(show_spinner=False, max_entries=4)
def _batch_frame(content: bytes, filename: str) -> pd.DataFrame:

    # one row is enough to read: retrain.plan_retrain says how many a retraining needs
    return read_table(content, filename, min_rows=1, batch=True).frame


def plan_from_upload(name: str, upload, alias: str, combine: str) -> retrain.RetrainPlan:
    """Read an uploaded file and check it as a retraining batch (RetrainError/DataError say what to fix)."""
    with st.spinner(t("retrain.reading_batch")):
        frame = _batch_frame(upload.getvalue(), upload.name)
    return retrain.plan_retrain(name, frame, alias, combine, upload.name)


def retrain_panel(name: str, actor: Actor | None = None) -> None:
    """Retrain ``name`` with an uploaded labelled batch and promote the challenger through the gate.

    ``actor``: who acts (default: the session's identity, see core.ui.identity; the page shows its box)."""

    actor = actor if actor is not None else current_actor()
    st.subheader(t("retrain.header"))
    st.caption(t("retrain.explanation"))
    try:
        aliases = model_registry.get_model(name).aliases
    except model_registry.RegistryError as exc:
        st.error(plain(str(exc)))
        return
    bases = _base_aliases(aliases)
    if not bases:
        st.info(t("retrain.no_base", name=name))
        return
    left, right = st.columns(2)
    alias = left.selectbox(
        t("retrain.base_alias"), bases, format_func=lambda a: f"@{a} (v{aliases[a]})", key="retrain_alias"
    )
    combine = right.radio(
        t("retrain.combine"),
        list(retrain.COMBINE),
        format_func={c: t(f"retrain.combine_{c}") for c in retrain.COMBINE}.get,
        key="retrain_combine",
    )
    upload = st.file_uploader(t("retrain.batch"), type=UPLOAD_TYPES, key="retrain_batch")
    plan = None
    if upload is None:
        st.info(t("retrain.upload_hint", rows=retrain.MIN_BATCH_ROWS))
    else:
        try:
            plan = plan_from_upload(name, upload, alias, combine)
        except (retrain.RetrainError, DataError, model_registry.RegistryError) as exc:
            st.error(plain(str(exc)))
        else:
            st.success(plain(plan.summary()))
            if plan.warnings:
                with st.expander(t("retrain.warnings", count=len(plan.warnings))):
                    for warning in plan.warnings:
                        st.markdown(f"- {plain(warning)}")
    blocked = t("retrain.upload_first") if plan is None else None if actor.name else t("retrain.who_first")
    if guarded_button(t("retrain.run"), type="primary", key="retrain_run", blocked=blocked):
        _run(plan, actor)
    result = st.session_state.get(RESULT)
    if isinstance(result, retrain.RetrainResult) and result.name == name:
        _show_result(result, actor)


def _run(plan: retrain.RetrainPlan, actor: Actor) -> None:
    bar = st.progress(0.0, text=t("retrain.starting"))
    try:
        with st.spinner(t("retrain.running")):
            result = retrain.run_retrain(plan, actor, on_progress=lambda f, text: bar.progress(min(f, 1.0), text=text))
    except Exception as exc:  # noqa: BLE001 — one clear line, never a traceback
        bar.empty()
        st.error(plain(error_message(exc)))
        return
    finally:
        cache.forget_runs()  # new runs and a new version exist now
    bar.empty()
    st.session_state[RESULT] = result


def comparison_frame(result: retrain.RetrainResult) -> pd.DataFrame:
    """The comparison table as text, so numbers and verdicts share columns."""
    table = result.table()
    for column in table.columns[1:]:
        table[column] = table[column].map(
            lambda v: "" if v is None or v != v else v if isinstance(v, str) else number(v, 4)
        )
    return table


def _show_result(result: retrain.RetrainResult, actor: Actor) -> None:
    st.markdown(
        t(
            "retrain.result_header",
            challenger=result.challenger_version,
            champion=result.champion_version,
            held_out=result.held_out_rows,
            training=result.training_rows,
            combine=t(f"retrain.mode_{result.combine}"),
        )
    )
    show_table(comparison_frame(result), hide_index=True, width="stretch")
    (st.success if result.better else st.warning)(plain(result.sentence()))
    st.caption(plain(result.difference_shown()))
    _promotion(result, actor)


def _promotion(result: retrain.RetrainResult, actor: Actor) -> None:
    name, version = result.name, result.challenger_version
    targets = list(dict.fromkeys([result.alias, "champion", "production"]))
    to = st.selectbox(t("retrain.promote_to"), targets, format_func=lambda a: f"@{a}", key="retrain_to")
    try:
        check = retrain.check_promotion(name, actor, to, version)
    except model_registry.RegistryError as exc:
        st.error(plain(str(exc)))
        return
    (st.success if check.allowed else st.warning)(plain(check.message))
    if check.holder == version:
        st.caption(t("retrain.already_there", alias=to, version=version))
        show_outcome(slot="retrain_promote")
        return
    if check.overridable:
        st.checkbox(t("retrain.override"), key="retrain_override")
    st.text_input(
        t("retrain.reason_required") if check.overridable else t("retrain.reason_optional"),
        key="retrain_reason",
        max_chars=MAX_REASON,
    )
    override = bool(st.session_state.get("retrain_override")) and check.overridable
    blocked = (
        t("retrain.who_first")
        if not actor.name
        else check.message
        if not check.allowed and not check.overridable
        else t("retrain.tick_override")
        if not check.allowed and not override
        else None
    )

    def promote() -> str:
        reason = st.session_state.get("retrain_reason", "")
        entry = retrain.promote_challenger(name, actor, to, reason, force=override, version=version)
        st.session_state["retrain_reason"] = ""
        st.session_state["retrain_override"] = False
        was = t("retrain.moved_from", version=entry.from_version) if entry.from_version else ""
        return t("retrain.promoted", alias=to, version=version, moved=was)

    guarded_button(
        t("retrain.promote_button", version=version, alias=to),
        type="primary",
        key="retrain_promote",
        blocked=blocked,
        on_click=run_action,
        args=(promote, "retrain_promote"),
    )
    show_outcome(slot="retrain_promote")
    show_code(snippets.set_alias(name, to, version))
