"""Background searches: start, watch, stop, shut down, and the sweep of runs a dead server left RUNNING."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest
from mlflow import MlflowClient

from core.common.provenance import TAG_OWNER, owner, owner_is_gone, provenance_tags
from core.common.run_recovery import TAG_ENDED_BY
from core.train import jobs, orphans
from core.train.algorithms import ALGORITHMS
from core.train.search_space import Dimension
from core.train.tuning import SearchConfig

SMALL = (Dimension("n_estimators", "int", 10, 20), Dimension("max_depth", "int", 2, 4))


def _config(trials: int = 3) -> SearchConfig:
    return SearchConfig("random_forest", "random", SMALL, max_trials=trials, cv_folds=3, workers=1)


def _running(experiment_id: str):
    return MlflowClient().search_runs([experiment_id], filter_string="attributes.status = 'RUNNING'")


def test_a_job_runs_in_the_background_and_reports_its_trials(iris_project):
    project, record = iris_project
    job = jobs.start_search(project.experiment_id, record, _config())
    assert job.view().running or job.view().status == "finished"
    assert job in jobs.jobs_for(project.experiment_id)
    assert jobs.get_job(job.job_id) is job
    assert job.wait(120)
    view = job.view()
    assert view.status == "finished" and not view.running
    assert len(view.trials) == 3
    assert view.progress.done == 3
    assert view.result.model_uri and view.run_id == view.result.run_id
    assert jobs.jobs_for(project.experiment_id, running_only=True) == []
    assert not _running(project.experiment_id)


def test_stop_keeps_the_trials_done_and_shutdown_kills(iris_project):
    project, record = iris_project
    stopped = jobs.start_search(project.experiment_id, record, _config(300))
    aborted = jobs.start_search(project.experiment_id, record, _config(300))
    while not stopped.view().trials:
        stopped.wait(0.2)
    stopped.stop()
    assert stopped.wait(120)
    assert stopped.view().status == "stopped" and stopped.view().result.model_uri
    jobs.shutdown(timeout=60)  # what the server does on exit
    assert aborted.view().status == "aborted", aborted.view().error
    assert MlflowClient().get_run(aborted.view().run_id).info.status == "KILLED"
    assert not _running(project.experiment_id)


def test_an_invalid_search_is_refused_before_a_job_exists(iris_project):
    project, record = iris_project
    bad = SearchConfig("random_forest", "random", (Dimension("n_estimators", "int", 50, 10),), max_trials=3)
    before = len(jobs.jobs_for(project.experiment_id))
    with pytest.raises(ValueError, match="min \\(50\\) is larger than max \\(10\\)"):
        jobs.start_search(project.experiment_id, record, bad)
    assert len(jobs.jobs_for(project.experiment_id)) == before


def test_jobs_of_another_store_are_not_shown(iris_project, monkeypatch):
    project, record = iris_project
    job = jobs.start_search(project.experiment_id, record, _config(1))
    assert job.wait(120)
    monkeypatch.setattr(job, "store", "sqlite:///elsewhere.db")
    assert jobs.get_job(job.job_id) is None
    assert job not in jobs.jobs_for(project.experiment_id)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_owner_is_gone_only_for_a_dead_process_on_this_host():
    assert not owner_is_gone(owner())
    assert owner_is_gone(f"{socket.gethostname()}:{_dead_pid()}")
    assert not owner_is_gone(f"some-other-host:{_dead_pid()}")
    assert not owner_is_gone(None) and not owner_is_gone("garbage")


def test_the_sweep_ends_runs_a_dead_server_left_running(iris_project):
    project, _ = iris_project
    client = MlflowClient()
    orphan = client.create_run(project.experiment_id, tags={TAG_OWNER: f"{socket.gethostname()}:{_dead_pid()}"})
    alive = client.create_run(project.experiment_id, tags={TAG_OWNER: owner()})
    foreign = client.create_run(project.experiment_id)  # logged by other code: not ours to end
    assert orphans.end_orphaned_runs(project.experiment_id) == 1
    assert client.get_run(orphan.info.run_id).info.status == "KILLED"
    assert client.get_run(alive.info.run_id).info.status == "RUNNING"
    assert client.get_run(foreign.info.run_id).info.status == "RUNNING"
    for run in (alive, foreign):
        client.set_terminated(run.info.run_id)


def test_every_run_records_commit_versions_and_owner():
    tags = provenance_tags()
    assert tags["qua3ck.git_commit"] and tags["mlflow.source.git.commit"]
    versions = dict(item.split("=") for item in tags["qua3ck.versions"].split())
    assert {"python", "scikit-learn", "mlflow", "pandas", "numpy"} <= set(versions)
    assert tags[TAG_OWNER] == owner()
    assert ALGORITHMS  # the catalogue is importable next to the job module (no streamlit)


def test_the_start_sweep_ends_orphans_in_every_project_and_names_why(iris_project):
    project, _ = iris_project
    client = MlflowClient()
    other = client.create_experiment("another project")
    dead = {TAG_OWNER: f"{socket.gethostname()}:{_dead_pid()}"}
    runs = [client.create_run(project.experiment_id, tags=dead), client.create_run(other, tags=dead)]
    assert orphans.end_orphaned_runs() == 2  # no project named: all of them
    for run in runs:
        ended = client.get_run(run.info.run_id)
        assert ended.info.status == "KILLED" and ended.data.tags[TAG_ENDED_BY] == orphans.ORPHAN_REASON
    assert orphans.lost_searches(other) == []  # runs that were not searches are not offered again
