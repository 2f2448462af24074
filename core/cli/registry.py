"""K — ``promote``, ``rollback`` and ``audit``: alias changes through the promotion gate, and their audit trail."""

from __future__ import annotations

import json

from core.cli.common import EXIT_CODES, CLIError, add_model, add_who, command, emit, enforce_gate, who_acts

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
