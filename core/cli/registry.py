"""K — ``promote``, ``rollback`` and ``audit``: alias changes through the promotion gate, and their audit trail;
``request``, ``approve``, ``reject``, ``withdraw`` and ``requests``: promotion requests (a CI job asks, a person
decides)."""

from __future__ import annotations

import json

from core.cli.common import (
    EXIT_CODES,
    CLIError,
    GateRefused,
    add_model,
    add_who,
    command,
    emit,
    enforce_gate,
    who_acts,
)

PROMOTE_HELP = """Point an alias at a run's model (registered as a new version first) or at an existing version.

Every move goes through the promotion gate and writes an audit entry on the registered model (who, when,
from which version to which, why). Protected aliases (production and champion unless the model's
qua3ck.protected_aliases tag says otherwise) only take a version whose run's KPI verdict is 'pass'
(see 'evaluate'); --force --reason TEXT overrides the gate and records the override and the reason.
A refused promote registers nothing and moves nothing."""


PROMOTE_SUMMARY = (
    "point an alias at a run's model or an existing version, through the promotion gate; exit 3 if refused"
)
ROLLBACK_SUMMARY = "move an alias back to the version it held before its last recorded change (audited)"
REQUEST_HELP = """Ask for a protected alias to move to a version; approvers decide (approve, reject).

The request is stored on the version with the evidence at this moment (KPI verdict, the version against the
alias's holder) and recorded in the model's audit trail. A version whose KPI verdict is not a pass can only be
asked for with --override (the --reason says why). How many approvals a move needs and who may give them is the
alias's rule (set on the K page); the person who asks never approves their own request.

Names on the command line (--by, $QUA3CK_USER, the login name) are not verified: anyone can act as anyone here,
as on a page without sign-in. Guard who decides with sign-in on the app, or a tracking server that authenticates."""
DECIDE_EPILOG = EXIT_CODES.replace("promote: the promotion gate refused", "the rules or the gate refused")


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    promote = command(sub, "promote", PROMOTE_SUMMARY, PROMOTE_HELP, EXIT_CODES)
    add_model(promote)
    source = promote.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="register this run's model as a new version, then move the alias to it")
    source.add_argument("--version", help="move the alias to this existing version")
    promote.add_argument("--force", action="store_true", help="override the gate on a protected alias (needs --reason)")
    promote.add_argument("--reason", metavar="TEXT", help="why, recorded in the audit entry (--force: required)")
    add_who(promote, "promotes")
    promote.add_argument("--json", action="store_true")
    promote.set_defaults(usage_error=promote.error)  # for the checks argparse cannot express
    rollback = command(sub, "rollback", ROLLBACK_SUMMARY, None, EXIT_CODES)
    add_model(rollback)
    add_who(rollback, "rolls back")
    rollback.add_argument("--reason", metavar="TEXT", help="why, recorded in the audit entry")
    rollback.add_argument("--json", action="store_true")
    audit = sub.add_parser(
        "audit", help="a model's alias changes and its project's KPI changes (who, when, from, to, why), newest first"
    )
    add_model(audit, alias_required=False, alias_help="only this alias's changes")
    audit.add_argument("--json", action="store_true", help="a JSON list of entries")
    request = command(sub, "request", "ask for a protected alias to move to a version", REQUEST_HELP, DECIDE_EPILOG)
    add_model(request)
    request.add_argument("--version", required=True, help="the version the alias should point at")
    request.add_argument("--reason", metavar="TEXT", required=True, help="why (at least 10 characters)")
    request.add_argument("--override", action="store_true", help="ask to move a version whose verdict is not a pass")
    add_who(request, "asks")
    request.add_argument("--json", action="store_true")
    for name, does, comment_help in (
        ("approve", "approve a promotion request; the last approval it needs moves the alias", "optional"),
        ("reject", "reject a promotion request with a comment; nothing moves", "required, at least 10 characters"),
        ("withdraw", "take back your own promotion request", "optional"),
    ):
        decide = command(sub, name, does, None, DECIDE_EPILOG)
        decide.add_argument("--model", required=True)
        decide.add_argument("--request", metavar="ID", required=True, help="the request's id (see 'requests')")
        decide.add_argument(
            "--comment", metavar="TEXT", default="", help=f"recorded with the decision ({comment_help})"
        )
        add_who(decide, name + "s")
        decide.add_argument("--json", action="store_true")
    pending = sub.add_parser("requests", help="the open promotion requests of a model, or of the whole store")
    pending.add_argument("--model", help="only this model's requests")
    pending.add_argument("--all", action="store_true", help="also those decided or withdrawn (needs --model)")
    pending.add_argument("--json", action="store_true", help="a JSON list of requests")


def cmd_promote(args) -> int:
    from core.registry import governance, model_registry

    reason = (args.reason or "").strip()
    if args.force and not reason:
        args.usage_error("--force needs --reason TEXT: an override of the gate is recorded with why")
    if args.force and len(reason) < governance.MIN_REASON:
        raise CLIError(
            f"--force needs a --reason of at least {governance.MIN_REASON} characters (it has {len(reason)})."
        )
    if len(reason) > governance.MAX_REASON:
        raise CLIError(f"--reason: keep it under {governance.MAX_REASON} characters (it has {len(reason)}).")
    actor = who_acts(args)
    alias = model_registry.validate_alias(args.alias)
    name = model_registry.validate_model_name(args.model)
    if args.run is not None:
        model_registry.run_model_uri(args.run)  # no run or no model: nothing to register, exit 2
        enforce_gate(governance.check_run_gate(name, alias, args.run, actor), args.force)
        version = model_registry.register(args.run, name).version
    else:
        version = str(args.version).strip()
        enforce_gate(governance.check_gate(name, alias, version, actor), args.force)
    try:
        entry = governance.move_alias(name, alias, version, actor, reason=reason, override=args.force)
    except governance.GovernanceError as exc:
        if args.run is None:
            raise
        raise CLIError(f"{exc} Version {version} was registered, but @{alias} was not moved.") from None
    info = model_registry.get_version(name, version)
    payload = {
        "model": name,
        "alias": alias,
        "version": int(version),
        "from_version": int(entry.from_version) if entry.from_version is not None else None,
        "run_id": info.run_id,
        "who": entry.who,
        "override": entry.override,
        "reason": entry.reason,
        "verdict": entry.verdict,
        "audit_key": entry.key,
    }
    was = f"was version {entry.from_version}" if entry.from_version is not None else "new alias"
    overridden = f"; gate overridden: {entry.reason}" if entry.override else ""
    text = f"models:/{name}@{alias} -> version {version} ({was}; by {entry.who}; verdict {entry.verdict}{overridden})"
    emit(args, payload, text)
    return 0


def cmd_rollback(args) -> int:
    from core.registry import governance

    actor = who_acts(args)
    entry = governance.rollback(args.model, args.alias, actor, reason=args.reason or "")

    def v(version):
        return f"v{version}" if version is not None else "—"

    payload = {
        "model": args.model,
        "alias": entry.alias,
        "from_version": int(entry.from_version) if entry.from_version is not None else None,
        "to_version": int(entry.to_version) if entry.to_version is not None else None,
        "who": entry.who,
        "reason": entry.reason,
        "audit_key": entry.key,
    }
    emit(args, payload, f"@{entry.alias}: {v(entry.from_version)} → {v(entry.to_version)} (rolled back)")
    return 0


def cmd_audit(args) -> int:
    from core.registry import governance

    entries = governance.history(args.model, args.alias) if args.alias else governance.trail(args.model)
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], default=str, ensure_ascii=False))
        return 0
    scope = f"@{args.alias} of " if args.alias else ""
    print(
        "\n".join(governance.describe_entry(e) for e in entries) or f"no recorded alias changes for {scope}{args.model}"
    )
    return 0


def _request_line(request) -> str:
    def v(version):
        return f"v{version}" if version is not None else "—"

    approvals = f"{len(request.approvals)}/{request.needed} approvals"
    if request.approved_by:
        approvals += " (" + ", ".join(request.approved_by) + ")"
    override = "; asks to override the gate" if request.override else ""
    return (
        f"{request.id}  {request.model}@{request.alias} {v(request.holder)} → {v(request.version)}  {request.state}"
        f"  asked by {request.who}: {request.reason}  [{approvals}; verdict {request.verdict}{override}]"
    )


def _decided(args, call, text: str = "", required: bool = False, what: str = "--comment") -> int:
    """Run a request command; what the rules or the gate refuse is exit 3, like a refused promote; an unknown
    model or request, or a ``text`` too short or too long, exit 2."""
    from core.registry import governance, requests

    text = (text or "").strip()
    if required and len(text) < governance.MIN_REASON:
        raise CLIError(f"{what} needs at least {governance.MIN_REASON} characters (it has {len(text)}).")
    if len(text) > governance.MAX_REASON:
        raise CLIError(f"{what}: keep it under {governance.MAX_REASON} characters (it has {len(text)}).")
    try:
        request = call()
    except (governance.UnknownModel, requests.UnknownRequest):
        raise
    except governance.GovernanceError as exc:
        raise GateRefused(str(exc)) from None
    emit(args, request.as_dict(), _request_line(request))
    return 0


def cmd_request(args) -> int:
    from core.registry import requests

    actor = who_acts(args)
    return _decided(
        args,
        lambda: requests.ask(args.model, args.alias, args.version, actor, args.reason, override=args.override),
        args.reason,
        required=True,
        what="--reason",
    )


def cmd_approve(args) -> int:
    from core.registry import requests

    actor = who_acts(args)
    return _decided(args, lambda: requests.approve(args.model, args.request, actor, args.comment), args.comment)


def cmd_reject(args) -> int:
    from core.registry import requests

    actor = who_acts(args)
    return _decided(args, lambda: requests.reject(args.model, args.request, actor, args.comment), args.comment, True)


def cmd_withdraw(args) -> int:
    from core.registry import requests

    actor = who_acts(args)
    return _decided(args, lambda: requests.withdraw(args.model, args.request, actor, args.comment), args.comment)


def cmd_requests(args) -> int:
    from core.registry import requests

    if args.all and not args.model:
        raise CLIError("--all needs --model NAME: decided requests are listed per model.")
    if args.model:
        found = requests.requests_of(args.model, None if args.all else requests.OPEN)
    else:
        found = requests.open_requests()
    if args.json:
        print(json.dumps([r.as_dict() for r in found], default=str, ensure_ascii=False))
        return 0
    scope = f" for {args.model}" if args.model else ""
    print("\n".join(_request_line(r) for r in found) or f"no open promotion requests{scope}")
    return 0
