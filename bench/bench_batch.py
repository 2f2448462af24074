"""Benchmark: a batch larger than memory scored in partitions, against the in-memory path scaled linearly.

A random forest (``--trees`` trees of depth ``--depth``) trained on a generated classification set of 20,000 ×
``--features`` and registered, in a throw-away embedded store. The batch: ``--rows`` generated rows (default
5,000,000 × 30 numbers, ~1.2 GB as a frame) in one Parquet file of row groups of ``--row-group`` rows. Variants,
one after the other in this process:

  in-memory   the Predict page's and the CLI's path for a file read at once (``read_batch`` + ``predict_frame``)
              on the first ``--sample`` rows (default 100,000), timed after a warm-up; scaled linearly to the batch
  local       ``core.serve.batch.predict_files`` on this machine's worker processes (a process per core)
  cluster     the same on a ``dask scheduler`` and ``dask worker --nworkers 2 --nthreads 1 --memory-limit
              LIMIT`` started on 127.0.0.1 for it (``--memory-limit``, default 1GB: less than the batch)

Reported per variant: wall seconds (the partitioned ones from the call to the output in place, the workers' model
load included), rows per second, the ratio to the in-memory path scaled to the batch's rows, and the peak
resident memory of any one worker process and of this process while it ran (sampled every 0.1 s with psutil).

Run by hand (the machine otherwise idle):
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_batch [--rows 5000000]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import threading
import time
from pathlib import Path

import psutil

from bench.bench_scale import generated_project, start_cluster, stop_cluster

ROOT = Path(__file__).resolve().parents[1]
MODEL = "bench-batch"


class PeakMemory:
    """The highest resident set size seen of this process and, separately, of any one of its workers."""

    def __init__(self, workers) -> None:
        self._workers = workers  # () -> the worker processes to watch now
        self.worker_mb = 0.0
        self.self_mb = 0.0
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()
        self._thread.join()

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._done.wait(0.1):
            self.self_mb = max(self.self_mb, me.memory_info().rss / 2**20)
            for process in self._workers():
                with contextlib.suppress(psutil.Error):  # a worker that just ended
                    self.worker_mb = max(self.worker_mb, process.memory_info().rss / 2**20)


def generate_batch(path: Path, rows: int, features: int, row_group: int) -> None:
    """``rows`` × ``features`` standard normal numbers (the training set's scale) written chunk by chunk."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(1)
    names = [f"x{i:02d}" for i in range(features)]
    writer = None
    for start in range(0, rows, row_group):
        n = min(row_group, rows - start)
        columns = {name: rng.standard_normal(n) for name in names} | {"id": np.arange(start, start + n)}
        table = pa.table(columns)
        writer = writer or pq.ParquetWriter(path, table.schema)
        writer.write_table(table, row_group_size=row_group)
    writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--sample", type=int, default=100_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--row-group", type=int, default=250_000)
    parser.add_argument("--trees", type=int, default=30)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--skip", nargs="*", default=[], choices=["local", "cluster"])
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench-batch.json")
    args = parser.parse_args()

    from mlflow import MlflowClient

    from core.registry.model_registry import register
    from core.serve import batch, predict
    from core.train import training

    folder, project, record = generated_project("qua3ck-batch-", "Batch", 20_000, args.features)
    params = {"n_estimators": args.trees, "max_depth": args.depth}
    run = training.train_model(project.experiment_id, record, "random_forest", params)
    version = register(run.run_id, MODEL).version
    MlflowClient().set_registered_model_alias(MODEL, "production", str(version))
    model = predict.load_served_model(MODEL, str(version))

    source = folder / "batch.parquet"
    print(f"writing {args.rows:,} rows…", flush=True)
    generate_batch(source, args.rows, args.features, args.row_group)
    sample = folder / "sample.parquet"
    import pyarrow.parquet as pq

    pq.write_table(pq.ParquetFile(source).read_row_groups([0]).slice(0, args.sample), sample)
    content = sample.read_bytes()

    results: dict[str, dict] = {}
    load = {"before": os.getloadavg()}
    predict.predict_frame(model, predict.read_batch(content, sample.name, model)[0])  # warm
    scoring, writing = [], []
    for _ in range(3):
        started = time.perf_counter()
        rows_read, _ = predict.read_batch(content, sample.name, model)
        scored = predict.predict_frame(model, rows_read)
        scoring.append(time.perf_counter() - started)
        started = time.perf_counter()
        scored.to_parquet(folder / "sample-out.parquet", index=False)
        writing.append(time.perf_counter() - started)
    seconds, written_s = statistics.median(scoring), statistics.median(writing)
    factor = args.rows / args.sample
    scaled, scaled_written = seconds * factor, (seconds + written_s) * factor
    results["in-memory"] = {
        "rows": args.sample,
        "seconds": round(seconds, 3),
        "write_parquet_s": round(written_s, 3),
        "scaled_to_batch_s": round(scaled, 1),
        "scaled_with_write_s": round(scaled_written, 1),
    }
    print(f"in-memory: {results['in-memory']}", flush=True)
    del rows_read, scored

    found = batch.find_source(source)

    def partitioned(name: str, workers, address: str | None) -> None:
        out = folder / f"out-{name}"
        with PeakMemory(workers) as peak:
            started = time.perf_counter()
            result = batch.predict_files(model, found, out, address=address)
            seconds = time.perf_counter() - started
        results[name] = {
            "rows": result.rows,
            "parts": result.parts,
            "seconds": round(seconds, 1),
            "rows_per_s": round(result.rows / seconds),
            "vs_in_memory_scaled": round(seconds / scaled, 2),
            "vs_in_memory_with_write_scaled": round(seconds / scaled_written, 2),
            "peak_worker_mb": round(peak.worker_mb),
            "peak_this_process_mb": round(peak.self_mb),
            "workers": len(result.workers),
            "busy_s": round(result.busy_seconds, 1),
            "output_rows": sum(pq.ParquetFile(p).metadata.num_rows for p in out.glob("*.parquet")),
        }
        print(f"{name}: {results[name]}", flush=True)
        shutil.rmtree(out)

    if "local" not in args.skip:
        partitioned("local", lambda: psutil.Process().children(recursive=True), None)
    if "cluster" not in args.skip:
        address, processes = start_cluster(2, folder / "dask.log", memory_limit=args.memory_limit)
        nanny = psutil.Process(processes[1].pid)
        try:
            partitioned(f"cluster-2 ({args.memory_limit} each)", lambda: nanny.children(recursive=True), address)
        finally:
            stop_cluster(processes)
    load["after"] = os.getloadavg()

    payload = {"args": {k: str(v) for k, v in vars(args).items()}, "load": load, "results": results}
    payload["batch_mb_on_disk"] = round(source.stat().st_size / 2**20)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=2))
    print(
        "\n| variant | rows | s | rows/s | × in-memory scaled (read, check, predict) | × with the Parquet write "
        "| peak worker MB | peak this process MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        if name == "in-memory":
            print(
                f"| in-memory ({r['rows']:,} rows; ×{args.rows // args.sample}: {r['scaled_to_batch_s']} s, "
                f"{r['scaled_with_write_s']} s with the write) | {r['rows']:,} | {r['seconds']} + "
                f"{r['write_parquet_s']} | {round(r['rows'] / r['seconds']):,} | 1.00 | 1.00 | | |"
            )
        else:
            print(
                f"| {name} | {r['rows']:,} | {r['seconds']} | {r['rows_per_s']:,} | {r['vs_in_memory_scaled']} "
                f"| {r['vs_in_memory_with_write_scaled']} | {r['peak_worker_mb']} | {r['peak_this_process_mb']} |"
            )
    print(f"\nbatch on disk {payload['batch_mb_on_disk']} MB; load before {load['before']}, after {load['after']}")
    shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
