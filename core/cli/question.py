"""Q — ``kpis``: show or replace a project's question and KPIs."""

from __future__ import annotations

from core.cli.common import CLIError, add_who, emit, who_acts


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    kpis = sub.add_parser("kpis", help="show or replace a project's KPIs")
    kpis.add_argument("--experiment", required=True)
    kpis.add_argument(
        "--set",
        action="append",
        dest="kpis",
        metavar="KPI",
        help='e.g. "accuracy>=0.95" (repeatable)',
    )
    kpis.add_argument("--question", help="also set the project's question")
    kpis.add_argument(
        "--reason",
        metavar="TEXT",
        help="why the KPIs change; required once they have judged runs (recorded in the project's audit trail)",
    )
    add_who(kpis, "changes the KPIs")
    kpis.add_argument("--json", action="store_true")


def cmd_kpis(args) -> int:
    from core.question import projects
    from core.question.kpis import parse_kpi
    from core.registry import governance

    project = projects.find_project(args.experiment)
    if args.kpis is not None or args.question is not None:
        new_kpis = [parse_kpi(text) for text in args.kpis] if args.kpis is not None else None
        if project is None:
            project = projects.create_project(args.experiment, args.question or "", new_kpis or [])
        else:
            project = governance.save_question_and_kpis(
                project.experiment_id,
                args.question if args.question is not None else project.question,
                new_kpis if new_kpis is not None else project.kpis,
                who_acts(args),
                args.reason or "",
            )
    elif project is None:
        raise CLIError(f"There is no project (experiment) named '{args.experiment}'.")
    payload = {
        "experiment": project.name,
        "experiment_id": project.experiment_id,
        "question": project.question,
        "kpis": [{"metric": k.metric, "op": k.op, "threshold": k.threshold} for k in project.kpis],
    }
    emit(args, payload, "\n".join(str(k) for k in project.kpis) or "(no KPIs)")
    return 0
