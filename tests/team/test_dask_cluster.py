"""Searches on a real Dask cluster: a ``dask scheduler`` and ``dask worker`` processes on 127.0.0.1, next to the
team's mlflow server. The trials and the refit run on the workers and say where; a worker killed mid-search
costs no trial; a scheduler that does not answer, or workers with other package versions, are refused before
anything is written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.test_cli import assert_one_line_error, describe, json_out, ok, run_cli
from tests.team.conftest import _free_port, _tail

ROOT = Path(__file__).resolve().parents[2]
DASK = str(Path(sys.executable).with_name("dask"))
START_TIMEOUT_S = 120


@dataclass
class Cluster:
    address: str
    processes: list[subprocess.Popen]
    log: Path

    def workers(self) -> dict[str, int]:
        """The workers' addresses and process ids."""
        from distributed import Client

        with Client(self.address, timeout=10, set_as_default=False) as client:
            return client.run(os.getpid)


def _environment(extra_path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "QUA3CK_DASK"))}
    env["PYTHONPATH"] = os.pathsep.join(str(p) for p in (extra_path, ROOT) if p)  # `core` importable on workers
    return env


def _start(folder: Path, workers: int, extra_path: Path | None = None) -> Cluster:
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = folder / f"dask-{port}.log"
    out = log.open("w")
    common = {"cwd": ROOT, "env": _environment(extra_path), "stdout": out, "stderr": subprocess.STDOUT}
    processes = [
        subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"], **common)
    ]
    worker = [DASK, "worker", address, "--nworkers", str(workers), "--nthreads", "1", "--no-dashboard"]
    processes.append(subprocess.Popen(worker, **common))
    cluster = Cluster(address, processes, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            if len(cluster.workers()) == workers:
                return cluster
        except OSError:
            pass  # the scheduler is not listening yet
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            _stop(cluster)
            pytest.fail(f"the Dask cluster did not start:\n{_tail(log)}", pytrace=False)
        time.sleep(0.5)


def _stop(cluster: Cluster) -> None:
    for process in reversed(cluster.processes):  # the workers first: they say goodbye to the scheduler
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """A scheduler and two single-threaded worker processes, shared by this module's tests."""
    cluster = _start(tmp_path_factory.mktemp("dask"), workers=2)
    yield cluster
    _stop(cluster)


def _children(parent_id: str):
    from mlflow import MlflowClient

    client = MlflowClient()
    parent = client.get_run(parent_id)
    found = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent_id}'", max_results=1000
    )
    return parent, found


def test_a_cli_search_runs_its_trials_and_its_refit_on_the_cluster(team, dask_cluster):
    import mlflow

    from core.train.tuning import TAG_REFIT_WORKER, TAG_WORKER

    argv = ["train", "--experiment", team.project, "--data", "iris", "--algorithm", "decision_tree"]
    argv += ["--search", "random", "--trials", "6", "--cv-folds", "3", "--dask-scheduler", dask_cluster.address]
    proc = ok(run_cli(*argv, "--json"))
    assert f"on the Dask cluster {dask_cluster.address}" in proc.stderr, describe(proc)
    payload = json_out(proc)
    assert (payload["status"], payload["trials"], payload["failed_trials"]) == ("finished", 6, 0)
    parent, children = _children(payload["run_id"])
    workers = set(dask_cluster.workers())
    assert len(children) == 6 and {c.info.status for c in children} == {"FINISHED"}
    assert {c.data.tags[TAG_WORKER] for c in children} <= workers  # each trial says which worker ran it
    assert parent.data.tags[TAG_REFIT_WORKER] in workers  # and the refit ran on one too
    rows = __import__("core.data.sets", fromlist=["load_builtin"]).load_builtin("iris").drop(columns="species")
    assert len(mlflow.pyfunc.load_model(payload["model_uri"]).predict(rows.head(5))) == 5


def test_a_scheduler_that_does_not_answer_is_named_before_anything_is_written(team):
    from mlflow import MlflowClient

    silent = f"tcp://127.0.0.1:{_free_port()}"
    argv = ["train", "--experiment", team.project, "--data", "iris", "--search", "random", "--trials", "2"]
    line = assert_one_line_error(run_cli(*argv, "--dask-scheduler", silent))
    assert f"The Dask scheduler at {silent} does not answer" in line
    assert MlflowClient().get_experiment_by_name(team.project) is None  # no project, no data run, no search


def test_a_worker_killed_mid_search_costs_no_trial_and_the_search_ends_with_its_model(team, dask_cluster, monkeypatch):
    from mlflow import MlflowClient

    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import cluster, tuning
    from core.train.search_space import default_space

    monkeypatch.setenv(cluster.SCHEDULER_ENV, dask_cluster.address)
    project = projects.create_project(team.project)
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    space = default_space("random_forest")
    config = tuning.SearchConfig("random_forest", "random", space, max_trials=8, cv_folds=3)
    killed = []

    def kill_a_worker_once(trial, progress) -> None:
        if not killed:
            address, pid = next(iter(dask_cluster.workers().items()))
            os.kill(pid, signal.SIGKILL)  # its nanny starts a new one; its task goes to another worker
            killed.append(address)

    result = tuning.run_search(project.experiment_id, record, config, on_trial=kill_a_worker_once)
    assert killed and result.status == "finished" and result.model_uri
    assert len(result.trials) == 8
    assert all(t.status == "FINISHED" or "worker" in (t.error or "").lower() for t in result.trials)
    parent, children = _children(result.run_id)
    assert parent.info.status == "FINISHED" and len(children) == 8
    assert "RUNNING" not in {c.info.status for c in children}
    assert MlflowClient().get_run(result.run_id).data.tags[tuning.TAG_SEARCH_STATUS] == "finished"


def test_workers_with_other_package_versions_are_refused_with_the_mismatch_named(tmp_path):
    """A worker whose installed scikit-learn metadata says 1.0.0 (a dist-info ahead on its path)."""
    from core.common.config import StoreConfig
    from core.train import cluster

    shadow = tmp_path / "shadow"
    info = shadow / "scikit_learn-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: scikit-learn\nVersion: 1.0.0\n")
    odd = _start(tmp_path, workers=1, extra_path=shadow)
    try:
        team_store = StoreConfig("http://127.0.0.1:5000", "http://127.0.0.1:5000", embedded=False)
        with pytest.raises(cluster.ClusterError) as refused:
            cluster.executor(odd.address, team_store)
        message = str(refused.value)
        assert "other package versions than this app" in message and "scikit-learn 1.0.0 on tcp://127.0.0.1" in message
        assert "Traceback" not in message
    finally:
        _stop(odd)


def test_the_a3_page_searches_on_the_cluster_and_shows_each_trials_worker(team, dask_cluster, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import cluster, jobs
    from tests.app.conftest import goto, no_exception, texts

    monkeypatch.setenv(cluster.SCHEDULER_ENV, dask_cluster.address)
    project = projects.create_project(team.project)
    datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.run()
    no_exception(at)
    assert f"Searches run on the Dask cluster {dask_cluster.address}" in texts(at.sidebar.caption)
    at.session_state["project_id"] = project.experiment_id
    goto(at, "train")
    assert f"run on the Dask cluster {dask_cluster.address}" in texts(at.caption)
    at.radio(key="train_search_method").set_value("random")
    at.number_input(key="train_search_trials").set_value(4)
    at.slider(key="train_cv_folds").set_value(3)
    at.button(key="train_search_start").click().run()
    no_exception(at)
    job = jobs.get_job(at.session_state["search_job"])
    assert job is not None and job.wait(180)
    at.run()
    no_exception(at)
    assert job.view().status == "finished" and "Best: trial" in texts(at.success)
    table = next(df.value for df in at.dataframe if "worker" in df.value.columns)
    assert len(table) == 4 and set(table["worker"]) <= set(dask_cluster.workers())


def test_a_batch_in_parts_is_scored_on_the_workers_and_written_once(team, dask_cluster, tmp_path):
    """Parquet parts on storage the workers share (here: this machine's disk), scored in partitions on the cluster,
    each worker loading the model from the team server once; without an output path the cluster is refused."""
    import pandas as pd

    from core.data import sets as data
    from tests import registry_setup

    argv = ["train", "--experiment", team.project, "--data", "iris", "--algorithm", "decision_tree", "--json"]
    run_id = json_out(ok(run_cli(*argv)))["run_id"]
    name = f"batch-{team.project}"
    registry_setup.promote(name, "production", run_id=run_id)
    rows = pd.concat([data.load_builtin("iris").drop(columns="species")] * 4, ignore_index=True).assign(id=range(600))
    parts = tmp_path / "parts"
    parts.mkdir()
    for i in range(6):
        rows.iloc[i * 100 : (i + 1) * 100].to_parquet(parts / f"part-{i}.parquet", index=False)
    model = ["--model", name, "--alias", "production", "--dask-scheduler", dask_cluster.address]

    proc = ok(run_cli("predict", *model, "--input", str(parts / "part-*.parquet"), "--output", str(tmp_path / "out")))

    assert (
        "predicted 600 rows in 6 parts" in proc.stderr and f"of the Dask cluster {dask_cluster.address}" in proc.stderr
    )
    scored = pd.read_parquet(tmp_path / "out")
    assert scored["id"].tolist() == list(range(600)) and scored["prediction"].notna().all()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "parts"]  # the staging folder was moved, not left

    line = assert_one_line_error(run_cli("predict", *model, "--input", str(parts)))
    assert "give an output path on storage they share" in line
