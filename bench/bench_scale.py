"""Benchmark: one random search on this machine's process pool against the same search on a Dask cluster.

A generated classification set (``--rows`` × ``--features``, scikit-learn's ``make_classification``), recorded
in a throw-away embedded store; ``core.train.tuning.run_search`` of the random forest with ``--trials`` trials
and ``--folds``-fold CV, the same seed (so the same configurations) in every variant, run one after the other
in this process:

  local       the workbench's own pool: a worker process per core (``QUA3CK_DASK_SCHEDULER`` unset)
  cluster-N   a ``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` started on 127.0.0.1 for the
              variant and stopped after it (``QUA3CK_DASK_SCHEDULER`` set), for each N in ``--cluster-workers``

Each variant first runs a 2-trial search that is not timed (workers' imports, the first fit), then the timed one:
wall time from the call to its return (the refit and the model logging included), trials per second, and the
cluster's overhead per trial over the local pool with as many workers. The forest's space is the catalogue's
with ``--space`` overrides (default: 20–80 trees, depth 2–10, so that a trial takes seconds, not minutes).

Run by hand (the machine otherwise idle):
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_scale [--trials 64] [--rows 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ALGORITHM = "random_forest"
DASK = str(Path(sys.executable).with_name("dask"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# what docs/store.md recommends for workers that run trials: Dask's statistical profiler samples every task's
# stack every 10 ms, which CPU-bound trials pay for
QUIET_WORKERS = {"DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False"}


def start_cluster(
    workers: int, log: Path, memory_limit: str | None = None, worker_env: dict[str, str] | None = None
) -> tuple[str, list[subprocess.Popen]]:
    """A scheduler and ``workers`` single-threaded worker processes on 127.0.0.1 (each limited to ``memory_limit``,
    e.g. "1GB", when given; ``worker_env`` added to the workers' environment), once all are connected."""
    from distributed import Client

    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUA3CK_DASK")}
    env["PYTHONPATH"] = str(ROOT)
    out = log.open("a")
    common = {"cwd": ROOT, "env": env, "stdout": out, "stderr": subprocess.STDOUT}
    scheduler = [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    processes = [subprocess.Popen(scheduler, **common)]
    worker = [DASK, "worker", address, "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard"]
    if memory_limit:
        worker += ["--memory-limit", memory_limit]
    processes.append(subprocess.Popen(worker, **{**common, "env": {**env, **(worker_env or {})}}))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with Client(address, timeout=5, set_as_default=False) as client:
                if len(client.scheduler_info()["workers"]) == workers:
                    return address, processes
        except OSError:
            pass
        time.sleep(0.5)
    stop_cluster(processes)
    raise SystemExit(f"the Dask cluster did not start; see {log}")


def stop_cluster(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def generated_project(prefix: str, name: str, rows: int, features: int):
    """A throw-away embedded store (a new temporary folder) holding project ``name`` with a generated 3-class
    data set of ``rows`` × ``features`` (scikit-learn's ``make_classification``) recorded; (folder, project, record)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ["QUA3CK_DATA_DIR"] = str(folder / "store")
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("QUA3CK_DASK_SCHEDULER", None)
    import pandas as pd
    from sklearn.datasets import make_classification

    from core.common.config import activate_store
    from core.data import datastore
    from core.question import projects

    activate_store()
    X, y = make_classification(
        n_samples=rows, n_features=features, n_informative=features // 2, n_classes=3, random_state=0
    )
    frame = pd.DataFrame(X, columns=[f"x{i:02d}" for i in range(features)]).assign(label=[f"c{v}" for v in y])
    project = projects.create_project(name)
    return folder, project, datastore.record_dataset(project.experiment_id, frame, "generated", "label")


def timed_search(experiment_id: str, record, config) -> dict:
    from dataclasses import replace

    from core.train import tuning

    tuning.run_search(experiment_id, record, replace(config, max_trials=2, workers=0))  # warm the workers
    started = time.perf_counter()
    result = tuning.run_search(experiment_id, record, config)
    seconds = time.perf_counter() - started
    failed = sum(t.status == "FAILED" for t in result.trials)
    if result.status != "finished" or failed or not result.model_uri:
        raise SystemExit(f"the search ended '{result.status}' with {failed} failed trials: {result.error}")
    return {
        "seconds": round(seconds, 2),
        "trials": len(result.trials),
        "trial_seconds_sum": round(sum(t.seconds for t in result.trials), 2),
        "workers": sorted({t.worker for t in result.trials}),
        "best": round(result.best.score(config.metric), 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trials", type=int, default=64)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--cluster-workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--space", action="append", default=None, metavar="NAME=LOW:HIGH")
    parser.add_argument(
        "--profiler",
        choices=["on", "off", "both"],
        default="both",
        help="Dask's worker profiler: as Dask starts it (on), off as docs/store.md recommends, or each in turn",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench-scale.json")
    args = parser.parse_args()
    space_items = args.space or ["n_estimators=20:80", "max_depth=2:10"]

    from core.train import cluster
    from core.train.search_space import space_with_overrides
    from core.train.tuning import SearchConfig

    folder, project, record = generated_project("qua3ck-scale-", "Scale", args.rows, args.features)
    space = space_with_overrides(ALGORITHM, set(), space_items)
    config = SearchConfig(ALGORITHM, "random", space, max_trials=args.trials, cv_folds=args.folds, seed=7)

    results: dict[str, dict] = {}
    load = {"before": os.getloadavg()}
    print(f"local pool ({os.cpu_count()} workers)…", flush=True)
    results["local"] = timed_search(project.experiment_id, record, config)
    print(f"  {results['local']}", flush=True)
    profiles = {"on": [True], "off": [False], "both": [True, False]}[args.profiler]
    for profiled in profiles:
        for workers in args.cluster_workers:
            name = f"cluster-{workers}" + ("" if profiled else " (profiler off)")
            quiet = None if profiled else QUIET_WORKERS
            address, processes = start_cluster(workers, folder / "dask.log", worker_env=quiet)
            os.environ[cluster.SCHEDULER_ENV] = address
            try:
                print(f"{name}…", flush=True)
                results[name] = timed_search(project.experiment_id, record, config)
                print(f"  {results[name]}", flush=True)
            finally:
                os.environ.pop(cluster.SCHEDULER_ENV, None)
                stop_cluster(processes)
    load["after"] = os.getloadavg()

    local = results["local"]
    ratios = {}
    for suffix in ("", " (profiler off)"):
        same = results.get(f"cluster-{os.cpu_count()}{suffix}")
        if same:
            ratios[f"cluster{suffix} overhead per trial over the local pool"] = round(
                (same["seconds"] - local["seconds"]) / local["seconds"], 3
            )
        one, two = results.get(f"cluster-1{suffix}"), results.get(f"cluster-2{suffix}")
        if one and two:
            ratios[f"cluster-2 / cluster-1{suffix}"] = round(two["seconds"] / one["seconds"], 3)
    payload = {"args": {k: str(v) for k, v in vars(args).items()}, "space": space_items, "load": load}
    payload |= {"results": results, "ratios": ratios}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=2))
    print("\n| variant | wall s | trials/s | sum of trial s | workers used | best CV accuracy |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['seconds']} | {r['trials'] / r['seconds']:.2f} | {r['trial_seconds_sum']} "
            f"| {len(r['workers'])} | {r['best']} |"
        )
    print(f"\nratios: {ratios}\nload (1/5/15 min) before {load['before']}, after {load['after']}\nJSON: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
