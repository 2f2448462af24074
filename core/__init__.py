"""QUA³CK Workbench core library: the whole lifecycle as plain Python on top of MLflow.

Nothing here imports streamlit (except ``core.ui``) and nothing does work at import time — but one default:
MLflow's usage telemetry is off (``MLFLOW_DISABLE_TELEMETRY=true`` unless the environment says otherwise), as
Streamlit's ``gatherUsageStats`` is off in .streamlit/config.toml: the app, the CLI and the search workers send
nothing about their use anywhere. MLflow reads the switch when it is imported, hence here, before any import of
mlflow.

Imports go at the top of a module, except the packages in ``LAZY_IMPORTS``: each is imported inside the
functions that use it, because it costs at least 50 ms to import (seconds, median of 5 fresh interpreters that
have numpy and pandas already: ``python -m bench.bench_imports``, docs/benchmarks.md) and many pages and
commands never need it. The CLI's command modules also import their phase's modules when the command runs, so
that ``python -m core --help`` and argument errors answer at once (0.58 s against 0.79 s with them at the top).
tests/unit/test_layering.py holds the house to this.
"""

import os

LAZY_IMPORTS = {
    "ydata_profiling": 2.15,  # the profile report, on request only
    "skops": 1.30,  # loading and logging a model (its trusted-type scan)
    "mlflow": 1.10,  # the store: every page needs it, but not before it has drawn its header
    "sklearn": 0.73,  # training, evaluation and prediction
    "scipy": 0.39,  # statistical tests and drift
    "shap": 1.18,  # "Why this prediction?", only when asked
    "matplotlib": 0.24,  # the confusion-matrix image logged with an evaluation
    "optuna": 0.08,  # the Bayesian search and the hyperparameter importance
    "distributed": 0.22,  # a search on a Dask cluster, only when one is configured
    "dask": 0.37,  # dask.dataframe: a batch larger than memory, read in partitions
}

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
