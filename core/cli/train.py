"""A³ — ``train``: record the data set, then train one model, compare several, or run a hyperparameter search."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from core.cli.common import CLIError, choose_cluster, command, emit, progress_stream
from core.train.algorithms import ALGORITHMS
from core.train.features import IMPUTERS, SCALERS

# the names only: importing core.train.search_space or core.train.training here would cost every command their imports
SEARCH_METHODS = ("grid", "random", "optuna")
DEFAULT_CV_FOLDS = 5
DEFAULT_TRIALS = 20

TRAIN_HELP = """Record the data set, then:
  one --algorithm                       train one model (cross-validated, logged with its model)
  several --algorithm                   a quick compare: one run each, ranked by the project's primary metric
  --search grid|random|optuna           a hyperparameter search of one algorithm: a parent run with a child run
                                        per trial; the best configuration is refit and logged on the parent

The optimised metric is the project's primary KPI metric (its first score KPI, else accuracy).
Search progress: one line per finished trial on stdout; with --json on stderr, and stdout holds only
the final JSON object."""


TRAIN_SUMMARY = "record the data set, then train one model, compare several, or run a hyperparameter search"


def register(sub) -> None:
    """Add this group's commands to the CLI's subparsers."""
    train = command(sub, "train", TRAIN_SUMMARY, TRAIN_HELP)
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
        help="override a dimension of the default space (repeatable): NAME=LOW:HIGH[:log|:linear][:POINTS] for a "
        "number (POINTS: how many values a grid tries), NAME=a,b,c for a choice",
    )
    search.add_argument("--workers", type=int, default=0, metavar="N", help="trials at once (default: one per core)")
    search.add_argument(
        "--dask-scheduler",
        metavar="ADDRESS",
        help="run the trials and the refit on this Dask cluster, e.g. tcp://host:8786 "
        "(default: $QUA3CK_DASK_SCHEDULER; 'local' for this machine's processes)",
    )
    steps = train.add_argument_group("feature steps")
    steps.add_argument("--impute", choices=list(IMPUTERS), default="median", help="missing numbers")
    steps.add_argument("--scaling", choices=list(SCALERS), default="auto")
    steps.add_argument("--poly-degree", type=int, default=1, metavar="N", help="polynomial features (1: off)")
    steps.add_argument("--select-k", type=int, default=0, metavar="K", help="keep the K best features (0: off)")
    steps.add_argument("--pca", type=int, default=0, metavar="N", help="principal components (0: off)")
    train.add_argument("--json", action="store_true")


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
    from core.train.algorithms import clean_params
    from core.train.recipe import typed_params

    clean_params(algorithm, raw)  # refuses unknown names and bad values with a message for people
    return typed_params(algorithm, raw)


def _params_per_algorithm(algorithms: list[str], raw: dict[str, str]) -> dict[str, dict[str, object]]:
    """Each algorithm's share of the --param settings; in a compare a setting goes to every algorithm that has it."""
    if len(algorithms) == 1:
        return {algorithms[0]: _typed_params(algorithms[0], raw)}
    names = {a: {p.name for p in ALGORITHMS[a].params} for a in algorithms}
    orphans = [n for n in raw if not any(n in known for known in names.values())]
    if orphans:
        raise CLIError(f"None of the chosen algorithms has a hyperparameter {', '.join(orphans)}.")
    return {a: _typed_params(a, {k: v for k, v in raw.items() if k in names[a]}) for a in algorithms}


def _search_config(args, algorithm: str, base_params: dict[str, object], steps):
    """The search as the CLI describes it, validated before any run or project exists."""
    from core.train.search_space import space_with_overrides
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
        space_with_overrides(algorithm, set(base_params), args.space),
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
    if searching:
        choose_cluster(args.dask_scheduler)  # a cluster that cannot take the search is refused before any write
    elif args.dask_scheduler is not None:
        raise CLIError("--dask-scheduler needs --search grid, random or optuna.")

    name, frame, target = _load_data(args.data, args.target)
    excluded = set(args.exclude)
    unknown = excluded - set(map(str, frame.columns))
    if unknown:
        raise CLIError(f"--exclude names columns that are not in the data: {', '.join(sorted(unknown))}.")
    from core.data.validation import blocking, blocking_message, with_severity

    # refuse bad data before a project is created
    _, _, findings = datastore.check_dataset(
        frame, target, excluded=excluded, test_size=args.test_size, cv_folds=args.cv_folds
    )
    if blocking(findings):
        raise CLIError(blocking_message(findings))
    make_split(frame, target, args.test_size, args.seed)
    project = projects.find_project(args.experiment) or projects.create_project(args.experiment)
    dataset = datastore.record_dataset(
        project.experiment_id, frame, name, target, args.test_size, args.seed, excluded=excluded
    )
    context = {
        "data_digest": dataset.digest,
        "features": dataset.features,
        "warnings": [f.message for f in with_severity(findings, "warning")],
    }
    metric = primary_metric(project.kpis)
    if config is not None:
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

    progress = progress_stream(args)
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
        emit(args, payload, f"run {result.run_id}: CV {metric} {result.cv_metrics[f'cv_{metric}']:.4f}")
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
    emit(args, payload, text)
    return 0


def _where(config) -> str:
    """Where the trials run, for the search's first line."""
    from core.train import cluster

    address = cluster.scheduler_address()
    if address is None:
        return f"{config.worker_count()} workers"
    threads = cluster.worker_threads(cluster.client(address))
    return f"{config.worker_count(threads)} at once on the Dask cluster {address}"


def _run_search(args, experiment_id, dataset, config, context) -> int:
    """A search as a parent run with a child run per trial; progress per trial, the refit best at the end."""
    from core.train.algorithms import choice_text
    from core.train.tuning import run_search

    progress = progress_stream(args)
    metric = config.metric

    def on_start(parent_id: str) -> None:
        space = "; ".join(d.describe() for d in config.space)
        planned = config.planned_trials()
        budget = f"{planned} trials" if planned else "no trial limit"
        if config.time_budget_s:
            budget += f", at most {config.time_budget_s:g} s"
        print(
            f"search run {parent_id}: {config.method} search of {config.algorithm} ({budget}) "
            f"on CV {metric}, {_where(config)}; {space}",
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
    emit(args, payload, text)
    return 0
