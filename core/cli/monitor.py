"""Monitor and CT — ``monitor`` (drift and KPIs of a batch or the prediction log) and ``retrain``."""

from __future__ import annotations

from pathlib import Path

from core.cli.common import (
    EXIT_CODES,
    EXIT_KPI_FAILED,
    CLIError,
    GateRefused,
    add_model,
    add_who,
    command,
    emit,
    progress_stream,
    who_acts,
)

MONITOR_HELP = """Compare the training data of models:/MODEL@ALIAS with a batch (--input) or the prediction log (--log).

Per feature: Kolmogorov-Smirnov test and PSI (numbers), chi-square test and PSI (categories); a feature drifts
when PSI >= --psi or p < --alpha, and PSI between 0.1 and --psi is reported as moderate. A batch needs at least
--min-rows rows and the model's input columns; with the target column it is predicted with the served model and
the project's score KPIs are checked on it (a KPI is breached when it fails over all labelled rows)."""

MONITOR_EXIT_CODES = """exit codes:
  0  no drift, no KPI breach
  1  a feature drifts or a KPI is breached
  2  usage or input error (one line on stderr)"""

RETRAIN_HELP = """Retrain a registered model with a labelled batch (CSV/Parquet/Excel with the training features and
the target), and register the result as @challenger (audited).

The batch is checked against the training schema (exactly the training columns, at least 20 rows, only known
labels) before anything is written. --combine append trains on the old data plus the batch, replace on the
batch only. The recipe of --alias's version is rerun: its search configuration (search.json) or its algorithm,
hyperparameters and feature steps. Champion and challenger are scored on the same held-out rows, which neither
was trained on. --promote moves --to (default: --alias) to the challenger through the gate: refused (exit 3)
when the challenger's KPI verdict is not a pass or it does not beat the current holder on those rows; --force
--reason TEXT overrides. Progress lines go to stdout, with --json to stderr. Exit 3 (refused) leaves the new
version registered as @challenger and moves nothing else."""


MONITOR_SUMMARY = (
    "drift of a batch (or the prediction log) against the training data, KPIs when it has labels; exit 1 "
    "on drift or a KPI breach"
)
RETRAIN_SUMMARY = (
    "retrain a model with a labelled batch, register it as @challenger, optionally promote it (exit 3 if refused)"
)


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    monitor = command(sub, "monitor", MONITOR_SUMMARY, MONITOR_HELP, MONITOR_EXIT_CODES)
    add_model(monitor)
    recent = monitor.add_mutually_exclusive_group(required=True)
    recent.add_argument("--input", type=Path, help="CSV/Parquet/Excel batch with the model's input columns")
    recent.add_argument("--log", action="store_true", help="the model's prediction log instead of a batch")
    monitor.add_argument("--psi", type=float, default=0.2, metavar="X", help="PSI from which a feature drifts")
    monitor.add_argument("--alpha", type=float, default=0.01, metavar="P", help="test p-value below which it drifts")
    monitor.add_argument("--min-rows", type=int, default=30, metavar="N", help="fewest rows the drift tests use")
    monitor.add_argument("--json", action="store_true")
    retrain = command(sub, "retrain", RETRAIN_SUMMARY, RETRAIN_HELP, EXIT_CODES)
    add_model(
        retrain, alias_required=False, alias_default="champion", alias_help="the model to retrain (default: champion)"
    )
    retrain.add_argument("--input", required=True, type=Path, help="labelled batch: the features and the target")
    retrain.add_argument("--combine", choices=["append", "replace"], default="append")
    retrain.add_argument("--promote", action="store_true", help="then move --to to the challenger through the gate")
    retrain.add_argument("--to", metavar="ALIAS", help="the alias --promote moves (default: --alias)")
    retrain.add_argument("--force", action="store_true", help="with --promote: override a refusal (needs --reason)")
    retrain.add_argument("--reason", metavar="TEXT", help="why, recorded in the promotion's audit entry")
    add_who(retrain, "retrains")
    retrain.add_argument("--json", action="store_true")


def cmd_monitor(args) -> int:
    from core.monitor import monitoring
    from core.monitor.drift import Thresholds

    try:
        thresholds = Thresholds(
            psi_moderate=min(0.1, args.psi), psi_drift=args.psi, alpha=args.alpha, min_rows=args.min_rows
        )
    except ValueError as exc:
        raise CLIError(f"monitor: {exc}") from None
    if args.log:
        report = monitoring.monitor_log(args.model, args.alias, thresholds=thresholds)
    else:
        if not args.input.is_file():
            raise CLIError(f"Input file '{args.input}' does not exist.")
        report = monitoring.monitor_file(args.model, args.alias, args.input.read_bytes(), args.input.name, thresholds)
    lines = [
        f"models:/{args.model}@{args.alias} (version {report.reference.version}) vs {report.current.source}: "
        f"{report.current_rows:,} rows; training data '{report.reference.dataset}' "
        f"({len(report.reference.frame):,} rows)"
    ]
    for d in report.drift:
        stats = "skipped: " + d.note if d.psi is None else f"PSI {d.psi:.3f}  {d.test} p={d.p_value:.2g}"
        lines.append(f"{d.verdict.upper():9} {d.feature}  ({d.kind})  {stats}")
    for k in report.kpis:
        state = "n/a " if k.passed is None else ("PASS" if k.passed else "FAIL")
        measured = f"measured {k.value:.4g}" if k.value is not None else f"not measured: {k.why_not}"
        lines.append(f"KPI {state} {k.kpi}  ({measured})")
    lines.append("ALERT: " + "; ".join(report.alerts()) if report.alert else "OK: no drift, no KPI breach")
    emit(args, report.to_dict(), "\n".join(lines))
    return EXIT_KPI_FAILED if report.alert else 0


def cmd_retrain(args) -> int:
    from core.data.loading import read_table
    from core.monitor import retrain
    from core.registry import governance

    reason = (args.reason or "").strip()
    if (args.to or args.force) and not args.promote:
        raise CLIError("--to and --force only apply with --promote.")
    if args.force and len(reason) < governance.MIN_REASON:
        raise CLIError(f"--force needs a --reason of at least {governance.MIN_REASON} characters.")
    if not args.input.is_file():
        raise CLIError(f"Input file '{args.input}' does not exist.")
    actor = who_acts(args)
    batch = read_table(args.input.read_bytes(), args.input.name, min_rows=1, batch=True).frame
    plan = retrain.plan_retrain(args.model, batch, args.alias, args.combine, args.input.name)
    progress = progress_stream(args)
    print(plan.summary(), file=progress, flush=True)
    for warning in plan.warnings:
        print(f"warning: {warning}", file=progress, flush=True)
    result = retrain.run_retrain(plan, actor, lambda _, text: print(text, file=progress, flush=True))
    payload = {**result.as_dict(), "promotion": None}
    lines = [result.sentence(), result.difference]
    refused = None
    if args.promote:
        to = args.to or result.alias
        check = retrain.check_promotion(result.name, actor, to, result.challenger_version)
        if check.allowed or (args.force and check.overridable):
            entry = retrain.promote_challenger(
                result.name, actor, to, reason, force=args.force, version=result.challenger_version
            )
            payload["promotion"] = {"alias": to, "moved": True, "message": check.message, **entry.as_dict()}
            was = f"was version {entry.from_version}" if entry.from_version is not None else "new alias"
            lines.append(f"models:/{result.name}@{to} -> version {entry.to_version} ({was})")
        else:
            refused = check.message + (" (CLI: --force --reason TEXT)" if check.overridable else "")
            payload["promotion"] = {"alias": to, "moved": False, "message": refused}
            lines.append(f"@{to} not moved: {refused}")
    emit(args, payload, "\n".join(lines))
    if refused:
        raise GateRefused(refused)
    return 0
