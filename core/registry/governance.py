"""K phase governance: a promotion gate on protected aliases, an audit trail in the registry, and rollback.

Every alias change made through the workbench (page or CLI) goes through ``move_alias``, ``remove_alias`` or
``rollback``. Each writes one audit entry — a tag ``qua3ck.audit.<ms>.<id>`` on the registered model holding
who, when, which alias, from which version to which, why and whether the gate was overridden — so the trail
lives in the registry itself, survives restarts and shows in ``mlflow ui``. The entry is written first and
taken back when the registry refuses the move; ``history`` flags the rare entry whose move never landed.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import uuid
from dataclasses import asdict, dataclass

from core.common.errors import one_line
from core.common.i18n import tr, when
from core.compare.evaluation import TAG_VERDICT
from core.question import projects
from core.question.kpis import KPI, check_unique
from core.registry import model_registry
from core.registry.model_registry import RegistryError

TAG_PROTECTED = "qua3ck.protected_aliases"  # registered-model tag: comma-separated alias names
TAG_RULES = "qua3ck.approval_rules"  # registered-model tag: JSON {alias: {"approvals": n, "approvers": [names]}}
REQUEST_PREFIX = "qua3ck.request."  # model-version tag: one promotion request and its evidence (registry.requests)
MAX_APPROVALS = 5
DEFAULT_PROTECTED = ("production", "champion")
AUDIT_PREFIX = "qua3ck.audit."
MIN_REASON = 10
MAX_REASON = 1000
MAX_NAME = 100
PASS = "pass"


class GovernanceError(RegistryError):
    """An alias change the gate, the approver list or the registry refused; nothing was changed."""


class UnknownModel(GovernanceError):
    """There is no registered model of that name."""


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (``authenticated``) or a name typed once per session. ``approvers`` is the
    list allowed to move protected aliases when authentication is configured; None means promotions are
    unguarded (no authentication)."""

    name: str
    authenticated: bool = False
    approvers: tuple[str, ...] | None = None

    @property
    def guarded(self) -> bool:
        return self.approvers is not None

    def may_approve(self) -> bool:
        if not self.guarded:
            return True
        return self.authenticated and self.name.strip().lower() in {a.strip().lower() for a in self.approvers}


MOVES = ("set", "remove", "rollback")  # the audit actions that move an alias (the others change the gate)
RULES = ("kpis",)  # the audit actions on a project: its KPIs, the rules every verdict is judged by
REQUESTS = ("request", "approve", "reject", "withdraw")  # a promotion request and its decisions (registry.requests)


@dataclass(frozen=True)
class Rule:
    """How a protected alias moves. ``approvals`` 0: an approver moves it directly (and anyone else may ask);
    n >= 1: only through a request that n people other than the requester approve. ``approvers`` narrows who
    may move or approve it to these names (empty: the approvers of sign-in, or anyone without sign-in)."""

    alias: str
    approvals: int = 0
    approvers: tuple[str, ...] = ()

    @property
    def needed(self) -> int:
        """Approvals a request for this alias needs."""
        return max(1, self.approvals)

    def allows(self, actor: Actor) -> bool:
        """May ``actor`` move this alias, or approve a request for it?"""
        if not actor.may_approve():
            return False
        return not self.approvers or _same_name(actor.name, self.approvers)

    def describe(self) -> str:
        """The rule in the audit trail's words: '2 approvals from ana, ben'."""
        plural = "approval" if self.approvals == 1 else "approvals"
        count = "direct moves by an approver" if self.approvals == 0 else f"{self.approvals} {plural} on a request"
        return count + (f" from {', '.join(self.approvers)}" if self.approvers else "")


def _same_name(name: str, names) -> bool:
    return name.strip().lower() in {n.strip().lower() for n in names}


def parse_rules(tags: dict[str, str] | None) -> dict[str, Rule]:
    """The approval rules among a registered model's tags (a tag edited into nonsense counts as no rules)."""
    try:
        raw = json.loads((tags or {}).get(TAG_RULES) or "{}")
        return {
            str(alias): Rule(
                str(alias),
                min(max(int(rule.get("approvals", 0)), 0), MAX_APPROVALS),
                tuple(str(a).strip() for a in rule.get("approvers", ()) if str(a).strip()),
            )
            for alias, rule in raw.items()
        }
    except (ValueError, TypeError, AttributeError):
        return {}


def encode_rules(rules: dict[str, Rule]) -> str:
    return json.dumps(
        {a: {"approvals": r.approvals, "approvers": list(r.approvers)} for a, r in sorted(rules.items())},
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class AuditEntry:
    """One alias change as recorded on the registered model."""

    key: str
    when: int  # epoch ms
    who: str
    action: str  # MOVES; protect, unprotect, rule (the gate's own settings); kpis (RULES); REQUESTS
    alias: str  # empty for a change of the KPIs
    from_version: str | None
    to_version: str | None
    reason: str = ""
    override: bool = False
    verdict: str = ""  # the target version's KPI verdict at the time
    applied: bool = True  # False: the newest entry of its alias, but the alias does not hold its target
    before: str = ""  # a change of the KPIs or of an alias's rule: before and after, as "accuracy >= 0.95"
    after: str = ""
    request: str = ""  # the promotion request this entry asks, decides or carries out (core.registry.requests)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GateDecision:
    """Whether an alias may move to a version, and why not."""

    alias: str
    version: str
    protected: bool
    verdict: str
    verdict_ok: bool  # the version passes its KPIs, or the alias is not protected
    approver_ok: bool  # the actor may move the alias directly
    message: str
    approvals: int = 0  # approvals a request for this move needs (0: the alias is not protected)

    @property
    def allowed(self) -> bool:
        return self.verdict_ok and self.approver_ok

    @property
    def request_instead(self) -> bool:
        """The actor may not move the alias, but may ask for the move with a promotion request."""
        return self.protected and not self.approver_ok


def _client():
    return model_registry._client()


def registry_call(what: str, call, *args):
    """Run a registry call; an unreachable or refusing registry becomes one GovernanceError line."""
    from mlflow.exceptions import MlflowException

    try:
        return call(*args)
    except RegistryError:
        raise
    except (MlflowException, OSError, ConnectionError) as exc:
        raise GovernanceError(tr("governance.no_answer", what=what, error=one_line(exc))) from None


def read_model(name: str):
    from mlflow.exceptions import MlflowException

    model_registry.validate_model_name(name)  # MLflow's own refusal of a bad name would read as "did not answer"
    try:
        return _client().get_registered_model(name)
    except MlflowException as exc:
        if "RESOURCE_DOES_NOT_EXIST" in str(getattr(exc, "error_code", "")) or "not found" in str(exc).lower():
            raise UnknownModel(tr("registry.err_no_model_named", name=name)) from None
        raise GovernanceError(tr("governance.no_answer_reading", name=name, error=one_line(exc))) from None
    except OSError as exc:
        raise GovernanceError(tr("governance.no_answer_reading", name=name, error=one_line(exc))) from None


def protected_aliases(name: str) -> tuple[str, ...]:
    """The aliases of a model guarded by the gate (the model's tag, else production and champion)."""
    return protected_in(read_model(name).tags)


def protected_in(tags: dict[str, str] | None) -> tuple[str, ...]:
    raw = (tags or {}).get(TAG_PROTECTED)
    if raw is None:
        return DEFAULT_PROTECTED
    return tuple(a for a in (part.strip() for part in raw.split(",")) if a)


def approval_rules(name: str) -> dict[str, Rule]:
    """Each protected alias's rule (a protected alias without a stored rule: approvers move it directly)."""
    tags = read_model(name).tags
    stored = parse_rules(tags)
    return {alias: stored.get(alias, Rule(alias)) for alias in protected_in(tags)}


def rule_for(name: str, alias: str) -> Rule | None:
    """The rule of ``alias`` when it is protected, else None."""
    return approval_rules(name).get(alias)


def set_protected_aliases(name: str, aliases: list[str], actor: Actor, reason: str = "") -> tuple[str, ...]:
    """Choose which aliases of a model the gate guards: the gate guarding itself, so only an approver may change it
    when sign-in is configured, a change needs a reason, and each alias protected or released is an audit entry."""
    check_actor(actor)
    if not actor.may_approve():
        raise GovernanceError(tr("governance.only_approvers_protect", name=actor.name))
    cleaned = tuple(dict.fromkeys(model_registry.validate_alias(a) for a in aliases))
    before = protected_aliases(name)
    changes = [("protect", a) for a in cleaned if a not in before] + [
        ("unprotect", a) for a in before if a not in cleaned
    ]
    if not changes:
        return cleaned
    reason = written_reason(reason, True, tr("governance.reason_for_protection"))
    now = int(time.time() * 1000)
    entries = [
        AuditEntry(new_key(now), now, actor.name.strip(), action, alias, None, None, reason)
        for action, alias in changes
    ]
    protect = ",".join(cleaned)
    record_and_apply(
        name, entries[0], lambda: _client().set_registered_model_tag(name, TAG_PROTECTED, protect), *entries[1:]
    )
    return cleaned


def run_verdict(run_id: str | None) -> str:
    """The KPI verdict of a run on its held-out rows: pass, fail, none or 'not evaluated'."""
    from mlflow.exceptions import MlflowException

    if not run_id:
        return "not evaluated"
    try:
        return _client().get_run(run_id).data.tags.get(TAG_VERDICT, "not evaluated")
    except MlflowException:
        return "not evaluated"


def version_verdict(name: str, version: str) -> str:
    """The KPI verdict of a version's run."""
    return run_verdict(model_registry.get_version(name, version).run_id)


def check_actor(actor: Actor) -> None:
    if not actor.name.strip():
        raise GovernanceError(tr("governance.who_first"))
    if len(actor.name) > MAX_NAME:
        raise GovernanceError(tr("governance.name_too_long", limit=MAX_NAME))


def _decide(alias: str, what: str, version: str, rule: Rule | None, verdict: str, actor: Actor) -> GateDecision:
    protected = rule is not None
    verdict_ok = not protected or verdict == PASS
    approver_ok = not protected or (rule.approvals == 0 and rule.allows(actor))
    if protected and rule.approvals > 0:
        message = tr("governance.gate_needs_request", alias=alias, count=rule.approvals)
    elif not approver_ok:
        who = actor.name or tr("governance.you")
        message = tr("governance.gate_not_approver", alias=alias, who=who)
    elif not verdict_ok:
        message = tr("governance.gate_not_pass", alias=alias, what=what, verdict=verdict_word(verdict))
    elif protected:
        message = tr("governance.gate_passes", alias=alias, what=what)
    else:
        message = tr("governance.gate_unprotected", alias=alias)
    approvals = rule.needed if protected else 0
    return GateDecision(alias, version, protected, verdict, verdict_ok, approver_ok, message, approvals)


def check_gate(name: str, alias: str, version: str, actor: Actor) -> GateDecision:
    """May ``actor`` point ``alias`` at ``version``? Protected aliases need a passing KPI verdict (or an
    override with a reason) and, when promotions are guarded, an approver."""
    alias = model_registry.validate_alias(alias)
    version = str(version)
    what = tr("governance.what_version", version=version)
    return _decide(alias, what, version, rule_for(name, alias), version_verdict(name, version), actor)


def check_run_gate(name: str, alias: str, run_id: str, actor: Actor) -> GateDecision:
    """check_gate for the version a run is about to become (a model not registered yet has the default
    protected aliases), so a refused promotion registers nothing."""
    alias = model_registry.validate_alias(alias)
    try:
        rule = rule_for(name, alias)
    except UnknownModel:
        rule = Rule(alias) if alias in DEFAULT_PROTECTED else None
    return _decide(alias, tr("governance.what_run", run=run_id), "", rule, run_verdict(run_id), actor)


_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def _alias_lock(name: str, alias: str) -> threading.Lock:
    """One lock per model alias in this process: two sessions of one server cannot interleave a move."""
    with _locks_guard:
        return _locks.setdefault((name, alias), threading.Lock())


UNCHECKED = object()


def _check_holder(name: str, alias: str, expected_from) -> str | None:
    current = model_registry.get_model(name).aliases.get(alias)
    if expected_from is not UNCHECKED and current != (str(expected_from) if expected_from is not None else None):
        seen = tr("governance.what_version", version=expected_from) if expected_from is not None else None
        now = tr("governance.what_version", version=current) if current is not None else None
        nothing = tr("governance.no_version")
        raise GovernanceError(tr("governance.changed_meanwhile", alias=alias, seen=seen or nothing, now=now or nothing))
    return current


def written_reason(reason: str, required: bool, what: str) -> str:
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise GovernanceError(tr("governance.reason_too_long", limit=MAX_REASON, length=len(reason)))
    if required and len(reason) < MIN_REASON:
        raise GovernanceError(tr("governance.reason_needed", what=what, minimum=MIN_REASON))
    return reason


def record_and_apply(name: str, entry: AuditEntry, apply, *more: AuditEntry) -> AuditEntry:
    """Write the entry (and ``more`` of the same change) on the registered model, then the change; if the registry
    refuses the change, take the entries back."""
    client = _client()
    return _record_then(
        lambda key, value: client.set_registered_model_tag(name, key, value),
        lambda key: client.delete_registered_model_tag(name, key),
        (entry, *more),
        apply,
    )


def _record_then(write, delete, entries: tuple[AuditEntry, ...], apply) -> AuditEntry:
    """Write the entries with ``write(key, value)``, then ``apply()``; when that fails, ``delete(key)`` them again, so
    no entry claims a change that did not happen. Returns the first entry."""
    for written in entries:
        registry_call(tr("governance.while_recording"), write, written.key, _encode(written))
    try:
        apply()
    except Exception as exc:  # noqa: BLE001 — whatever failed, the entry must not claim a change that did not happen
        for written in entries:
            with contextlib.suppress(Exception):  # if this fails too, history() flags a move's entry as not applied
                delete(written.key)
        raise GovernanceError(tr("governance.refused", error=one_line(exc))) from None
    return entries[0]


def _encode(entry: AuditEntry) -> str:
    data = entry.as_dict()
    data.pop("key")
    data.pop("applied")
    for rules_only in ("before", "after", "request"):
        if not data[rules_only]:
            data.pop(rules_only)
    return json.dumps(data, ensure_ascii=False)


def new_key(now: int) -> str:
    return f"{AUDIT_PREFIX}{now:013d}.{uuid.uuid4().hex[:8]}"


def entry_now(
    actor: Actor, action: str, alias: str, from_version: str | None, to_version: str | None, reason: str = "", **more
) -> AuditEntry:
    """An audit entry of ``actor`` doing ``action`` now (``more``: override, verdict, request, before, after)."""
    now = int(time.time() * 1000)
    return AuditEntry(new_key(now), now, actor.name.strip(), action, alias, from_version, to_version, reason, **more)


def move_alias(
    name: str,
    alias: str,
    version: str,
    actor: Actor,
    reason: str = "",
    override: bool = False,
    expected_from=UNCHECKED,
    request: str = "",
    decided: tuple[AuditEntry, ...] = (),
) -> AuditEntry:
    """Point ``alias`` at ``version`` through the gate and record it. ``expected_from`` is the holder the person
    saw when deciding (None: no holder); when the alias moved meanwhile, nothing changes. ``request`` is a
    promotion request whose approvals core.registry.requests has counted (it stands in for the approver), and
    ``decided`` the entry of the approval that completes it, written with the move."""
    check_actor(actor)
    alias = model_registry.validate_alias(alias)
    version = str(version)
    with _alias_lock(name, alias):
        model_registry.get_version(name, version)  # an unknown or deleted version is refused before anything changes
        current = _check_holder(name, alias, expected_from)
        if current == version:
            raise GovernanceError(tr("governance.already_points", alias=alias, version=version))
        decision = check_gate(name, alias, version, actor)
        if not decision.approver_ok and not request:
            raise GovernanceError(decision.message)
        if not decision.verdict_ok and not override:
            raise GovernanceError(decision.message)
        reason = written_reason(reason, not decision.verdict_ok, tr("governance.reason_for_override", alias=alias))
        now = int(time.time() * 1000)
        entry = AuditEntry(
            key=new_key(now),
            when=now,
            who=actor.name.strip(),
            action="set",
            alias=alias,
            from_version=current,
            to_version=version,
            reason=reason,
            override=override and not decision.verdict_ok,
            verdict=decision.verdict,
            request=request,
        )
        move = lambda: _client().set_registered_model_alias(name, alias, version)  # noqa: E731
        return record_and_apply(name, entry, move, *decided)


def remove_alias(name: str, alias: str, actor: Actor, reason: str = "", expected_from=UNCHECKED) -> AuditEntry:
    """Remove an alias and record it; a protected alias needs an approver and a reason."""
    check_actor(actor)
    with _alias_lock(name, alias):
        current = _check_holder(name, alias, expected_from)
        if current is None:
            raise GovernanceError(tr("registry.err_no_alias", name=name, alias=alias))
        rule = rule_for(name, alias)
        protected = rule is not None
        if protected and not rule.allows(actor):
            raise GovernanceError(tr("governance.only_approvers_remove", alias=alias))
        reason = written_reason(reason, protected, tr("governance.reason_for_removal", alias=alias))
        now = int(time.time() * 1000)
        entry = AuditEntry(new_key(now), now, actor.name.strip(), "remove", alias, current, None, reason)
        return record_and_apply(name, entry, lambda: _client().delete_registered_model_alias(name, alias))


def rollback_target(name: str, alias: str) -> tuple[AuditEntry, str | None]:
    """The change a rollback undoes (the alias's newest applied entry) and the version it restores (None: the
    alias did not exist before, so rollback removes it)."""
    entries = [e for e in history(name, alias) if e.applied and e.action in MOVES]
    if not entries:
        raise GovernanceError(tr("governance.nothing_to_roll_back", alias=alias))
    last = entries[0]
    return last, last.from_version


def rollback(name: str, alias: str, actor: Actor, reason: str = "") -> AuditEntry:
    """Move an alias back to its previous holder in one step (itself audited). A rollback restores a state the
    gate once allowed, so it does not check the KPI verdict again; protected aliases still need an approver."""
    check_actor(actor)
    with _alias_lock(name, alias):
        last, target = rollback_target(name, alias)
        current = _check_holder(name, alias, last.to_version)
        rule = rule_for(name, alias)
        protected = rule is not None  # a rollback restores what the gate once let through: no new gate check
        if protected and not rule.allows(actor):
            raise GovernanceError(tr("governance.only_approvers_rollback", alias=alias))
        if protected and rule.approvals > 0:  # but not past the rule that no one person moves it
            back = f"v{target}" if target is not None else tr("governance.no_version")
            raise GovernanceError(tr("governance.rollback_needs_request", alias=alias, count=rule.approvals, back=back))
        if target is not None:
            model_registry.get_version(name, target)  # a deleted previous holder cannot be restored
        reason = (
            written_reason(reason, False, tr("governance.reason_for_rollback"))
            or f"Rollback of the change at {_when(last.when)} by {last.who}"
        )
        now = int(time.time() * 1000)
        verdict = version_verdict(name, target) if target is not None else ""
        entry = AuditEntry(
            new_key(now),
            now,
            actor.name.strip(),
            "rollback",
            alias,
            current,
            target,
            reason,
            protected and target is not None and verdict != PASS,
            verdict,
        )
        if target is None:
            apply = lambda: _client().delete_registered_model_alias(name, alias)  # noqa: E731
        else:
            apply = lambda: _client().set_registered_model_alias(name, alias, target)  # noqa: E731
        return record_and_apply(name, entry, apply)


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(ms / 1000))


def history(name: str, alias: str | None = None) -> list[AuditEntry]:
    """The model's audit trail, newest first (only ``alias``'s when given). The newest entry of each alias must
    match where the alias points now; one that does not is marked ``applied=False``."""
    model = read_model(name)
    aliases = {a: str(v) for a, v in (model.aliases or {}).items()}
    entries = entries_in(model.tags)
    entries.sort(key=lambda e: (e.when, e.key), reverse=True)
    seen: set[str] = set()
    checked = []
    for entry in entries:
        if entry.action in MOVES and entry.alias not in seen:
            seen.add(entry.alias)
            if aliases.get(entry.alias) != entry.to_version:
                entry = AuditEntry(**{**entry.as_dict(), "applied": False})
        checked.append(entry)
    return [e for e in checked if alias is None or e.alias == alias]


def entries_in(tags: dict[str, str] | None) -> list[AuditEntry]:
    """The audit entries among a model's or a project's tags."""
    entries = []
    for key, value in (tags or {}).items():
        if not key.startswith(AUDIT_PREFIX):
            continue
        try:
            data = json.loads(value)
            entries.append(AuditEntry(key=key, **{k: data[k] for k in data if k in AuditEntry.__dataclass_fields__}))
        except (ValueError, TypeError):
            continue  # a tag someone edited by hand is not a trail entry
    return entries


def kpi_changes(experiment_id: str) -> list[AuditEntry]:
    """The recorded changes of a project's KPIs, newest first."""
    experiment = registry_call(tr("governance.while_reading_kpis"), _client().get_experiment, experiment_id)
    return sorted(entries_in(experiment.tags), key=lambda e: (e.when, e.key), reverse=True)


def trail(name: str) -> list[AuditEntry]:
    """The model's audit trail together with the changes of its project's KPIs, newest first: everything that
    decided where its aliases point."""
    entries = history(name)
    experiment_id = model_registry.experiment_of_model(name)
    if experiment_id is not None:
        entries += kpi_changes(experiment_id)
    return sorted(entries, key=lambda e: (e.when, e.key), reverse=True)


def kpis_judged(experiment_id: str) -> bool:
    """Have the project's KPIs judged a run yet? From then on they are the gate's rules and changing them is audited."""
    runs = registry_call(
        tr("governance.while_reading_kpis"),
        lambda: _client().search_runs([experiment_id], f"tags.`{TAG_VERDICT}` LIKE '%'", max_results=1),
    )
    return bool(runs)


def kpis_differ(before: list[KPI], after: list[KPI]) -> bool:
    """Do two KPI lists set different rules? Their order does not matter."""
    return sorted(map(str, before)) != sorted(map(str, after))


def kpi_text(kpis: list[KPI]) -> str:
    return ", ".join(str(k) for k in kpis)


def save_question_and_kpis(
    experiment_id: str, question: str, kpis: list[KPI], actor: Actor, reason: str = ""
) -> projects.Project:
    """Save a project's question and KPIs. Once the KPIs have judged a run they are the gate's rules, so changing
    them needs a name and a reason (an approver when sign-in is configured) and writes an audit entry on the
    project before the change; the question alone, or KPIs nothing was judged by yet, are saved as they are."""
    check_unique(kpis)
    stored = projects.get_project(experiment_id).kpis
    if not kpis_differ(stored, kpis) or not kpis_judged(experiment_id):
        return projects.save_question_and_kpis(experiment_id, question, kpis)
    check_actor(actor)
    if not actor.may_approve():
        raise GovernanceError(tr("governance.only_approvers_kpis", name=actor.name))
    reason = written_reason(reason, True, tr("governance.reason_for_kpis"))
    now = int(time.time() * 1000)
    before, after = kpi_text(stored), kpi_text(kpis)
    who = actor.name.strip()
    entry = AuditEntry(new_key(now), now, who, "kpis", "", None, None, reason, before=before, after=after)
    client = _client()
    saved = []
    _record_then(
        lambda key, value: client.set_experiment_tag(experiment_id, key, value),
        lambda key: client.delete_experiment_tag(experiment_id, key),
        (entry,),
        lambda: saved.append(projects.save_question_and_kpis(experiment_id, question, kpis)),
    )
    return saved[0]


def describe_entry(entry: AuditEntry) -> str:
    """One line for the timeline: '2026-11-27 09:12:03 UTC — ana moved @production v2 → v3: reason'."""

    def v(x):
        return f"v{x}" if x is not None else "—"

    verbs = {
        "set": "moved",
        "remove": "removed",
        "rollback": "rolled back",
        "protect": "protected",
        "request": "asked to move",
        "approve": "approved moving",
        "reject": "rejected moving",
        "withdraw": "withdrew the request to move",
    }
    verb = verbs.get(entry.action, "unprotected" if entry.action == "unprotect" else entry.action)
    if entry.action in RULES:
        text = f"{_when(entry.when)} — {entry.who} changed the KPIs: {entry.before or 'none'} → {entry.after or 'none'}"
        return text + (f": {entry.reason}" if entry.reason else "")
    if entry.action == "rule":
        text = f"{_when(entry.when)} — {entry.who} changed how @{entry.alias} moves: {entry.before} → {entry.after}"
        return text + (f": {entry.reason}" if entry.reason else "")
    text = f"{_when(entry.when)} — {entry.who} {verb} @{entry.alias}"
    if entry.action in MOVES or entry.action in REQUESTS:
        text += f" {v(entry.from_version)} → {v(entry.to_version)}"
    if entry.request:
        text += f" (request {entry.request})"
    if entry.override:
        text += " (gate overridden)"
    if entry.reason:
        text += f": {entry.reason}"
    if not entry.applied:
        text += (
            f" ⚠ @{entry.alias} no longer matches this entry: moved outside the workbench, or the change did not land"
        )
    return text


def alias_story(name: str, alias: str, run_id: str | None) -> str:
    """Who last moved an alias, when and why, and the served version's KPI verdict, in one line."""
    entries = [e for e in history(name, alias) if e.applied]
    said = tr("governance.story_verdict", verdict=verdict_word(run_verdict(run_id)))
    if not entries:
        return tr("governance.story_outside", said=said)
    last = entries[0]
    key = "governance.story_rolled_back" if last.action == "rollback" else "governance.story_set"
    moved = tr(key, who=last.who, when=when(last.when))  # for a reader: the date as their language writes it
    return f"{said} · {moved}" + (f" ({last.reason})" if last.reason else "")


VERDICTS = ("pass", "fail", "none", "not evaluated")  # as stored; shown as governance.verdict_<verdict>


def verdict_word(verdict: str) -> str:
    """A KPI verdict as shown to people (the stored value stays pass, fail, none or 'not evaluated')."""
    return tr(f"governance.verdict_{verdict.replace(' ', '_')}") if verdict in VERDICTS else verdict
