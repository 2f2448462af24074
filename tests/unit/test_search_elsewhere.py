"""A search another process runs on the same store: seen, followed and stopped through MLflow alone, and ended by
the sweep once the machine it ran on has gone quiet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow import MlflowClient

from core.common.provenance import TAG_OWNER
from core.question import projects
from core.train import jobs, orphans, tuning
from core.train.search_space import default_space

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 180


def start_cli_search(project: str, trials: int = 400) -> subprocess.Popen:
    """``python -m core train --search random`` of many small forests: another process, as a second app server
    would be, on the test's store."""
    argv = [sys.executable, "-m", "core", "train", "--experiment", project, "--data", "iris", "--json"]
    argv += ["--algorithm", "random_forest", "--search", "random", "--trials", str(trials), "--cv-folds", "3"]
    argv += ["--space", "n_estimators=10:20", "--space", "max_depth=2:4", "--workers", "1"]
    return subprocess.Popen(argv, cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def seen_running(project: str, least_trials: int = 2) -> jobs.RemoteSearch:
    """The project's search running elsewhere, once it has logged ``least_trials`` trials."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = projects.find_project(project)
        if found is not None:
            for search in jobs.running_elsewhere(found.experiment_id):
                if len(search.view().trials) >= least_trials:
                    return search
        time.sleep(0.5)
    pytest.fail("the search of the other process never showed up in the store")


def test_a_search_in_another_process_is_followed_and_stopped_through_the_store(store):
    process = start_cli_search("Elsewhere")
    try:
        search = seen_running("Elsewhere")
        view = search.view()
        assert view.running and view.status == "running" and not view.stop_requested
        assert view.config.algorithm == "random_forest" and view.config.max_trials == 400
        assert view.progress.done == len(view.trials) and view.progress.planned == 400
        assert view.progress.best is not None and view.progress.best.score("accuracy") > 0.5
        assert search in jobs.jobs_for(search.experiment_id, running_only=True)
        assert jobs.get_job(search.job_id) is search

        search.stop()

        out, err = process.communicate(timeout=WAIT_S)
    finally:
        process.kill()
    assert process.returncode == 0, err.decode()[-2000:]
    payload = json.loads(out.decode().strip().splitlines()[-1])
    assert payload["status"] == "stopped" and 2 <= payload["trials"] < 400 and payload["model_uri"]
    time.sleep(jobs.REMOTE_REFRESH_S)
    ended = search.view()
    assert not ended.running and ended.status == "stopped" and ended.stop_requested
    assert ended.result is not None and ended.result.best is not None
    assert len(ended.trials) == payload["trials"]
    assert search not in jobs.jobs_for(search.experiment_id, running_only=True)
    run = MlflowClient().get_run(payload["run_id"])
    assert run.info.status == "FINISHED" and run.data.tags[tuning.TAG_SEARCH_STATUS] == "stopped"


def test_a_search_whose_machine_went_quiet_is_ended_by_the_sweep(iris_project):
    project, _ = iris_project
    client = MlflowClient()
    now_ms = int(time.time() * 1000)
    quiet = int(orphans.STALE_HEARTBEAT_S + 30) * 1000

    def search_run(owner: str, heartbeat_ms: int) -> str:
        tags = {"qua3ck.search": "1", TAG_OWNER: owner, tuning.TAG_HEARTBEAT: str(heartbeat_ms)}
        return client.create_run(project.experiment_id, tags=tags).info.run_id

    gone = search_run("replica-2:4242", now_ms - quiet)  # another machine, silent for minutes
    alive = search_run("replica-3:4242", now_ms - 5_000)  # another machine, beating
    here = search_run(f"{__import__('socket').gethostname()}:{os.getpid()}", now_ms - quiet)  # this process lives

    assert orphans.end_orphaned_runs(project.experiment_id) == 1

    assert client.get_run(gone).info.status == "KILLED"
    assert client.get_run(alive).info.status == "RUNNING"
    assert client.get_run(here).info.status == "RUNNING"
    assert [lost.run_id for lost in orphans.lost_searches(project.experiment_id)] == [gone]  # offered to restart


def test_a_search_beats_while_it_runs_and_reads_a_stop_asked_elsewhere(iris_project, monkeypatch):
    project, record = iris_project
    monkeypatch.setattr(tuning, "HEARTBEAT_S", 0.2)
    monkeypatch.setattr(tuning, "STOP_POLL_S", 0.05)
    beats: list[str] = []

    def on_trial(trial, progress) -> None:
        run_id = MlflowClient().get_run(trial.run_id).data.tags[tuning.TAG_PARENT]
        beats.append(MlflowClient().get_run(run_id).data.tags[tuning.TAG_HEARTBEAT])
        if progress.done == 3:
            tuning.request_stop(run_id, "someone elsewhere")
            time.sleep(0.5)

    space = default_space("decision_tree")
    config = tuning.SearchConfig("decision_tree", "random", space, max_trials=200, cv_folds=3, workers=1)
    result = tuning.run_search(project.experiment_id, record, config, on_trial=on_trial)

    assert result.status == "stopped" and 3 <= len(result.trials) < 200 and result.model_uri
    assert len(set(beats)) > 1  # renewed while the search ran
    tags = MlflowClient().get_run(result.run_id).data.tags
    assert tags[tuning.TAG_STOP_REQUESTED].startswith("someone elsewhere at ")
