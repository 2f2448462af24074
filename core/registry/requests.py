"""K phase: promotion requests. Someone who may not move a protected alias asks for the move; approvers decide.

A request is a tag ``qua3ck.request.<id>`` on the model version it asks for: alias, who, when, why and the
evidence at that moment (the KPI verdict, the KPIs, the candidate against the alias's holder with both paired
tests). Each step — the request, every approval, a rejection, a withdrawal and the move the last approval makes —
is an audit entry on the registered model carrying the request's id, so the trail, ``mlflow ui`` and plain MLflow
code see them, and a request's state is read from the model's tags alone (one store call for the whole board).

The rules come from the alias's ``Rule`` (core.registry.governance): how many approvals, who may approve; the
person who asked never approves their own request, and nobody approves twice. The move goes through the same
gate as any other (``governance.move_alias``): a version whose verdict is not a pass moves only when the request
asked to override, with its reason.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass, field

from core.common.i18n import LANGUAGES, tr
from core.compare import evidence
from core.compare.evaluation import load_evaluation
from core.question import projects
from core.question.kpis import SCORE_METRICS, primary_metric
from core.registry import governance, model_registry
from core.registry.governance import Actor, AuditEntry, GovernanceError, Rule

REQUEST_PREFIX = governance.REQUEST_PREFIX
OPEN, APPROVED, REJECTED, WITHDRAWN = "open", "approved", "rejected", "withdrawn"
MAX_COMMENT = governance.MAX_REASON


class UnknownRequest(GovernanceError):
    """There is no request of that id for the model."""


@dataclass(frozen=True)
class Request:
    """One promotion request and where it stands, as the model's audit entries tell it."""

    id: str
    model: str
    alias: str
    version: str
    who: str
    when: int  # epoch ms
    reason: str
    holder: str | None  # the alias's holder when it was asked
    verdict: str  # the version's KPI verdict when it was asked
    override: bool  # asks to move a version whose verdict is not a pass
    state: str = OPEN
    approvals: tuple[AuditEntry, ...] = ()  # oldest first
    decision: AuditEntry | None = None  # the rejection, the withdrawal or the move that ended it
    needed: int = 1  # approvals the alias's rule asks for now

    @property
    def approved_by(self) -> tuple[str, ...]:
        return tuple(e.who for e in self.approvals)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "who": self.who,
            "when": self.when,
            "reason": self.reason,
            "holder": self.holder,
            "verdict": self.verdict,
            "override": self.override,
            "state": self.state,
            "approved_by": list(self.approved_by),
            "needed": self.needed,
            "decided_by": self.decision.who if self.decision else None,
            "comment": self.decision.reason if self.decision and self.decision.action != "set" else None,
        }


@dataclass(frozen=True)
class Evidence:
    """What the person asking saw: stored with the request, shown to whoever decides."""

    verdict: str
    kpis: str
    metric: str
    holder: str | None
    metrics: list[dict] = field(default_factory=list)  # metric, candidate, current, change (None: not known)
    held_out: dict[str, str] = field(default_factory=dict)  # the paired test's sentence per language
    folds: dict[str, str] = field(default_factory=dict)

    def said(self, which: str, language: str) -> str:
        """A test's sentence in ``language`` (else English, else as it was written)."""
        text = getattr(self, which)
        return text.get(language) or text.get("en") or text.get("text", "")


def _new_id() -> str:
    return uuid.uuid4().hex[:8]


def _client():
    return model_registry._client()


def _requests_from(name: str, tags: dict[str, str] | None, rules: dict[str, Rule]) -> list[Request]:
    """Every request of one model with its state, newest first, from the model's audit entries."""
    entries = sorted(governance.entries_in(tags), key=lambda e: (e.when, e.key))
    asked: dict[str, AuditEntry] = {}
    steps: dict[str, list[AuditEntry]] = {}
    for entry in entries:
        if not entry.request:
            continue
        if entry.action == "request":
            asked[entry.request] = entry
        else:
            steps.setdefault(entry.request, []).append(entry)
    found = []
    for rid, ask in asked.items():
        approvals, decision, state = [], None, OPEN
        for step in steps.get(rid, []):
            if state != OPEN:
                break
            if step.action == "approve" and step.who.lower() not in {a.who.lower() for a in approvals}:
                approvals.append(step)
            elif step.action in ("reject", "withdraw", "set"):
                decision = step
                state = {"reject": REJECTED, "withdraw": WITHDRAWN, "set": APPROVED}[step.action]
        rule = rules.get(ask.alias) or Rule(ask.alias)
        found.append(
            Request(
                rid,
                name,
                ask.alias,
                str(ask.to_version),
                ask.who,
                ask.when,
                ask.reason,
                ask.from_version,
                ask.verdict,
                ask.override,
                state,
                tuple(approvals),
                decision,
                rule.needed,
            )
        )
    return sorted(found, key=lambda r: r.when, reverse=True)


def _rules(tags: dict[str, str] | None) -> dict[str, Rule]:
    stored = governance.parse_rules(tags)
    return {alias: stored.get(alias, Rule(alias)) for alias in governance.protected_in(tags)}


def requests_of(name: str, state: str | None = None) -> list[Request]:
    """A model's requests, newest first (only those in ``state`` when given)."""
    model = governance.read_model(name)
    found = _requests_from(name, model.tags, _rules(model.tags))
    return [r for r in found if state is None or r.state == state]


def store_requests() -> list[Request]:
    """Every request of every registered model in the store, newest first (one store call)."""
    models = governance.registry_call(
        tr("requests.while_reading"), lambda: _client().search_registered_models(max_results=1000)
    )
    found = [r for m in models for r in _requests_from(m.name, m.tags, _rules(m.tags))]
    return sorted(found, key=lambda r: r.when, reverse=True)


def open_requests() -> list[Request]:
    """The open requests of every registered model in the store, newest first."""
    return [r for r in store_requests() if r.state == OPEN]


def asked_by(actor: Actor, found: list[Request], since_ms: int) -> list[Request]:
    """``actor``'s own requests: those still open and those decided since ``since_ms``."""
    name = actor.name.strip().lower()
    if not name:
        return []
    mine = [r for r in found if r.who.strip().lower() == name]
    return [r for r in mine if r.state == OPEN or (r.decision is not None and r.decision.when >= since_ms)]


def why_not_decide(request: Request, actor: Actor, rule: Rule | None = None) -> str | None:
    """Why ``actor`` may not approve or reject ``request`` (None: they may)."""
    if request.state != OPEN:
        return tr("requests.not_open", id=request.id, state=state_word(request.state))
    if not actor.name.strip():
        return tr("governance.who_first")
    if actor.name.strip().lower() == request.who.strip().lower():
        return tr("requests.own_request")
    rule = rule or Rule(request.alias)
    if not rule.allows(actor):
        return tr("requests.not_an_approver", alias=request.alias, who=actor.name)
    if actor.name.strip().lower() in {w.lower() for w in request.approved_by}:
        return tr("requests.approved_already")
    return None


def waiting_for(actor: Actor, requests: list[Request], rules: dict[str, dict[str, Rule]]) -> list[Request]:
    """The open requests ``actor`` may decide (``rules``: model -> alias -> rule)."""
    return [r for r in requests if why_not_decide(r, actor, rules.get(r.model, {}).get(r.alias)) is None]


def rules_of(names: set[str]) -> dict[str, dict[str, Rule]]:
    """The approval rules of several models (model -> alias -> rule)."""
    return {name: governance.approval_rules(name) for name in sorted(names)}


def _find(name: str, request_id: str) -> Request:
    request_id = (request_id or "").strip()
    for request in requests_of(name):
        if request.id == request_id:
            return request
    raise UnknownRequest(tr("requests.unknown", id=request_id, name=name))


def _comment(comment: str, required: bool) -> str:
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise GovernanceError(tr("governance.reason_too_long", limit=MAX_COMMENT, length=len(comment)))
    if required and len(comment) < governance.MIN_REASON:
        raise GovernanceError(tr("requests.comment_needed", minimum=governance.MIN_REASON))
    return comment


def _sentences(said) -> dict[str, str]:
    """A paired test's sentence in every language (a reason it cannot be said stays as it was written)."""
    if isinstance(said, str):
        return {"text": said}
    return {language: said.in_language(language) for language in LANGUAGES}


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def gather_evidence(name: str, version: str, holder: str | None) -> Evidence:
    """The evidence for moving an alias from ``holder`` to ``version`` as it stands now."""
    run = model_registry.get_version(name, version).run_id
    experiment_id = model_registry.experiment_of_model(name)
    kpis = projects.get_project(experiment_id).kpis if experiment_id else []
    metric = primary_metric(kpis)
    found = Evidence(governance.run_verdict(run), governance.kpi_text(kpis), metric, holder)
    holder_run = model_registry.get_version(name, holder).run_id if holder else None
    if run and holder_run:
        compared = evidence.promotion_comparison(run, holder_run, metric)
        rows = [
            {k: (_number(v) if k != "metric" else v) for k, v in row.items()}
            for row in compared.metrics.to_dict("records")
        ]
        return Evidence(
            found.verdict, found.kpis, metric, holder, rows, _sentences(compared.held_out), _sentences(compared.folds)
        )
    if run:
        own = load_evaluation(run)
        rows = [
            {"metric": k, "candidate": _number(own.metrics.get(k)) if own else None, "current": None, "change": None}
            for k in [*SCORE_METRICS, "latency_ms"]
        ]
        return Evidence(found.verdict, found.kpis, metric, holder, rows)
    return found


def evidence_of(request: Request) -> Evidence | None:
    """The evidence stored with a request (None: its version or its tag is gone)."""
    from mlflow.exceptions import MlflowException

    try:
        tags = model_registry.version_tags(request.model, request.version)
    except (model_registry.RegistryError, MlflowException):
        return None
    try:
        data = json.loads(tags.get(REQUEST_PREFIX + request.id, ""))
        return Evidence(**{k: data[k] for k in Evidence.__dataclass_fields__ if k in data})
    except (ValueError, TypeError, KeyError):
        return None


def ask(name: str, alias: str, version: str, actor: Actor, reason: str, override: bool = False) -> Request:
    """Ask for ``alias`` to move to ``version``: stored on the version with the evidence, audited on the model.
    A version whose verdict is not a pass can only be asked for with ``override`` (the reason says why)."""
    governance.check_actor(actor)
    alias = model_registry.validate_alias(alias)
    version = str(version).strip()
    model_registry.get_version(name, version)  # an unknown version is refused before anything is written
    rule = governance.rule_for(name, alias)
    if rule is None:
        raise GovernanceError(tr("requests.not_protected", alias=alias))
    holder = model_registry.get_model(name).aliases.get(alias)
    if holder == version:
        raise GovernanceError(tr("governance.already_points", alias=alias, version=version))
    for other in requests_of(name, OPEN):
        if other.alias == alias and other.version == version:
            words = {"id": other.id, "who": other.who, "alias": alias, "version": version}
            raise GovernanceError(tr("requests.asked_already", **words))
    reason = governance.written_reason(reason, True, tr("requests.reason_for_request", alias=alias))
    verdict = governance.version_verdict(name, version)
    if verdict != governance.PASS and not override:
        raise GovernanceError(
            tr("requests.needs_override", alias=alias, version=version, verdict=governance.verdict_word(verdict))
        )
    found = gather_evidence(name, version, holder)
    rid = _new_id()
    entry = governance.entry_now(
        actor,
        "request",
        alias,
        holder,
        version,
        reason,
        override=verdict != governance.PASS,
        verdict=verdict,
        request=rid,
    )
    stored = json.dumps(found.__dict__, ensure_ascii=False)
    governance.record_and_apply(
        name, entry, lambda: _client().set_model_version_tag(name, version, REQUEST_PREFIX + rid, stored)
    )
    return _find(name, rid)


def approve(name: str, request_id: str, actor: Actor, comment: str = "", expected_from=governance.UNCHECKED) -> Request:
    """Approve a request; the approval that completes it moves the alias through the gate (the move and that
    approval are written together, so a move the gate refuses leaves the request as it was)."""
    governance.check_actor(actor)
    comment = _comment(comment, False)
    request = _find(name, request_id)
    rule = governance.rule_for(name, request.alias) or Rule(request.alias)
    if why := why_not_decide(request, actor, rule):
        raise GovernanceError(why)
    entry = governance.entry_now(
        actor,
        "approve",
        request.alias,
        request.holder,
        request.version,
        comment,
        request=request.id,
    )
    if len(request.approvals) + 1 >= rule.needed:
        _carry_out(request, actor, (entry,), expected_from)
    else:
        governance.record_and_apply(name, entry, lambda: None)
        again = _find(name, request.id)  # another approval may have landed meanwhile, in another process
        if again.state == OPEN and len(again.approvals) >= rule.needed:
            _carry_out(again, actor, (), governance.UNCHECKED)
    return _find(name, request.id)


def _carry_out(request: Request, actor: Actor, decided: tuple[AuditEntry, ...], expected_from) -> AuditEntry:
    names = ", ".join([*request.approved_by, *(e.who for e in decided)])
    reason = f"request {request.id} by {request.who}, approved by {names}: {request.reason}"
    return governance.move_alias(
        request.model,
        request.alias,
        request.version,
        actor,
        reason=reason[: governance.MAX_REASON],
        override=request.override,
        expected_from=expected_from,
        request=request.id,
        decided=decided,
    )


def reject(name: str, request_id: str, actor: Actor, comment: str) -> Request:
    """Reject a request with a written comment; it ends, nothing moves."""
    governance.check_actor(actor)
    comment = _comment(comment, True)
    request = _find(name, request_id)
    why = why_not_decide(request, actor, governance.rule_for(name, request.alias) or Rule(request.alias))
    if why and why != tr("requests.approved_already"):  # who approved may still reject, e.g. after new evidence
        raise GovernanceError(why)
    _close(request, actor, "reject", comment)
    return _find(name, request.id)


def withdraw(name: str, request_id: str, actor: Actor, comment: str = "") -> Request:
    """The person who asked takes their request back."""
    governance.check_actor(actor)
    comment = _comment(comment, False)
    request = _find(name, request_id)
    if request.state != OPEN:
        raise GovernanceError(tr("requests.not_open", id=request.id, state=state_word(request.state)))
    if actor.name.strip().lower() != request.who.strip().lower():
        raise GovernanceError(tr("requests.only_requester", who=request.who))
    _close(request, actor, "withdraw", comment)
    return _find(name, request.id)


def _close(request: Request, actor: Actor, action: str, comment: str) -> None:
    entry = governance.entry_now(
        actor,
        action,
        request.alias,
        request.holder,
        request.version,
        comment,
        request=request.id,
    )
    governance.record_and_apply(request.model, entry, lambda: None)


def set_rule(name: str, alias: str, approvals: int, approvers: list[str], actor: Actor, reason: str) -> Rule:
    """Change how a protected alias moves (approvals needed, who may approve): the gate guarding itself, so only
    someone the alias's current rule allows may change it, with a reason; audited as action 'rule'."""
    governance.check_actor(actor)
    alias = model_registry.validate_alias(alias)
    model = governance.read_model(name)
    rules = _rules(model.tags)
    if alias not in rules:
        raise GovernanceError(tr("requests.not_protected", alias=alias))
    if not rules[alias].allows(actor):
        raise GovernanceError(tr("requests.only_approvers_rule", alias=alias, who=actor.name))
    if not 0 <= int(approvals) <= governance.MAX_APPROVALS:
        raise GovernanceError(tr("requests.approvals_range", most=governance.MAX_APPROVALS))
    cleaned = tuple(dict.fromkeys(a.strip() for a in approvers if a and a.strip()))
    if any(len(a) > governance.MAX_NAME for a in cleaned):
        raise GovernanceError(tr("governance.name_too_long", limit=governance.MAX_NAME))
    new = Rule(alias, int(approvals), cleaned)
    possible = new.approvers or actor.approvers  # who may approve: the rule's names, else sign-in's approvers
    if possible is not None and new.approvals > len(possible):  # without sign-in and names: anyone may
        raise GovernanceError(
            tr("requests.approvals_unreachable", count=new.approvals, alias=alias, approvers=len(possible))
        )
    before = rules[alias]
    if new == before:
        return new
    reason = governance.written_reason(reason, True, tr("requests.reason_for_rule", alias=alias))
    stored = governance.parse_rules(model.tags) | {alias: new}
    entry = governance.entry_now(
        actor,
        "rule",
        alias,
        None,
        None,
        reason,
        before=before.describe(),
        after=new.describe(),
    )
    encoded = governance.encode_rules(stored)
    governance.record_and_apply(
        name, entry, lambda: _client().set_registered_model_tag(name, governance.TAG_RULES, encoded)
    )
    return new


STATES = (OPEN, APPROVED, REJECTED, WITHDRAWN)


def state_word(state: str) -> str:
    """A request's state as shown to people."""
    return tr(f"requests.state_{state}") if state in STATES else state
