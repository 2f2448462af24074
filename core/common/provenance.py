"""Reproducibility record: which workbench commit and which package versions produced a run."""

from __future__ import annotations

import functools
import os
import platform
import socket
import subprocess
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("scikit-learn", "mlflow", "pandas", "numpy", "optuna", "skops", "streamlit")
TAG_COMMIT = "qua3ck.git_commit"
TAG_VERSIONS = "qua3ck.versions"
TAG_OWNER = "qua3ck.owner"  # host:pid of the process that runs the run; finds runs orphaned by a killed server
MLFLOW_COMMIT_TAG = "mlflow.source.git.commit"  # shown by `mlflow ui` next to the run


@functools.cache
def workbench_commit() -> str:
    """The git commit of this checkout (with '-dirty' for uncommitted changes), or 'unknown' outside git."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{commit}-dirty" if dirty else commit


@functools.cache
def package_versions() -> dict[str, str]:
    """Versions of the packages a model depends on, plus Python's."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def provenance_tags() -> dict[str, str]:
    """Tags every workbench run carries: commit, package versions and the owning process."""
    commit = workbench_commit()
    return {
        TAG_COMMIT: commit,
        MLFLOW_COMMIT_TAG: commit.removesuffix("-dirty"),
        TAG_VERSIONS: " ".join(f"{k}={v}" for k, v in package_versions().items()),
        TAG_OWNER: owner(),
    }


def owner_is_gone(value: str | None) -> bool:
    """True when a run's owning process is known to be dead: same host, and no process with that pid."""
    if not value or ":" not in value:
        return False
    host, _, pid = value.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
