"""What each package that core imports inside its functions costs to import: the start-up it saves every page
and command that does not need it (core/__init__.py's LAZY_IMPORTS holds the figures).

Each import is timed in a fresh interpreter that has already imported numpy and pandas (every page has them),
``--repeat`` times; the median is reported with the machine's load before and after.

    .venv/bin/python -m bench.bench_imports --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from bench.common import ROOT, load

PACKAGES = {
    "mlflow": "import mlflow",
    "mlflow client": "from mlflow import MlflowClient",
    "sklearn pipeline": "import sklearn.pipeline, sklearn.ensemble, sklearn.model_selection",
    "optuna": "import optuna",
    "scipy.stats": "import scipy.stats",
    "skops.io": "import skops.io",
    "plotly": "import plotly.graph_objects",
    "matplotlib": "from matplotlib.figure import Figure",
    "babel": "from babel.numbers import format_decimal; format_decimal(1.5, locale='de')",
    "jinja2": "import jinja2",
    "charset_normalizer": "import charset_normalizer",
    "ydata_profiling": "import ydata_profiling",
    "pyarrow.parquet": "import pyarrow.parquet",
    "yaml": "import yaml",
    "joblib": "import joblib",
    "threadpoolctl": "import threadpoolctl",
    "dask.dataframe": "import dask.dataframe",
    "distributed": "import distributed",
    "shap": "import shap",
}
TIMER = "import numpy, pandas, time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"


def seconds(statement: str) -> float:
    done = subprocess.run(
        [sys.executable, "-c", TIMER.format(statement=statement)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={"MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"},
    )
    return float(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load before: {load()}")
    print(f"{'package':<22}{'median s':>10}{'min':>8}{'max':>8}")
    for name, statement in PACKAGES.items():
        times = [seconds(statement) for _ in range(args.repeat)]
        print(f"{name:<22}{statistics.median(times):>10.3f}{min(times):>8.3f}{max(times):>8.3f}")
    print(f"load after: {load()}")


if __name__ == "__main__":
    main()
