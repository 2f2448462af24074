"""Benchmark: logging a fitted pipeline the workbench's way vs. mlflow.sklearn.log_model defaults.

Both run in the same process against the same throw-away SQLite store, so the ratio is what counts.
Run by hand:  .venv/bin/python -m bench.bench_model_logging [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    import mlflow

    from core.data.sets import load_builtin
    from core.train.algorithms import build_pipeline
    from core.train.training import log_pipeline

    frame = load_builtin("iris")
    X, y = frame.drop(columns="species"), frame["species"]
    pipeline = build_pipeline("random_forest", {"n_estimators": 100, "max_depth": 5}, X).fit(X, y)
    with tempfile.TemporaryDirectory() as tmp:
        mlflow.set_tracking_uri(f"sqlite:///{tmp}/mlflow.db")
        experiment = mlflow.create_experiment("bench", artifact_location=Path(tmp, "artifacts").as_uri())
        variants = {
            "workbench: skops + trusted types + explicit reqs": lambda: log_pipeline(pipeline, X),
            "cloudpickle, inferred requirements": lambda: mlflow.sklearn.log_model(
                pipeline, name="model", input_example=X.head(5), serialization_format="cloudpickle"
            ),
        }
        with mlflow.start_run(experiment_id=experiment):
            try:
                mlflow.sklearn.log_model(pipeline, name="model", input_example=X.head(5))
                print("mlflow.sklearn.log_model with defaults (the handout's call): ok")
            except Exception as exc:  # noqa: BLE001 — the point is to report it
                print(f"mlflow.sklearn.log_model with defaults (the handout's call): FAILS: {str(exc)[:150]}…")
        timings: dict[str, list[float]] = {label: [] for label in variants}
        uris: dict[str, str] = {}
        for _ in range(args.repeat):
            for label, log in variants.items():
                with mlflow.start_run(experiment_id=experiment):
                    started = time.perf_counter()
                    info = log()
                    timings[label].append(time.perf_counter() - started)
                    uris[label] = info.model_uri
        print(f"log_model, iris random forest (100 trees), {args.repeat} repeats, median seconds:")
        base = statistics.median(timings["cloudpickle, inferred requirements"])
        for label, values in timings.items():
            median = statistics.median(values)
            print(f"  {label:52s} {median:6.2f} s   ({median / base:.2f}x of the cloudpickle baseline)")
        for label, uri in uris.items():
            try:
                mlflow.pyfunc.load_model(uri).predict(X.head(1))
                print(f"  load back: {label}: ok")
            except Exception as exc:  # noqa: BLE001 — the point is to report it
                print(f"  load back: {label}: FAILS ({type(exc).__name__}: {str(exc).splitlines()[0][:90]})")


if __name__ == "__main__":
    main()
