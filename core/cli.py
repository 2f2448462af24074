"""Headless lifecycle for CI/CT pipelines: ``python -m core {kpis,train,evaluate,promote,predict}``."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import warnings
from pathlib import Path

from core.algorithms import ALGORITHMS
from core.errors import describe

EXIT_KPI_FAILED = 1
EXIT_ERROR = 2


class CLIError(Exception):
    """A usage or input problem reported as one line on stderr."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m core", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

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
    kpis.add_argument("--json", action="store_true")

    train = sub.add_parser("train", help="record the data set and train one model")
    train.add_argument("--experiment", required=True)
    train.add_argument("--data", required=True, help="iris, wine, breast_cancer or a CSV/Parquet/Excel path")
    train.add_argument("--target", help="target column (required for CSV files)")
    train.add_argument(
        "--algorithm",
        default="random_forest",
        choices=list(ALGORITHMS),
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="hyperparameter (repeatable)",
    )
    train.add_argument("--exclude", action="append", default=[], metavar="COL", help="leave a column out (repeatable)")
    train.add_argument("--test-size", type=float, default=0.2)
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--json", action="store_true")

    evaluate = sub.add_parser("evaluate", help="held-out metrics and KPI verdict; exit 1 when a KPI fails")
    evaluate.add_argument("--run", required=True)
    evaluate.add_argument("--json", action="store_true")

    promote = sub.add_parser("promote", help="point an alias at a run's model or an existing version")
    promote.add_argument("--model", required=True)
    promote.add_argument("--alias", required=True)
    source = promote.add_mutually_exclusive_group(required=True)
    source.add_argument("--run")
    source.add_argument("--version")
    promote.add_argument("--json", action="store_true")

    predict = sub.add_parser("predict", help="predict a CSV with models:/MODEL@ALIAS")
    predict.add_argument("--model", required=True)
    predict.add_argument("--alias", required=True)
    predict.add_argument("--input", required=True, type=Path)
    predict.add_argument("--output", type=Path, help="CSV to write (default: stdout)")
    return parser


def _emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else text)


def cmd_kpis(args) -> int:
    from core import projects
    from core.kpis import parse_kpi

    project = projects.find_project(args.experiment)
    if args.kpis is not None or args.question is not None:
        new_kpis = [parse_kpi(text) for text in args.kpis] if args.kpis is not None else None
        if project is None:
            project = projects.create_project(args.experiment, args.question or "", new_kpis or [])
        else:
            project = projects.save_question_and_kpis(
                project.experiment_id,
                args.question if args.question is not None else project.question,
                new_kpis if new_kpis is not None else project.kpis,
            )
    elif project is None:
        raise CLIError(f"There is no project (experiment) named '{args.experiment}'.")
    payload = {
        "experiment": project.name,
        "experiment_id": project.experiment_id,
        "question": project.question,
        "kpis": [{"metric": k.metric, "op": k.op, "threshold": k.threshold} for k in project.kpis],
    }
    _emit(args, payload, "\n".join(str(k) for k in project.kpis) or "(no KPIs)")
    return 0


def _load_data(spec: str, target: str | None):
    from core.data import BUILTIN_DATASETS, MIN_ROWS, load_builtin
    from core.loading import read_table

    if spec in BUILTIN_DATASETS:
        return spec, load_builtin(spec), target or BUILTIN_DATASETS[spec][1]
    path = Path(spec)
    if not path.is_file():
        raise CLIError(f"--data '{spec}' is neither a built-in data set ({', '.join(BUILTIN_DATASETS)}) nor a file.")
    frame = read_table(path.read_bytes(), path.name, min_rows=MIN_ROWS, min_columns=2).frame
    if not target:
        raise CLIError(f"--target is required for a data file; columns: {', '.join(map(str, frame.columns[:20]))}.")
    return path.stem, frame, target


def _parse_params(items: list[str]) -> dict[str, str]:
    params = {}
    for item in items:
        if "=" not in item:
            raise CLIError(f"--param '{item}' must look like NAME=VALUE.")
        name, value = item.split("=", 1)
        params[name.strip()] = value.strip()
    return params


def cmd_train(args) -> int:
    from core import datastore, projects, training
    from core.algorithms import clean_params
    from core.data import make_split

    name, frame, target = _load_data(args.data, args.target)
    params = _parse_params(args.param)
    clean_params(args.algorithm, params)
    excluded = set(args.exclude)
    unknown = excluded - set(map(str, frame.columns))
    if unknown:
        raise CLIError(f"--exclude names columns that are not in the data: {', '.join(sorted(unknown))}.")
    # refuse bad data before a project is created
    _, _, findings = datastore.check_dataset(frame, target, excluded=excluded, test_size=args.test_size)
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise CLIError(" ".join(f.message for f in errors[:3]))
    make_split(frame, target, args.test_size, args.seed)
    project = projects.find_project(args.experiment) or projects.create_project(args.experiment)
    dataset = datastore.record_dataset(
        project.experiment_id, frame, name, target, args.test_size, args.seed, excluded=excluded
    )
    result = training.train_model(project.experiment_id, dataset, args.algorithm, params)
    payload = {
        "run_id": result.run_id,
        "experiment_id": result.experiment_id,
        "metrics": result.cv_metrics,
        "model_uri": result.model_uri,
        "data_digest": dataset.digest,
        "features": dataset.features,
        "warnings": [f.message for f in findings if f.severity == "warning"],
    }
    _emit(
        args,
        payload,
        f"run {result.run_id}: CV accuracy {result.cv_metrics['cv_accuracy']:.4f}",
    )
    return 0


def cmd_evaluate(args) -> int:
    import mlflow
    from mlflow.exceptions import MlflowException

    from core import projects
    from core.config import active_store
    from core.evaluation import evaluate_run

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
    _emit(args, payload, "\n".join(lines) or "no KPIs set")
    return 0 if passed else EXIT_KPI_FAILED


def cmd_promote(args) -> int:
    from core.registry import promote

    info = promote(args.model, args.alias, run_id=args.run, version=args.version)
    payload = {
        "model": info.name,
        "version": int(info.version),
        "alias": args.alias,
        "run_id": info.run_id,
    }
    _emit(args, payload, f"models:/{info.name}@{args.alias} -> version {info.version}")
    return 0


def cmd_predict(args) -> int:
    from core.predict import load_served_model, predict_frame, read_prediction_csv
    from core.registry import resolve_alias

    if not args.input.is_file():
        raise CLIError(f"Input file '{args.input}' does not exist.")
    version = resolve_alias(args.model, args.alias)
    model = load_served_model(args.model, version.version)
    result = predict_frame(model, read_prediction_csv(args.input.read_bytes(), model, args.input.name))
    if args.output:
        result.to_csv(args.output, index=False)
    else:
        result.to_csv(sys.stdout, index=False)
    return 0


COMMANDS = {
    "kpis": cmd_kpis,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "promote": cmd_promote,
    "predict": cmd_predict,
}


def main(argv: list[str] | None = None) -> int:
    """Run one CLI command; errors become one line on stderr and exit code 2."""
    args = _parser().parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # stdout is for --json only
    import mlflow  # noqa: F401 — mlflow sets its own log level on import; quieten it afterwards

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    try:
        return COMMANDS[args.command](args)
    except CLIError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 — our errors and the store's alike: one line, no traceback
        message = describe(exc)
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR
