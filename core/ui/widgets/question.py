"""Question-page blocks: who changes KPIs that are already the gate's rules and why, and the record of such changes."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.common.i18n import when
from core.question.kpis import KPI, KPIError
from core.question.projects import Project
from core.registry import governance
from core.registry.governance import Actor
from core.ui.common import show_table
from core.ui.i18n import t
from core.ui.identity import current_actor, identity_box

REASON_KEY = "question_kpis_reason"


def rules_guard(project: Project, rows: list[tuple[str, str, float]]) -> tuple[Actor, str | None]:
    """When the KPIs on the page (metric, comparator, threshold) would change rules that have judged runs: ask who
    and why, and return the acting person with the reason the save cannot be pressed yet (None: it can)."""
    try:
        kpis = [KPI(metric, op, threshold) for metric, op, threshold in rows]
    except KPIError:  # not KPIs yet: pressing save names the problem
        return current_actor(), None
    if not governance.kpis_differ(project.kpis, kpis) or not governance.kpis_judged(project.experiment_id):
        return current_actor(), None
    st.info(t("question.kpis_are_rules"))
    actor = identity_box()
    st.text_input(t("question.kpis_reason"), key=REASON_KEY, max_chars=governance.MAX_REASON)
    if not actor.name:
        return actor, t("question.who_first")
    if not actor.may_approve():
        return actor, t("question.only_approvers")
    return actor, None


def reason() -> str:
    return st.session_state.get(REASON_KEY, "")


def kpi_changes(project: Project) -> None:
    """The project's recorded KPI changes, newest first, in an expander (nothing when there are none)."""
    changes = governance.kpi_changes(project.experiment_id)
    if not changes:
        return
    with st.expander(t("question.changes_expander", n=len(changes))):
        none = t("question.no_kpis")
        frame = pd.DataFrame(
            {
                t("registry.audit_when"): [when(c.when) for c in changes],
                t("registry.audit_who"): [c.who or "—" for c in changes],
                t("question.changes_before"): [c.before or none for c in changes],
                t("question.changes_after"): [c.after or none for c in changes],
                t("registry.audit_reason"): [c.reason for c in changes],
            }
        )
        show_table(frame, hide_index=True, width="stretch")
