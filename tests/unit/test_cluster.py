"""core.train.cluster without a cluster: which scheduler is configured, which store it can log into, what a
version mismatch says, and where a trial ran. (A real scheduler and workers: tests/team/test_dask_cluster.py.)"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from core.common.config import StoreConfig
from core.train import cluster
from core.train.tuning import Trial, trials_frame

EMBEDDED = StoreConfig("sqlite:///x/mlflow.db", "sqlite:///x/mlflow.db", embedded=True, data_dir=Path("x"))
TEAM = StoreConfig("http://mlflow:5000", "http://mlflow:5000", embedded=False)


@pytest.mark.parametrize("value, expected", [("", None), ("  ", None), (" tcp://h:8786 ", "tcp://h:8786")])
def test_the_scheduler_comes_from_the_environment(value, expected):
    assert cluster.scheduler_address({cluster.SCHEDULER_ENV: value}) == expected
    assert cluster.scheduler_address({}) is None


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "tcp://localhost:8786", "127.0.0.1:8786"])
def test_the_embedded_store_takes_a_cluster_on_this_machine(address):
    cluster.check_store(address, EMBEDDED)  # workers on this machine reach its files


def test_the_embedded_store_refuses_a_cluster_elsewhere_and_a_team_server_takes_any():
    with pytest.raises(cluster.ClusterError, match="cannot log into the embedded store"):
        cluster.check_store("tcp://10.0.0.7:8786", EMBEDDED)
    cluster.check_store("tcp://10.0.0.7:8786", TEAM)


def test_a_mismatch_names_the_package_the_worker_and_both_versions():
    ours = {"python": "3.11.7", "scikit-learn": "1.9.1", "skops": "0.13.0"}
    workers = [
        cluster.WorkerVersions("tcp://a:1", dict(ours)),
        cluster.WorkerVersions("tcp://b:2", {"python": "3.11.7", "scikit-learn": "1.8.0"}),
    ]
    assert cluster.mismatches(ours, workers) == [
        "scikit-learn 1.8.0 on tcp://b:2 (here 1.9.1)",
        "skops not installed on tcp://b:2 (here 0.13.0)",
    ]
    assert cluster.mismatches(ours, workers[:1]) == []


def test_a_scheduler_that_does_not_answer_is_one_clear_line():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(cluster.ClusterError, match=rf"tcp://127.0.0.1:{port} does not answer"):
        cluster.client(f"tcp://127.0.0.1:{port}")


def test_outside_a_dask_worker_a_trial_ran_at_host_and_pid():
    assert cluster.where() == f"{socket.gethostname()}:{os.getpid()}"


def _trial(number: int, worker: str) -> Trial:
    return Trial(number, {}, {}, {"cv_accuracy": 0.9}, "FINISHED", None, 0.1, f"run{number}", {}, worker)


def test_the_trials_table_names_the_worker_only_on_a_cluster():
    local = trials_frame([_trial(0, "host:12"), _trial(1, "host:13")], "accuracy")
    assert "worker" not in local.columns  # a local pool's pid says nothing to a person
    remote = trials_frame([_trial(0, "tcp://10.0.0.7:40111"), _trial(1, "tcp://10.0.0.8:40222")], "accuracy")
    assert list(remote["worker"]) == ["tcp://10.0.0.7:40111", "tcp://10.0.0.8:40222"]
