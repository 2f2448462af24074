"""Fault drill: the disk fills while a model is logged. The file-size limit makes every write past it fail as a
full disk does (EFBIG instead of ENOSPC), in a real CLI process on a real store."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from mlflow import MlflowClient

from core.question import projects

ROOT = Path(__file__).resolve().parents[2]


def _train(data_dir: Path, limit: int | None = None) -> subprocess.CompletedProcess:
    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails instead of killing the process
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    command = [sys.executable, "-m", "core", "train", "--experiment", "full-disk", "--data", "iris"]
    command += ["--algorithm", "random_forest"]
    env = {**os.environ, "QUA3CK_DATA_DIR": str(data_dir), "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, preexec_fn=limited if limit else None
    )


def test_a_full_disk_while_logging_a_model_is_named_and_leaves_no_run_running(store):
    first = _train(store)  # the data run and one model: the store as it is before the disk fills
    assert first.returncode == 0, first.stderr
    limit = (store / "mlflow.db").stat().st_size + 150_000  # room for the run's rows, not for a forest's file
    full = _train(store, limit)
    lines = full.stderr.strip().splitlines()
    assert full.returncode == 2 and len(lines) == 1, full.stderr
    assert "The store could not write: OSError: [Errno 27] File too large" in lines[0]
    assert "skops does not support" not in lines[0]  # MLflow's words for it point at the model's code
    client = MlflowClient()
    runs = client.search_runs([projects.find_project("full-disk").experiment_id])
    assert not [r for r in runs if r.info.status == "RUNNING"]
    assert sorted(r.info.status for r in runs if r.data.tags.get("qua3ck.kind") == "train") == ["FAILED", "FINISHED"]
    assert client.search_registered_models() == []
