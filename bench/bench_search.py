"""Benchmark: 30 random-search trials of a random forest with 5-fold CV on iris, every trial logged.

All variants run in one process against the same throw-away embedded store, on the same 30 configurations
(sampled by ``core.train.search_space.Sampler`` from the catalogue's default space) and the same stratified folds
of the same training split, so the ratios are what counts:

  bare       build_pipeline + cross_validated per configuration, one process, nothing logged (the baseline)
  naive      the same loop inside a parent run, one ``mlflow.start_run(nested=True)`` per trial logging
             params and metrics — what a person writes first
  workbench  ``core.train.tuning.run_search``: worker processes, one child run per trial logged as it finishes,
             then the refit of the best configuration and its model logged on the parent run (by a worker)

Imports, the first CV and the first model logging happen before the timings, in this process and (through
``warm_up_workers``, as the A³ page calls it) in the workers: a long-running app pays them once.

Run by hand:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_search [--repeat 3] [--trials 30]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
import warnings
from pathlib import Path

ALGORITHM = "random_forest"
TARGET_RATIO = 0.75


def configurations(trials: int, seed: int) -> list[dict]:
    """The trials' full hyperparameters, exactly as a random search with this seed proposes them."""
    from core.train.search_space import Sampler, default_space, trial_params

    sampler = Sampler("random", default_space(ALGORITHM), seed)
    return [trial_params(ALGORITHM, {}, sampler.ask()[1]) for _ in range(trials)]


def bare(configs: list[dict], X, y, folds: int, seed: int) -> dict:
    """The baseline: cross-validate each configuration in this process, log nothing."""
    from core.train.algorithms import build_pipeline
    from core.train.training import cross_validated

    scores = [cross_validated(build_pipeline(ALGORITHM, p, X, seed=seed), X, y, folds, seed) for p in configs]
    return {"best": max(s["cv_accuracy"] for s in scores)}


def naive(configs: list[dict], X, y, folds: int, seed: int, experiment_id: str) -> dict:
    """The same loop with a parent run and a nested fluent run per trial (params + metrics)."""
    import mlflow

    from core.train.algorithms import build_pipeline, choice_text
    from core.train.training import cross_validated

    best = 0.0
    with mlflow.start_run(experiment_id=experiment_id, run_name="naive-nested"):
        for number, params in enumerate(configs):
            with mlflow.start_run(experiment_id=experiment_id, run_name=f"trial-{number:03d}", nested=True):
                mlflow.log_params({k: choice_text(v) for k, v in params.items()})
                metrics = cross_validated(build_pipeline(ALGORITHM, params, X, seed=seed), X, y, folds, seed)
                mlflow.log_metrics(metrics)
                best = max(best, metrics["cv_accuracy"])
    return {"best": best}


def workbench(dataset, experiment_id: str, trials: int, seed: int, workers: int = 0) -> dict:
    """``run_search`` end to end; the time of each logged trial shows where the wall time goes."""
    from core.train.search_space import default_space
    from core.train.tuning import SearchConfig, run_search

    config = SearchConfig(ALGORITHM, "random", default_space(ALGORITHM), max_trials=trials, seed=seed, workers=workers)
    started = time.perf_counter()
    logged: list[float] = []
    result = run_search(experiment_id, dataset, config, on_trial=lambda t, p: logged.append(time.perf_counter()))
    total = time.perf_counter() - started
    assert result.status == "finished" and len(result.trials) == trials and result.model_uri, result
    return {
        "best": result.best.score("accuracy"),
        "first_trial_s": logged[0] - started,
        "trials_s": logged[-1] - started,
        "refit_log_s": total - (logged[-1] - started),
        "trial_cpu_s": sum(t.seconds for t in result.trials),
        "workers": config.worker_count(),
    }


def timed(action) -> tuple[float, dict]:
    started = time.perf_counter()
    info = action()
    return time.perf_counter() - started, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all variants; medians are reported")
    parser.add_argument("--trials", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--single-worker", action="store_true", help="also run the workbench with one worker (its overhead alone)"
    )
    parser.add_argument("--json", type=Path, help="also write every round's seconds and details to this file")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ["QUA3CK_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-search-")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

    import logging

    import mlflow  # imported before timing: no variant pays its import

    from core.data import datastore, sets
    from core.question import projects
    from core.train.algorithms import build_pipeline
    from core.train.training import cross_validated, cv_folds_for, log_fitted_model
    from core.train.tuning import warm_up_workers

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    project = projects.create_project("bench-search")
    dataset = datastore.record_dataset(project.experiment_id, sets.load_builtin("iris"), "iris", "species")
    X, y = dataset.train_xy()
    folds = cv_folds_for(y, 5)
    configs = configurations(args.trials, args.seed)
    # warm-up outside the timings: the first CV and the first model logging of a process pay imports
    # (skops, mlflow.sklearn, signature inference) that a long-running app pays once
    warm = build_pipeline(ALGORITHM, configs[0], X, seed=args.seed)
    cross_validated(warm, X, y, folds, args.seed)
    with mlflow.start_run(experiment_id=project.experiment_id, run_name="warm-up"):
        first_log, _ = timed(lambda: {"info": log_fitted_model(warm, dataset)})
    for future in warm_up_workers():  # the search's workers (its trials and its refit), as the A³ page does
        future.result()

    variants = {
        "bare": lambda: bare(configs, X, y, folds, args.seed),
        "naive": lambda: naive(configs, X, y, folds, args.seed, project.experiment_id),
        "workbench": lambda: workbench(dataset, project.experiment_id, args.trials, args.seed),
    }
    if args.single_worker:
        variants["workbench, 1 worker"] = lambda: workbench(dataset, project.experiment_id, args.trials, args.seed, 1)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    details: dict[str, list[dict]] = {name: [] for name in variants}
    print(
        f"{args.trials} random-search trials, {ALGORITHM}, {folds}-fold CV on the iris training split "
        f"({len(X)} rows); {os.cpu_count()} cores; load before: {os.getloadavg()[0]:.2f}"
    )
    print(f"  (first refit + model logging in this process, warm-up, untimed: {first_log:.2f} s)")
    for round_number in range(args.repeat):
        for name, action in variants.items():
            elapsed, info = timed(action)
            seconds[name].append(elapsed)
            details[name].append(info)
            extra = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in info.items())
            print(f"  round {round_number + 1}: {name:22s} {elapsed:6.2f} s   ({extra})", flush=True)

    base = statistics.median(seconds["bare"])
    print(f"median of {args.repeat}; load after: {os.getloadavg()[0]:.2f}")
    for name, values in seconds.items():
        median = statistics.median(values)
        print(f"  {name:22s} {median:6.2f} s   {median / base:.2f}x bare")
    for name in (n for n in variants if n.startswith("workbench")):
        keys = ("first_trial_s", "trials_s", "refit_log_s", "trial_cpu_s")
        parts = {k: statistics.median(d[k] for d in details[name]) for k in keys}
        print(
            f"  {name}: first trial logged after {parts['first_trial_s']:.2f} s, last after {parts['trials_s']:.2f} s, "
            f"refit + model logging {parts['refit_log_s']:.2f} s; CV time in the trials {parts['trial_cpu_s']:.2f} s"
        )
    ratio = statistics.median(seconds["workbench"]) / base
    verdict = "met" if ratio <= TARGET_RATIO else "NOT met"
    print(f"target workbench ≤ {TARGET_RATIO}x bare: {verdict} ({ratio:.2f}x)")
    if args.json:  # bench/bench_handout.py reads these
        args.json.write_text(json.dumps({"trials": args.trials, "seconds": seconds, "details": details}, indent=1))


if __name__ == "__main__":
    main()
