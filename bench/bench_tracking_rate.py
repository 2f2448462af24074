"""Benchmark: how many trial runs per second a tracking store takes, written as a search writes them.

Each trial is the workbench's own write (``core.train.tuning.log_trial``: a nested child run created with its
tags, its params, CV metrics and per-fold scores in one batch, then ended), under one parent run. A search logs
its trials from one thread of the process that runs it, so ``--writers 1`` is what one search can log; more
writers are several searches (or app servers) logging at once into the same store. Stores, one after the other:

  server   ``mlflow server`` on PostgreSQL, started by ``scripts/team-server.sh`` in a temporary folder (2 workers)
  sqlite   the embedded store (a local SQLite file)

Run by hand (the machine otherwise idle):
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_tracking_rate [--trials 200]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.bench_load import team_server

ROOT = Path(__file__).resolve().parents[1]


def trial(number: int):
    from core.train.tuning import Trial

    folds = {"accuracy": [0.9, 0.93, 0.95], "f1_macro": [0.89, 0.92, 0.95]}
    metrics = {"cv_accuracy": 0.93, "cv_f1_macro": 0.92, "cv_accuracy_std": 0.02, "fit_seconds": 0.4}
    params = {"n_estimators": 40 + number % 40, "max_depth": 2 + number % 8, "min_samples_leaf": 1}
    return Trial(number, params, dict(params), metrics, "FINISHED", None, 1.2, "", folds, "tcp://10.0.0.7:40123")


def rate(tracking_uri: str, trials: int, writers: int) -> dict:
    """Trials logged per second by ``writers`` threads, each with its own parent run."""
    from mlflow import MlflowClient

    from core.train.tuning import log_trial

    client = MlflowClient(tracking_uri=tracking_uri)
    experiment = client.create_experiment(f"rate-{writers}-{time.time_ns()}")
    parents = [client.create_run(experiment).info.run_id for _ in range(writers)]
    tags = {"qua3ck.kind": "trial"}
    context = {"algorithm": "random_forest", "cv_folds": 3, "random_seed": 42, "impute": "median"}
    log_trial(client, experiment, parents[0], tags, trial(0), int(time.time() * 1000), context)  # warm

    def write(writer: int) -> None:
        for number in range(writer, trials, writers):
            log_trial(client, experiment, parents[writer], tags, trial(number), int(time.time() * 1000), context)

    started = time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, range(writers)))
    seconds = time.perf_counter() - started
    for parent in parents:
        client.set_terminated(parent)
    per_second = round(trials / seconds, 1)
    return {"trials": trials, "writers": writers, "seconds": round(seconds, 2), "trials_per_s": per_second}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--writers", type=int, nargs="+", default=[1, 4, 8])
    parser.add_argument("--stores", nargs="+", default=["server", "sqlite"], choices=["server", "sqlite"])
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench-tracking-rate.json")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="qua3ck-rate-"))
    results: dict[str, list[dict]] = {}
    load = {"before": os.getloadavg()}
    for store in args.stores:
        uri = team_server("start", folder / "team") if store == "server" else f"sqlite:///{folder / 'mlflow.db'}"
        try:
            results[store] = []
            for writers in args.writers:
                results[store].append(rate(uri, args.trials, writers))
                print(store, results[store][-1], flush=True)
        finally:
            if store == "server":
                team_server("stop", folder / "team")
                # the cluster lives in /tmp behind a link when run as root (PostgreSQL's own user needs to reach it)
                shutil.rmtree((folder / "team" / "postgres").resolve(), ignore_errors=True)
    load["after"] = os.getloadavg()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "load": load, **results}))
    print("\n| store | writers at once | trials | s | trials per second |\n|---|---|---|---|---|")
    for store, rows in results.items():
        for r in rows:
            print(f"| {store} | {r['writers']} | {r['trials']} | {r['seconds']} | {r['trials_per_s']} |")
    print(f"\nload (1/5/15 min) before {load['before']}, after {load['after']}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
