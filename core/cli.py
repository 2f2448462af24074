"""Headless lifecycle for CI/CT pipelines: ``python -m core COMMAND``.

Commands: kpis, train, evaluate, promote, rollback, audit, predict, export, monitor, retrain."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import warnings
from pathlib import Path

from core.common import run_recovery
from core.common.errors import describe
from core.train.algorithms import ALGORITHMS
from core.train.features import IMPUTERS, SCALERS

# the names only: importing core.train.search_space or core.train.training here would cost every command their imports
SEARCH_METHODS = ("grid", "random", "optuna")
DEFAULT_CV_FOLDS = 5
DEFAULT_TRIALS = 20
SPACE_FORMAT = "NAME=LOW:HIGH[:log|:linear][:POINTS] or NAME=a,b,c"
TRAIN_HELP = """Record the data set, then:
  one --algorithm                       train one model (cross-validated, logged with its model)
  several --algorithm                   a quick compare: one run each, ranked by the project's primary metric
  --search grid|random|optuna           a hyperparameter search of one algorithm: a parent run with a child run
                                        per trial; the best configuration is refit and logged on the parent

The optimised metric is the project's primary KPI metric (its first score KPI, else accuracy).
Search progress: one line per finished trial on stdout; with --json on stderr, and stdout holds only
the final JSON object."""

EXIT_KPI_FAILED = 1
EXIT_ERROR = 2
EXIT_REFUSED = 3
EXIT_CODES = f"""exit codes:
  0  done
  {EXIT_KPI_FAILED}  evaluate: a KPI fails
  {EXIT_ERROR}  usage or input error, or the store refused (one line on stderr)
  {EXIT_REFUSED}  promote: the promotion gate refused (one line on stderr); nothing was registered or moved"""
PROMOTE_HELP = """Point an alias at a run's model (registered as a new version first) or at an existing version.

Every move goes through the promotion gate and writes an audit entry on the registered model (who, when,
from which version to which, why). Protected aliases (production and champion unless the model's
qua3ck.protected_aliases tag says otherwise) only take a version whose run's KPI verdict is 'pass'
(see 'evaluate'); --force --reason TEXT overrides the gate and records the override and the reason.
A refused promote registers nothing and moves nothing."""


class CLIError(Exception):
    """A usage or input problem reported as one line on stderr."""


class GateRefused(CLIError):
    """The promotion gate refused a move: one line on stderr and exit code 3."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line on stderr."""

    def error(self, message: str):
        self.exit(EXIT_ERROR, f"error: {message} (see '{self.prog} --help')\n")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m core",
        description=__doc__,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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

    train = sub.add_parser(
        "train",
        help="record the data set, then train one model, compare several, or run a hyperparameter search",
        description=TRAIN_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    train.add_argument("--experiment", required=True)
    train.add_argument("--data", required=True, help="iris, wine, breast_cancer or a CSV/Parquet/Excel path")
    train.add_argument("--target", help="target column (required for CSV files)")
    train.add_argument(
        "--algorithm",
        action="append",
        choices=list(ALGORITHMS),
        help="repeatable: several algorithms are a quick compare (default: random_forest)",
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="hyperparameter (repeatable); in a search it is fixed and left out of the searched space",
    )
    train.add_argument("--exclude", action="append", default=[], metavar="COL", help="leave a column out (repeatable)")
    train.add_argument("--test-size", type=float, default=0.2)
    train.add_argument("--seed", type=int, default=42)
    train.add_argument("--cv-folds", type=int, default=DEFAULT_CV_FOLDS, metavar="K", help="stratified CV folds")
    search = train.add_argument_group("hyperparameter search (one algorithm)")
    search.add_argument("--search", choices=["none", *SEARCH_METHODS], default="none")
    search.add_argument(
        "--trials",
        type=int,
        metavar="N",
        help=f"trial budget (default {DEFAULT_TRIALS}; with only --time-budget: until the time is up)",
    )
    search.add_argument("--time-budget", type=float, metavar="SECONDS", help="start no trial after this")
    search.add_argument(
        "--space",
        action="append",
        default=[],
        metavar="NAME=RANGE",
        help=f"override a dimension of the default space: {SPACE_FORMAT} (repeatable; POINTS: grid values)",
    )
    search.add_argument("--workers", type=int, default=0, metavar="N", help="worker processes (default: one per core)")
    steps = train.add_argument_group("feature steps")
    steps.add_argument("--impute", choices=list(IMPUTERS), default="median", help="missing numbers")
    steps.add_argument("--scaling", choices=list(SCALERS), default="auto")
    steps.add_argument("--poly-degree", type=int, default=1, metavar="N", help="polynomial features (1: off)")
    steps.add_argument("--select-k", type=int, default=0, metavar="K", help="keep the K best features (0: off)")
    steps.add_argument("--pca", type=int, default=0, metavar="N", help="principal components (0: off)")
    train.add_argument("--json", action="store_true")

    evaluate = sub.add_parser("evaluate", help="held-out metrics and KPI verdict; exit 1 when a KPI fails")
    evaluate.add_argument("--run", required=True)
    evaluate.add_argument("--json", action="store_true")

    promote = sub.add_parser(
        "promote",
        help="point an alias at a run's model or an existing version, through the promotion gate; exit 3 if refused",
        description=PROMOTE_HELP,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    promote.add_argument("--model", required=True)
    promote.add_argument("--alias", required=True)
    source = promote.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="register this run's model as a new version, then move the alias to it")
    source.add_argument("--version", help="move the alias to this existing version")
    promote.add_argument("--force", action="store_true", help="override the gate on a protected alias (needs --reason)")
    promote.add_argument("--reason", metavar="TEXT", help="why, recorded in the audit entry (--force: required)")
    promote.add_argument("--by", metavar="NAME", help="who promotes (default: $QUA3CK_USER, else the login name)")
    promote.add_argument("--json", action="store_true")
    promote.set_defaults(usage_error=promote.error)  # for the checks argparse cannot express

    rollback = sub.add_parser(
        "rollback",
        help="move an alias back to the version it held before its last recorded change (audited)",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    rollback.add_argument("--model", required=True)
    rollback.add_argument("--alias", required=True)
    rollback.add_argument("--by", metavar="NAME", help="who rolls back (default: $QUA3CK_USER, else the login name)")
    rollback.add_argument("--reason", metavar="TEXT", help="why, recorded in the audit entry")
    rollback.add_argument("--json", action="store_true")

    audit = sub.add_parser("audit", help="a model's alias changes (who, when, from, to, why), newest first")
    audit.add_argument("--model", required=True)
    audit.add_argument("--alias", help="only this alias's changes")
    audit.add_argument("--json", action="store_true", help="a JSON list of entries")

    predict = sub.add_parser("predict", help="predict a CSV with models:/MODEL@ALIAS")
    predict.add_argument("--model", required=True)
    predict.add_argument("--alias", required=True)
    predict.add_argument("--input", required=True, type=Path)
    predict.add_argument("--output", type=Path, help="CSV to write (default: stdout)")

    monitor = sub.add_parser(
        "monitor",
        help="drift of a batch (or the prediction log) against the training data, KPIs when it has labels; exit 1 "
        "on drift or a KPI breach",
        description=MONITOR_HELP,
        epilog=MONITOR_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    monitor.add_argument("--model", required=True)
    monitor.add_argument("--alias", required=True)
    recent = monitor.add_mutually_exclusive_group(required=True)
    recent.add_argument("--input", type=Path, help="CSV/Parquet/Excel batch with the model's input columns")
    recent.add_argument("--log", action="store_true", help="the model's prediction log instead of a batch")
    monitor.add_argument("--psi", type=float, default=0.2, metavar="X", help="PSI from which a feature drifts")
    monitor.add_argument("--alpha", type=float, default=0.01, metavar="P", help="test p-value below which it drifts")
    monitor.add_argument("--min-rows", type=int, default=30, metavar="N", help="fewest rows the drift tests use")
    monitor.add_argument("--json", action="store_true")

    export = sub.add_parser("export", help="a standalone Python script that retrains a run's model")
    export.add_argument("--run", required=True)
    export.add_argument("--output", type=Path, help="file or folder to write (default: stdout)")

    retrain = sub.add_parser(
        "retrain",
        help="retrain a model with a labelled batch, register it as @challenger, optionally promote it (exit 3 if "
        "refused)",
        description=RETRAIN_HELP,
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    retrain.add_argument("--model", required=True)
    retrain.add_argument("--input", required=True, type=Path, help="labelled batch: the features and the target")
    retrain.add_argument("--alias", default="champion", help="the model to retrain (default: champion)")
    retrain.add_argument("--combine", choices=["append", "replace"], default="append")
    retrain.add_argument("--promote", action="store_true", help="then move --to to the challenger through the gate")
    retrain.add_argument("--to", metavar="ALIAS", help="the alias --promote moves (default: --alias)")
    retrain.add_argument("--force", action="store_true", help="with --promote: override a refusal (needs --reason)")
    retrain.add_argument("--reason", metavar="TEXT", help="why, recorded in the promotion's audit entry")
    retrain.add_argument("--by", metavar="NAME", help="who retrains (default: $QUA3CK_USER, else the login name)")
    retrain.add_argument("--json", action="store_true")
    return parser


def _emit(args, payload: dict, text: str) -> None:
    print(json.dumps(payload, default=str) if getattr(args, "json", False) else text)


def cmd_kpis(args) -> int:
    from core.question import projects
    from core.question.kpis import parse_kpi

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
    from core.data.loading import read_table
    from core.data.sets import BUILTIN_DATASETS, MIN_ROWS, load_builtin

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


def _typed_params(algorithm: str, raw: dict[str, str]) -> dict[str, object]:
    """Hyperparameters from the command line, checked, as the catalogue's types (0 stays 0: 'unlimited')."""
    from core.train.algorithms import choice_value, clean_params, get_algorithm

    clean_params(algorithm, raw)  # refuses unknown names and bad values with a message for people
    specs = {p.name: p for p in get_algorithm(algorithm).params}
    typed: dict[str, object] = {}
    for name, value in raw.items():
        spec = specs[name]
        if spec.kind == "choice":
            typed[name] = choice_value(spec, value)
        else:
            number = float(value)
            typed[name] = int(number) if spec.kind == "int" else number
    return typed


def _params_per_algorithm(algorithms: list[str], raw: dict[str, str]) -> dict[str, dict[str, object]]:
    """Each algorithm's share of the --param settings; in a compare a setting goes to every algorithm that has it."""
    if len(algorithms) == 1:
        return {algorithms[0]: _typed_params(algorithms[0], raw)}
    names = {a: {p.name for p in ALGORITHMS[a].params} for a in algorithms}
    orphans = [n for n in raw if not any(n in known for known in names.values())]
    if orphans:
        raise CLIError(f"None of the chosen algorithms has a hyperparameter {', '.join(orphans)}.")
    return {a: _typed_params(a, {k: v for k, v in raw.items() if k in names[a]}) for a in algorithms}


def _search_space(algorithm: str, fixed: set[str], overrides: list[str]):
    """The catalogue's default space without the fixed hyperparameters, with the --space overrides, validated."""
    import pandas as pd

    from core.train.search_space import SearchSpaceError, default_space, space_from_table, space_table

    spec = ALGORITHMS[algorithm]
    kinds = {p.name: p.kind for p in spec.params}
    rows = space_table(algorithm, tuple(d for d in default_space(algorithm) if d.name not in fixed))
    records = {row["name"]: row for row in rows.to_dict("records")}
    for item in overrides:
        name, sep, text = (part.strip() for part in item.partition("="))
        if not sep or not name or not text:
            raise CLIError(f"--space '{item}' must look like {SPACE_FORMAT}.")
        if name not in kinds:
            raise SearchSpaceError(f"{spec.label} has no hyperparameter '{name}'.")
        if name in fixed:
            raise CLIError(f"--space {name}: --param fixes this hyperparameter; give one or the other.")
        row = records[name]
        row["search"] = True
        if kinds[name] == "choice":
            row["choices"] = text
            continue
        low, _, rest = text.partition(":")
        high, *extra = rest.split(":") if rest else [""]
        if not rest or not high:
            raise CLIError(f"--space {name}: give a range LOW:HIGH, not '{text}' ({SPACE_FORMAT}).")
        row["min"], row["max"] = low, high  # checked (numbers, order, range) by space_from_table
        for token in (t.strip().lower() for t in extra):
            if token in ("log", "linear"):
                row["log"] = token == "log"
            elif token.isdigit():
                row["grid points"] = int(token)
            else:
                raise CLIError(f"--space {name}: '{token}' is neither log, linear nor a number of grid points.")
    return space_from_table(algorithm, pd.DataFrame(list(records.values())))


def _search_config(args, algorithm: str, base_params: dict[str, object], steps):
    """The search as the CLI describes it, validated before any run or project exists."""
    from core.train.tuning import SearchConfig

    if args.time_budget is not None and not 0 < args.time_budget < float("inf"):
        raise CLIError(f"--time-budget must be a positive number of seconds, not {args.time_budget:g}.")
    if args.workers < 0:
        raise CLIError("--workers must be 0 (one per core) or more.")
    trials = args.trials
    if trials is None:  # a time budget alone runs until the time is up
        trials = None if args.time_budget is not None else DEFAULT_TRIALS
    config = SearchConfig(
        algorithm,
        args.search,
        _search_space(algorithm, set(base_params), args.space),
        base_params=base_params,
        steps=steps,
        max_trials=trials,
        time_budget_s=args.time_budget,
        cv_folds=args.cv_folds,
        seed=args.seed,
        workers=args.workers,
    )
    config.validate()
    return config


def _feature_steps(args):
    from core.train.features import FeatureSteps

    return FeatureSteps(
        impute=args.impute, scaling=args.scaling, poly_degree=args.poly_degree, select_k=args.select_k, pca=args.pca
    )


def _progress_stream(args):
    """Where progress lines go: stdout for people, stderr with --json (stdout holds only the JSON object)."""
    return sys.stderr if args.json else sys.stdout


def cmd_train(args) -> int:
    from core.data import datastore
    from core.data.sets import make_split
    from core.question import projects
    from core.question.kpis import primary_metric

    algorithms = list(dict.fromkeys(args.algorithm or ["random_forest"]))
    searching = args.search != "none"
    if searching and len(algorithms) != 1:
        raise CLIError(f"--search tunes one algorithm; {len(algorithms)} were given ({', '.join(algorithms)}).")
    if not searching and (args.trials is not None or args.time_budget is not None or args.space or args.workers):
        raise CLIError("--trials, --time-budget, --space and --workers need --search grid, random or optuna.")
    if args.cv_folds < 2:
        raise CLIError(f"--cv-folds must be at least 2, not {args.cv_folds}.")
    steps = _feature_steps(args)
    raw_params = _parse_params(args.param)
    params = _params_per_algorithm(algorithms, raw_params)
    config = _search_config(args, algorithms[0], params[algorithms[0]], steps) if searching else None

    name, frame, target = _load_data(args.data, args.target)
    excluded = set(args.exclude)
    unknown = excluded - set(map(str, frame.columns))
    if unknown:
        raise CLIError(f"--exclude names columns that are not in the data: {', '.join(sorted(unknown))}.")
    # refuse bad data before a project is created
    _, _, findings = datastore.check_dataset(
        frame, target, excluded=excluded, test_size=args.test_size, cv_folds=args.cv_folds
    )
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise CLIError(" ".join(f.message for f in errors[:3]))
    make_split(frame, target, args.test_size, args.seed)
    project = projects.find_project(args.experiment) or projects.create_project(args.experiment)
    dataset = datastore.record_dataset(
        project.experiment_id, frame, name, target, args.test_size, args.seed, excluded=excluded
    )
    context = {
        "data_digest": dataset.digest,
        "features": dataset.features,
        "warnings": [f.message for f in findings if f.severity == "warning"],
    }
    metric = primary_metric(project.kpis)
    if config is not None:
        from dataclasses import replace

        return _run_search(args, project.experiment_id, dataset, replace(config, metric=metric), context)
    return _train_each(args, project.experiment_id, dataset, algorithms, params, steps, metric, context)


def _run_entry(result) -> dict:
    from core.train.algorithms import choice_text

    return {
        "run_id": result.run_id,
        "algorithm": result.algorithm,
        "params": {k: choice_text(v) if isinstance(v, tuple) else v for k, v in result.params.items()},
        "metrics": result.cv_metrics,
        "model_uri": result.model_uri,
        "seconds": round(result.seconds, 3),
    }


def _train_each(args, experiment_id, dataset, algorithms, params, steps, metric, context) -> int:
    """One run per algorithm; several are ranked by the primary metric's CV mean."""
    from core.train import training

    progress = _progress_stream(args)
    results = []
    for algorithm in algorithms:
        result = training.train_model(experiment_id, dataset, algorithm, params[algorithm], args.cv_folds, steps)
        results.append(result)
        if len(algorithms) > 1:
            score = result.cv_metrics[f"cv_{metric}"]
            print(f"{algorithm}: run {result.run_id}: CV {metric} {score:.4f}", file=progress, flush=True)
    if len(results) == 1:
        (result,) = results
        payload = {
            "run_id": result.run_id,
            "experiment_id": result.experiment_id,
            "algorithm": result.algorithm,
            "metric": metric,
            "metrics": result.cv_metrics,
            "model_uri": result.model_uri,
            **context,
        }
        _emit(args, payload, f"run {result.run_id}: CV {metric} {result.cv_metrics[f'cv_{metric}']:.4f}")
        return 0
    ranked = sorted(results, key=lambda r: r.cv_metrics[f"cv_{metric}"], reverse=True)
    runs = [{"rank": rank, **_run_entry(r)} for rank, r in enumerate(ranked, start=1)]
    payload = {"experiment_id": experiment_id, "metric": metric, "runs": runs, "best": runs[0], **context}
    table = training.results_table(results, metric).drop(columns="params")
    full_ids = {r.run_id[:8]: r.run_id for r in results}
    table["run"] = table["run"].map(full_ids)
    best = ranked[0]
    text = (
        f"{table.to_string(index=False)}\n"
        f"best: {best.algorithm}, run {best.run_id}: CV {metric} {best.cv_metrics[f'cv_{metric}']:.4f}"
    )
    _emit(args, payload, text)
    return 0


def _run_search(args, experiment_id, dataset, config, context) -> int:
    """A search as a parent run with a child run per trial; progress per trial, the refit best at the end."""
    from core.train.algorithms import choice_text
    from core.train.tuning import run_search

    progress = _progress_stream(args)
    metric = config.metric

    def on_start(parent_id: str) -> None:
        space = "; ".join(d.describe() for d in config.space)
        planned = config.planned_trials()
        budget = f"{planned} trials" if planned else "no trial limit"
        if config.time_budget_s:
            budget += f", at most {config.time_budget_s:g} s"
        print(
            f"search run {parent_id}: {config.method} search of {config.algorithm} ({budget}) "
            f"on CV {metric}, {config.worker_count()} workers; {space}",
            file=progress,
            flush=True,
        )

    def on_trial(trial, state) -> None:
        of = f"/{state.planned}" if state.planned else ""
        values = " ".join(f"{k}={choice_text(v)}" for k, v in trial.values.items())
        if trial.status == "FINISHED":
            outcome = f"CV {metric} {trial.score(metric):.4f} ± {trial.metrics.get(f'cv_{metric}_std', 0.0):.4f}"
        else:
            outcome = f"FAILED ({trial.error})"
        best = f"best {state.best.score(metric):.4f} (trial {state.best.number})" if state.best else "no best yet"
        line = f"trial {trial.number} [{state.done}{of}] {outcome}  {values}  {trial.seconds:.1f} s; {best}"
        print(line, file=progress, flush=True)

    result = run_search(experiment_id, dataset, config, on_trial=on_trial, on_start=on_start)
    if result.status in ("store_error", "failed", "aborted") or result.best is None:
        raise CLIError(result.error or f"The search ended with status '{result.status}' and no model.")
    failed = sum(t.status == "FAILED" for t in result.trials)
    best = result.best
    score = best.score(metric)
    payload = {
        "run_id": result.run_id,
        "experiment_id": result.experiment_id,
        "status": result.status,
        "method": config.method,
        "algorithm": config.algorithm,
        "metric": metric,
        "best": {
            "trial": best.number,
            "run_id": best.run_id,
            "params": {k: choice_text(v) if isinstance(v, tuple) else v for k, v in best.params.items()},
            "values": {k: choice_text(v) if isinstance(v, tuple) else v for k, v in best.values.items()},
            "metrics": best.metrics,
        },
        "trials": len(result.trials),
        "failed_trials": failed,
        "model_uri": result.model_uri,
        "seconds": round(result.seconds, 3),
        **context,
    }
    ended = {"finished": "", "time_up": " (time budget reached)", "stopped": " (stopped)"}.get(result.status, "")
    summary = f"{len(result.trials)} trials, {failed} failed, {result.seconds:.1f} s{ended}"
    text = (
        f"{summary}\nsearch run {result.run_id}: best CV {metric} {score:.4f} (trial {best.number}), "
        f"model {result.model_uri}"
    )
    _emit(args, payload, text)
    return 0


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
    _emit(args, payload, "\n".join(lines) or "no KPIs set")
    return 0 if passed else EXIT_KPI_FAILED


def _actor(args):
    """Who acts: --by, else $QUA3CK_USER, else the login name; checked before anything is written."""
    import getpass

    from core.registry import governance

    name = args.by
    if name is None:
        try:
            name = os.environ.get("QUA3CK_USER") or getpass.getuser()
        except (KeyError, OSError):  # no login name in a bare container
            name = ""
    name = name.strip()
    if not name:
        raise CLIError("Say who you are with --by NAME (or set QUA3CK_USER): every alias change records a name.")
    if len(name) > governance.MAX_NAME:
        raise CLIError(f"--by: keep the name under {governance.MAX_NAME} characters.")
    return governance.Actor(name)


def _enforce_gate(decision, force: bool) -> None:
    """Refuse (exit 3) what the gate refuses; --force (with its reason, checked earlier) overrides a verdict."""
    if not decision.approver_ok or (not decision.verdict_ok and not force):
        hint = "" if not decision.approver_ok else " (CLI: --force --reason TEXT)"
        raise GateRefused(decision.message + hint)


def cmd_promote(args) -> int:
    from core.registry import governance, model_registry

    reason = (args.reason or "").strip()
    if args.force and len(reason) < governance.MIN_REASON:
        raise CLIError(
            f"--force needs a --reason of at least {governance.MIN_REASON} characters (it has {len(reason)})."
        )
    if len(reason) > governance.MAX_REASON:
        raise CLIError(f"--reason: keep it under {governance.MAX_REASON} characters (it has {len(reason)}).")
    actor = _actor(args)
    alias = model_registry.validate_alias(args.alias)
    name = model_registry.validate_model_name(args.model)
    if args.run is not None:
        model_registry.run_model_uri(args.run)  # no run or no model: nothing to register, exit 2
        _enforce_gate(governance.check_run_gate(name, alias, args.run, actor), args.force)
        version = model_registry.register(args.run, name).version
    else:
        version = str(args.version).strip()
        _enforce_gate(governance.check_gate(name, alias, version, actor), args.force)
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
    _emit(args, payload, text)
    return 0


def cmd_rollback(args) -> int:
    from core.registry import governance

    actor = _actor(args)
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
    _emit(args, payload, f"@{entry.alias}: {v(entry.from_version)} → {v(entry.to_version)} (rolled back)")
    return 0


def cmd_audit(args) -> int:
    from core.registry import governance

    entries = governance.history(args.model, args.alias)
    if args.json:
        print(json.dumps([e.as_dict() for e in entries], default=str, ensure_ascii=False))
        return 0
    scope = f"@{args.alias} of " if args.alias else ""
    print(
        "\n".join(governance.describe_entry(e) for e in entries) or f"no recorded alias changes for {scope}{args.model}"
    )
    return 0


def cmd_predict(args) -> int:
    from core.registry.model_registry import resolve_alias
    from core.serve.predict import load_served_model, predict_frame, read_prediction_csv

    if not args.input.is_file():
        raise CLIError(f"Input file '{args.input}' does not exist.")
    version = resolve_alias(args.model, args.alias)
    model = load_served_model(args.model, version.version)
    notes: list = []
    rows = read_prediction_csv(args.input.read_bytes(), model, args.input.name, notes)
    for note in notes:  # e.g. a model without column names fed by position: said, on stderr, not in the output
        print(f"note: {note.message}", file=sys.stderr)
    result = predict_frame(model, rows)
    if args.output:
        result.to_csv(args.output, index=False)
    else:
        result.to_csv(sys.stdout, index=False)
    return 0


MONITOR_HELP = """Compare the training data of models:/MODEL@ALIAS with a batch (--input) or the prediction log (--log).

Per feature: Kolmogorov-Smirnov test and PSI (numbers), chi-square test and PSI (categories); a feature drifts
when PSI >= --psi or p < --alpha, and PSI between 0.1 and --psi is reported as moderate. A batch needs at least
--min-rows rows and the model's input columns; with the target column it is predicted with the served model and
the project's score KPIs are checked on it (a KPI is breached when it fails over all labelled rows)."""
MONITOR_EXIT_CODES = """exit codes:
  0  no drift, no KPI breach
  1  a feature drifts or a KPI is breached
  2  usage or input error (one line on stderr)"""


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
        f"models:/{args.model}@{args.alias} (version {report.version}) vs {report.source}: {report.current_rows:,} "
        f"rows; training data '{report.dataset}' ({report.reference_rows:,} rows)"
    ]
    for d in report.drift:
        stats = "skipped: " + d.note if d.psi is None else f"PSI {d.psi:.3f}  {d.test} p={d.p_value:.2g}"
        lines.append(f"{d.verdict.upper():9} {d.feature}  ({d.kind})  {stats}")
    for k in report.kpis:
        state = "n/a " if k.passed is None else ("PASS" if k.passed else "FAIL")
        measured = f"measured {k.value:.4g}" if k.value is not None else f"not measured: {k.why_not}"
        lines.append(f"KPI {state} {k.kpi}  ({measured})")
    lines.append("ALERT: " + "; ".join(report.alerts()) if report.alert else "OK: no drift, no KPI breach")
    _emit(args, report.to_dict(), "\n".join(lines))
    return EXIT_KPI_FAILED if report.alert else 0


def cmd_export(args) -> int:
    from core.codegen.export import export_script, script_filename
    from core.common.config import active_store

    active_store()
    script = export_script(args.run)
    if args.output is None:
        sys.stdout.write(script)
    else:
        target = args.output / script_filename(args.run) if args.output.is_dir() else args.output
        target.write_text(script, encoding="utf-8")
    return 0


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
    actor = _actor(args)
    batch = read_table(args.input.read_bytes(), args.input.name, min_rows=1).frame
    plan = retrain.plan_retrain(args.model, batch, args.alias, args.combine, args.input.name)
    progress = _progress_stream(args)
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
    _emit(args, payload, "\n".join(lines))
    if refused:
        raise GateRefused(refused)
    return 0


COMMANDS = {
    "kpis": cmd_kpis,
    "train": cmd_train,
    "evaluate": cmd_evaluate,
    "promote": cmd_promote,
    "rollback": cmd_rollback,
    "audit": cmd_audit,
    "predict": cmd_predict,
    "monitor": cmd_monitor,
    "export": cmd_export,
    "retrain": cmd_retrain,
}


def main(argv: list[str] | None = None) -> int:
    """Run one CLI command; errors become one line on stderr and exit code 2 (a gate refusal: 3)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "promote" and args.force and not (args.reason or "").strip():
        args.usage_error("--force needs --reason TEXT: an override of the gate is recorded with why")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # stdout is for --json only
    import mlflow  # noqa: F401 — mlflow sets its own log level on import; quieten it afterwards

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    logging.getLogger("alembic").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore")
    with contextlib.suppress(Exception):  # runs an earlier process could not end while the store was down
        run_recovery.end_remembered()
    try:
        return COMMANDS[args.command](args)
    except GateRefused as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except CLIError as exc:
        message = str(exc)
    except Exception as exc:  # noqa: BLE001 — our errors and the store's alike: one line, no traceback
        message = describe(exc)
    print(f"error: {message}", file=sys.stderr)
    return EXIT_ERROR
