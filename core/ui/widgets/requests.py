"""Promotion requests on the K page: ask for a move the gate does not let you make, decide the open requests
(approve, reject, withdraw) with the evidence that was asked with, and set how each protected alias moves."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from core.common.i18n import current_language, when
from core.registry import governance, requests
from core.registry.governance import Actor, GateDecision
from core.ui import cache, context
from core.ui.actions import run_action, show_outcome
from core.ui.common import guarded_button, show_table
from core.ui.i18n import t
from core.ui.text import plain

DECIDED = "request_decided"  # the outcome slot of approving, rejecting and withdrawing
ANCHOR = "promotion-requests"  # the requests' header on K, so the top of the page can link down to it


def ask_form(name: str, alias: str, version: str, decision: GateDecision, actor: Actor) -> None:
    """Instead of the move the gate refuses this person: a request for it, with a reason (and, for a version that
    does not pass, the override asked for)."""
    st.info(t("requests.ask_intro", count=decision.approvals, alias=alias))
    needs_override = not decision.verdict_ok
    if needs_override:
        st.checkbox(t("requests.ask_override"), key="registry_request_override")
    st.text_input(t("requests.ask_reason"), key="registry_request_reason", max_chars=governance.MAX_REASON)
    state = st.session_state
    blocked = (
        t("registry.who_first")
        if not actor.name
        else t("registry.tick_override")
        if needs_override and not state.get("registry_request_override")
        else None
    )

    def ask() -> str:
        asked = requests.ask(
            name,
            alias,
            version,
            actor,
            state.get("registry_request_reason", ""),
            override=bool(state.get("registry_request_override")),
        )
        state["registry_request_reason"] = ""
        state["registry_request_override"] = False
        cache.forget_models()
        return t("requests.asked", id=asked.id, alias=alias, version=version, count=asked.needed)

    guarded_button(
        t("requests.ask_button", alias=alias, version=version),
        type="primary",
        key="registry_request_ask",
        blocked=blocked,
        on_click=run_action,
        args=(ask, "request"),
    )
    show_outcome(slot="request")


def _evidence(found: requests.Evidence | None, request: requests.Request, holder_now: str | None) -> None:
    if found is None:
        st.caption(t("requests.no_evidence"))
        return
    st.caption(
        plain(
            t(
                "requests.evidence_line",
                verdict=governance.verdict_word(found.verdict),
                kpis=found.kpis or t("question.no_kpis"),
                metric=found.metric,
            )
        )
    )
    if found.metrics:
        frame = pd.DataFrame(found.metrics)
        frame = frame.rename(
            columns={
                "metric": t("requests.col_metric"),
                "candidate": t("registry.col_candidate", version=request.version),
                "current": t("registry.col_current", version=found.holder or "—"),
                "change": t("requests.col_change"),
            }
        )
        show_table(frame.round(4), hide_index=True, width="stretch")
    language = current_language()
    for which, label in (("held_out", t("registry.held_out_rows")), ("folds", t("registry.cv_folds"))):
        if said := found.said(which, language):
            st.caption(f"**{label}:** {plain(said)}")
    if holder_now != request.holder:
        was = f"v{request.holder}" if request.holder else t("registry.none")
        now = f"v{holder_now}" if holder_now else t("registry.none")
        st.warning(t("requests.holder_changed", alias=request.alias, was=was, now=now))


def requests_section(name: str, aliases: dict[str, str], actor: Actor) -> None:
    """The model's open requests, each with its evidence and the decisions this person may take."""
    open_ = requests.requests_of(name, requests.OPEN)
    st.subheader(t("requests.header", count=len(open_)), anchor=ANCHOR)
    show_outcome(slot=DECIDED)  # here, not under the request: a decided request is no longer listed
    if not actor.guarded:
        st.caption(t("requests.unguarded"))
    if not open_:
        st.caption(t("requests.none_open"))
        return
    rules = governance.approval_rules(name)
    for request in open_:
        rule = rules.get(request.alias) or governance.Rule(request.alias)
        with st.container(border=True):
            was = f"v{request.holder}" if request.holder else "—"
            st.markdown(
                t(
                    "requests.title",
                    who=plain(request.who),
                    alias=request.alias,
                    was=was,
                    version=request.version,
                    when=when(request.when),
                    id=request.id,
                )
            )
            st.markdown(f"> {plain(request.reason)}")
            if request.override:
                st.warning(t("requests.asks_override", verdict=governance.verdict_word(request.verdict)))
            approved = ", ".join(plain(w) for w in request.approved_by) or t("registry.none")
            st.caption(t("requests.progress", done=len(request.approvals), needed=request.needed, names=approved))
            possible = rule.approvers or actor.approvers  # None: without sign-in, anyone may approve
            if possible is not None:
                eligible = [a for a in possible if a.strip().lower() != request.who.strip().lower()]
                if len(eligible) < request.needed:
                    st.warning(
                        t("requests.unreachable", needed=request.needed, eligible=len(eligible), alias=request.alias)
                    )
            if aliases.get(request.alias) == request.version:  # moved there another way meanwhile
                st.info(t("requests.already_there", alias=request.alias, version=request.version))
            with st.expander(t("requests.evidence_header")):
                _evidence(requests.evidence_of(request), request, aliases.get(request.alias))
            _decisions(name, request, rule, actor, aliases)


def _decisions(
    name: str, request: requests.Request, rule: governance.Rule, actor: Actor, aliases: dict[str, str]
) -> None:
    key = f"registry_request_{request.id}"
    state = st.session_state
    own = actor.name and actor.name.strip().lower() == request.who.strip().lower()
    if own:
        st.text_input(t("requests.withdraw_comment"), key=f"{key}_comment", max_chars=requests.MAX_COMMENT)

        def withdraw() -> str:
            requests.withdraw(name, request.id, actor, state.get(f"{key}_comment", ""))
            cache.forget_models()
            return t("requests.withdrawn", id=request.id)

        st.button(t("requests.withdraw_button"), key=f"{key}_withdraw", on_click=run_action, args=(withdraw, DECIDED))
        return
    st.text_input(t("requests.comment"), key=f"{key}_comment", max_chars=requests.MAX_COMMENT)
    why = requests.why_not_decide(request, actor, rule)
    holder = aliases.get(request.alias)

    def approve() -> str:
        done = requests.approve(name, request.id, actor, state.get(f"{key}_comment", ""), expected_from=holder)
        cache.forget_models()
        if done.state == requests.APPROVED:
            context.focus_model(name, request.alias)
            return t("requests.approved_moved", alias=request.alias, version=request.version)
        return t("requests.approved_waiting", done=len(done.approvals), needed=done.needed)

    def reject() -> str:
        requests.reject(name, request.id, actor, state.get(f"{key}_comment", ""))
        cache.forget_models()  # the home board's and K's "waiting" notes
        return t("requests.rejected", id=request.id)

    left, right = st.columns(2)
    guarded_button(
        t("requests.approve_button", alias=request.alias, version=request.version),
        where=left,
        type="primary",
        key=f"{key}_approve",
        blocked=why,
        on_click=run_action,
        args=(approve, DECIDED),
    )
    guarded_button(
        t("requests.reject_button"),
        where=right,
        key=f"{key}_reject",
        blocked=None if why == t("requests.approved_already") else why,  # who approved may still reject
        on_click=run_action,
        args=(reject, DECIDED),
    )


def rules_settings(name: str, actor: Actor) -> None:
    """How each protected alias moves: approvals a request needs (0: an approver moves it directly) and who may
    approve; audited like the list of protected aliases."""
    rules = governance.approval_rules(name)
    if not rules:
        return
    st.markdown(f"**{t('requests.rules_header')}**")
    st.caption(t("requests.rules_caption"))
    rows = [
        {
            t("registry.alias"): f"@{r.alias}",
            t("requests.col_approvals"): rule_words(r),
            t("requests.col_approvers"): ", ".join(r.approvers) or t("requests.approvers_default"),
        }
        for r in rules.values()
    ]
    show_table(pd.DataFrame(rows), hide_index=True, width="stretch")
    aliases = list(rules)
    chosen = st.selectbox(t("requests.rule_alias"), aliases, key="registry_rule_alias")
    rule = rules[chosen]
    left, right = st.columns([1, 3])
    left.number_input(
        t("requests.rule_approvals"),
        min_value=0,
        max_value=governance.MAX_APPROVALS,
        value=rule.approvals,
        step=1,
        key=f"registry_rule_approvals_{chosen}",
        help=t("requests.rule_approvals_help"),
    )
    right.text_input(
        t("requests.rule_approvers"),
        value=", ".join(rule.approvers),
        key=f"registry_rule_approvers_{chosen}",
        placeholder=t("requests.rule_approvers_placeholder"),
    )
    st.text_input(t("registry.protected_reason"), key="registry_rule_reason", max_chars=governance.MAX_REASON)

    def save() -> str:
        state = st.session_state
        names = str(state.get(f"registry_rule_approvers_{chosen}", "")).split(",")
        saved = requests.set_rule(
            name,
            chosen,
            int(state.get(f"registry_rule_approvals_{chosen}", 0)),
            names,
            actor,
            state.get("registry_rule_reason", ""),
        )
        state["registry_rule_reason"] = ""
        return t("requests.rule_saved", alias=chosen, rule=rule_words(saved))

    guarded_button(
        t("requests.rule_save"),
        key="registry_rule_save",
        blocked=None if actor.name else t("registry.who_first"),
        on_click=run_action,
        args=(save, "rule"),
    )
    show_outcome(slot="rule")


def rule_words(rule: governance.Rule) -> str:
    """A rule as the reader says it: 'an approver moves it directly' or '2 approvals on a request'."""
    if rule.approvals == 0:
        return t("requests.rule_direct")
    return t("requests.rule_approvals_needed", count=rule.approvals)


YOURS_DAYS = 14  # how long a decided request of yours stays on your home board


def waiting_board(actor: Actor) -> None:
    """The home board's promotion requests: those this person may decide ("waiting for you"; for someone who
    has not said who they are, how many wait for anyone), and their own, open or decided lately."""
    everything, rules = cache.store_requests()
    found = [r for r in everything if r.state == requests.OPEN]
    mine = requests.waiting_for(actor, found, rules)
    shown = mine or ([] if actor.name else found)
    since = int(time.time() * 1000) - YOURS_DAYS * 86_400_000
    yours = requests.asked_by(actor, everything, since)
    if shown:
        with st.container(border=True):
            header = "requests.waiting_header" if mine else "requests.waiting_anyone"
            st.markdown(f"### 🗳️ {t(header, count=len(shown))}")
            for request in shown[:10]:
                line, button = st.columns([5, 1])
                line.markdown(
                    t(
                        "requests.waiting_line",
                        model=plain(request.model),
                        alias=request.alias,
                        version=request.version,
                        who=plain(request.who),
                        when=when(request.when),
                        reason=plain(request.reason),
                    )
                )
                _open_button(button, request)
            if len(shown) > 10:
                st.caption(t("requests.waiting_more", count=len(shown) - 10))
    if yours:
        with st.container(border=True):
            st.markdown(f"### 📨 {t('requests.yours_header', count=len(yours))}")
            for request in yours[:10]:
                line, button = st.columns([5, 1])
                line.markdown(_your_line(request))
                _open_button(button, request)


def _your_line(request: requests.Request) -> str:
    """One of your requests and where it stands: waiting (with its approvals), approved, rejected with why."""
    what = {"model": plain(request.model), "alias": request.alias, "version": request.version}
    decided = request.decision
    if request.state == requests.OPEN:
        return t("requests.yours_open", done=len(request.approvals), needed=request.needed, **what)
    if request.state == requests.REJECTED and decided is not None:
        return t("requests.yours_rejected", who=plain(decided.who), comment=plain(decided.reason), **what)
    if request.state == requests.APPROVED and decided is not None:
        return t("requests.yours_approved", who=plain(decided.who), when=when(decided.when), **what)
    return t("requests.yours_withdrawn", **what)


def _open_button(where, request: requests.Request) -> None:
    if where.button(t("requests.waiting_open"), key=f"home_request_{request.model}_{request.id}"):
        context.focus_model(request.model, request.alias)  # K opens on the model the request is for
        st.switch_page("pages/registry.py")


def waiting_notice(name: str, actor: Actor) -> None:
    """At the top of K: how many of this model's open requests wait for this person, with a link down to them."""
    everything, rules = cache.store_requests()
    found = [r for r in everything if r.state == requests.OPEN]
    mine = [r for r in requests.waiting_for(actor, found, rules) if r.model == name]
    if mine:
        st.info(t("requests.waiting_notice", count=len(mine), anchor=ANCHOR), icon="🗳️")
