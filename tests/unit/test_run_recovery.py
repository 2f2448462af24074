"""Runs that cannot be ended while the store is down are remembered and ended FAILED once it answers."""

from __future__ import annotations

import json

import pytest
from mlflow import MlflowClient

from core.common import run_recovery
from core.train import tuning
from core.train.tuning import SearchConfig, run_search
from tests.unit.test_tuning import SMALL_FOREST


def _open_run(experiment_id: str) -> str:
    return MlflowClient().create_run(experiment_id).info.run_id


def _status(run_id: str) -> str:
    return MlflowClient().get_run(run_id).info.status


@pytest.fixture
def store_down(monkeypatch):
    """The store's health probe says it is down (SQLite stays usable, so the test can look)."""
    state = {"down": True}
    monkeypatch.setattr(
        run_recovery, "unreachable", lambda store: "The tracking server is not reachable." if state["down"] else None
    )
    monkeypatch.setattr(run_recovery, "_start_retrier", lambda: None)  # the test ends them itself
    return state


def test_runs_are_ended_at_once_when_the_store_answers(iris_project):
    project, _ = iris_project
    run_id = _open_run(project.experiment_id)
    assert run_recovery.end_runs([run_id, None], "FAILED", "search ended: test") == []
    run = MlflowClient().get_run(run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags[run_recovery.TAG_ENDED_BY] == "search ended: test"
    assert run_recovery.remembered() == []


def test_runs_are_remembered_while_the_store_is_down_and_ended_when_it_is_back(iris_project, store_down):
    project, _ = iris_project
    first, second = _open_run(project.experiment_id), _open_run(project.experiment_id)
    assert run_recovery.end_runs([first, second], "FAILED", "search ended: store down") == [first, second]
    assert run_recovery.end_runs([first], "FAILED", "again") == [first]  # remembered once
    assert sorted(run_recovery.remembered()) == sorted([first, second])
    assert {_status(first), _status(second)} == {"RUNNING"}
    assert run_recovery.end_remembered() == 0  # still down: nothing happens, nothing is lost
    assert len(run_recovery.remembered()) == 2

    store_down["down"] = False
    assert run_recovery.end_remembered() == 2
    assert {_status(first), _status(second)} == {"FAILED"}
    assert run_recovery.remembered() == []
    assert run_recovery.end_remembered() == 0


def test_the_journal_keeps_other_stores_and_holds_no_uri(iris_project, store_down):
    project, _ = iris_project
    run_id = _open_run(project.experiment_id)
    path = run_recovery.journal_path()
    path.write_text(json.dumps({"store": "another-store", "run_id": "abc", "status": "FAILED", "reason": "x"}) + "\n")
    run_recovery.end_runs([run_id], "FAILED", "down")
    store_down["down"] = False
    assert run_recovery.end_remembered() == 1
    assert [json.loads(line)["run_id"] for line in path.read_text().splitlines()] == ["abc"]
    assert "sqlite" not in path.read_text()


def test_a_run_deleted_meanwhile_or_already_ended_is_dropped(iris_project, store_down):
    project, _ = iris_project
    deleted, finished = _open_run(project.experiment_id), _open_run(project.experiment_id)
    run_recovery.end_runs([deleted, finished], "FAILED", "down")
    client = MlflowClient()
    client.delete_run(deleted)
    client.set_terminated(finished, "FINISHED")
    store_down["down"] = False
    assert run_recovery.end_remembered() == 2
    assert _status(finished) == "FINISHED"  # what really happened is kept
    assert run_recovery.remembered() == []


def test_a_broken_journal_line_is_skipped(iris_project, store_down):
    project, _ = iris_project
    run_id = _open_run(project.experiment_id)
    run_recovery.journal_path().write_text("{not json\n")
    run_recovery.end_runs([run_id], "FAILED", "down")
    store_down["down"] = False
    assert run_recovery.end_remembered() == 1
    assert _status(run_id) == "FAILED"


def test_a_search_whose_store_stops_answering_leaves_no_run_running(iris_project, store_down, monkeypatch):
    """The store fails between creating a trial run and logging it: the parent and that trial end FAILED once
    the store is back, never RUNNING."""
    project, record = iris_project
    real_log_batch = MlflowClient.log_batch
    calls = []

    def failing_log_batch(self, run_id, *args, **kwargs):
        calls.append(run_id)
        if len(calls) > 1:
            raise ConnectionError("Connection refused")
        return real_log_batch(self, run_id, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, "log_batch", failing_log_batch)
    config = SearchConfig("random_forest", "random", SMALL_FOREST, max_trials=4, cv_folds=3, workers=1)
    result = run_search(project.experiment_id, record, config)
    monkeypatch.setattr(MlflowClient, "log_batch", real_log_batch)

    assert result.status == "store_error"
    assert "Connection refused" in result.error
    import mlflow

    assert mlflow.active_run() is None
    client = MlflowClient()
    running = client.search_runs([project.experiment_id], "attributes.status = 'RUNNING'")
    assert sorted(r.info.run_id for r in running) == sorted([result.run_id, calls[-1]])
    assert sorted(run_recovery.remembered()) == sorted([result.run_id, calls[-1]])

    store_down["down"] = False
    assert run_recovery.end_remembered() == 2
    assert client.search_runs([project.experiment_id], "attributes.status = 'RUNNING'") == []
    parent = client.get_run(result.run_id)
    assert parent.info.status == "FAILED"
    assert "Connection refused" in parent.data.tags[run_recovery.TAG_ENDED_BY]
    assert client.get_run(calls[-1]).info.status == "FAILED"


def test_tuning_ends_through_the_journal():
    assert tuning._end_unfinished.__doc__ and "remembered" in tuning._end_unfinished.__doc__
