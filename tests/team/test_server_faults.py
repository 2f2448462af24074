"""A tracking server stopped under a running search: the search ends, and once the server is back its runs
are FAILED, none left RUNNING. Uses a server of its own (SQLite backend), so it can be stopped and restarted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mlflow import MlflowClient

from core.common import config, run_recovery
from core.data import datastore
from core.data import sets as data
from core.question import projects
from core.train import jobs
from core.train.search_space import Dimension
from core.train.tuning import SearchConfig
from tests.team.conftest import _free_port, _tail


class Server:
    """An ``mlflow server`` on a SQLite file that can be stopped and started again on the same port."""

    def __init__(self, folder: Path):
        self.folder, self.port = folder, _free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        command = [sys.executable, "-m", "mlflow", "server", "--backend-store-uri",
                   f"sqlite:///{self.folder / 'mlflow.db'}", "--artifacts-destination", str(self.folder / "artifacts"),
                   "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"]  # fmt: skip
        log = (self.folder / "mlflow.log").open("a")
        self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.uri}/health", timeout=2):
                    return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        pytest.fail(f"mlflow server did not start: {_tail(self.folder / 'mlflow.log')}", pytrace=False)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(30)


@pytest.fixture
def server(tmp_path, monkeypatch):
    folder = tmp_path / "server"
    folder.mkdir()
    server = Server(folder)
    server.start()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", server.uri)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "local"))
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    # MLflow retries a dead server for minutes by default: fail fast, as a person would give up
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    monkeypatch.setattr(run_recovery, "RETRY_EVERY_S", 0.5)
    config._active = None
    config.activate_store()
    yield server
    server.stop()
    config._active = None


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.2)


def test_a_search_cut_off_by_a_stopped_server_ends_failed_once_it_is_back(server):
    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    space = (Dimension("n_estimators", "int", 10, 20), Dimension("max_depth", "int", 2, 4))
    job = jobs.start_search(
        project.experiment_id,
        record,
        SearchConfig("random_forest", "random", space, max_trials=200, cv_folds=3, workers=1),
    )
    _wait(lambda: len(job.view().trials) >= 2, 180, "two trials")
    parent = job.view().run_id

    server.stop()
    assert job.wait(180), "the search did not end after the server stopped"
    view = job.view()
    assert view.status == "store_error", (view.status, view.error)
    assert "stopped answering" in view.error
    assert parent in run_recovery.remembered(server.uri)

    server.start()  # the same database: the runs are there, still RUNNING, until the retry ends them
    _wait(lambda: not run_recovery.remembered(server.uri), 60, "the remembered runs to be ended")
    client = MlflowClient()
    assert client.search_runs([project.experiment_id], "attributes.status = 'RUNNING'") == []
    ended = client.get_run(parent)
    assert ended.info.status == "FAILED"
    assert "stopped answering" in ended.data.tags[run_recovery.TAG_ENDED_BY]
    trials = client.search_runs([project.experiment_id], f"tags.mlflow.parentRunId = '{parent}'")
    assert len(trials) >= 2 and {t.info.status for t in trials} <= {"FINISHED", "FAILED"}


def test_runs_left_from_an_earlier_process_are_ended_on_the_next_start(server, tmp_path):
    """The process that ran the search is gone; the next command that opens the store ends the runs."""
    project = projects.ensure_example_project()
    run_id = MlflowClient().create_run(project.experiment_id).info.run_id
    server.stop()
    assert run_recovery.end_runs([run_id], "FAILED", "search ended: the store stopped answering") == [run_id]
    server.start()
    env = {**os.environ, "MLFLOW_TRACKING_URI": server.uri}
    subprocess.run([sys.executable, "-m", "core", "audit", "--model", "nothing-registered"], env=env,
                   capture_output=True, timeout=120, cwd=Path(__file__).resolve().parents[2])  # fmt: skip
    assert MlflowClient().get_run(run_id).info.status == "FAILED"
    assert run_recovery.remembered(server.uri) == []
