"""Shared fixtures: every test gets its own temporary MLflow store, copied from a migrated template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def store_template(tmp_path_factory) -> Path:
    """A SQLite store migrated once per session; migrating takes seconds, copying milliseconds."""
    folder = tmp_path_factory.mktemp("store-template")
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{folder / 'mlflow.db'}")
    client.search_experiments()
    return folder / "mlflow.db"


@pytest.fixture
def store(tmp_path, store_template, monkeypatch) -> Path:
    """A fresh embedded store in tmp_path, active for core and for anything the test starts."""
    from core.common import config

    data_dir = tmp_path / "store"
    data_dir.mkdir()
    shutil.copy(store_template, data_dir / "mlflow.db")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(data_dir))
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    config.activate_store()
    yield data_dir
    import os

    import mlflow

    while mlflow.active_run():
        mlflow.end_run()
    # a snippet test's mlflow.set_experiment() sets a process-wide experiment (and MLFLOW_EXPERIMENT_ID): the next
    # test's store does not have it
    mlflow.tracking.fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)
    os.environ.pop("MLFLOW_EXPERIMENT_NAME", None)
    config._active = None  # the next test activates its own store


@pytest.fixture
def iris_project(store):
    """The example project with the iris data recorded (question, KPIs, data run, split)."""
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    return projects.get_project(project.experiment_id), record
