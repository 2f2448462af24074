"""C — ``evaluate``: held-out metrics and the KPI verdict of a run."""

from __future__ import annotations

from core.cli.common import EXIT_KPI_FAILED, CLIError, emit


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    evaluate = sub.add_parser("evaluate", help="held-out metrics and KPI verdict; exit 1 when a KPI fails")
    evaluate.add_argument("--run", required=True)
    evaluate.add_argument("--json", action="store_true")


def cmd_evaluate(args) -> int:
    import mlflow
    from mlflow.exceptions import MlflowException

    from core.common.config import active_store
    from core.compare.evaluation import evaluate_run
    from core.question import projects

    active_store()
    try:
        experiment_id = mlflow.get_run(args.run).info.experiment_id
    except MlflowException:
        raise CLIError(f"There is no run '{args.run}' in this store.") from None
    kpis = projects.get_project(experiment_id).kpis
    evaluation = evaluate_run(args.run, kpis)
    results = evaluation.kpi_results(kpis)
    passed = all(r.passed for r in results)
    payload = {
        "run_id": args.run,
        "metrics": evaluation.metrics,
        "kpis_passed": passed,
        "kpis": [{"kpi": str(r.kpi), "value": r.value, "passed": r.passed} for r in results],
    }
    lines = [f"{'PASS' if r.passed else 'FAIL'}  {r.kpi}  (measured {r.value:.4g})" for r in results]
    emit(args, payload, "\n".join(lines) or "no KPIs set")
    return 0 if passed else EXIT_KPI_FAILED
