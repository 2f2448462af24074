"""Team mode: a real ``mlflow server`` on PostgreSQL with a proxied artifact store, shared by the session.

``scripts/test.sh`` starts the server with ``scripts/team-server.sh`` and exports ``QUA3CK_TEAM_URI`` (and
``QUA3CK_TEAM_DIR``, the server's folder); without them this conftest starts its own into a temporary folder
and stops it at the end. ``QUA3CK_SKIP_TEAM=1`` skips these tests; otherwise a server that does not start is
a failure. The server is shared, so every test works in a namespace of its own (project and model names).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "team-server.sh"
START_TIMEOUT_S = 600  # installing Debian's postgresql on a fresh machine, then the first migration


@dataclass(frozen=True)
class TeamServer:
    uri: str
    folder: Path | None  # the server's folder (artifacts under folder/"artifacts"), when known


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, chars: int = 3000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else f"({path} does not exist)"


@pytest.fixture(scope="session")
def team_server() -> TeamServer:
    """The session's team server: the one scripts/test.sh started, or one of our own."""
    if os.environ.get("QUA3CK_SKIP_TEAM") == "1":
        pytest.skip("QUA3CK_SKIP_TEAM=1: the team-mode tests (PostgreSQL + mlflow server) are switched off")
    uri = os.environ.get("QUA3CK_TEAM_URI", "").strip()
    if uri:
        folder = os.environ.get("QUA3CK_TEAM_DIR", "").strip()
        yield TeamServer(uri.rstrip("/"), Path(folder) if folder else None)
        return
    # not under pytest's tmp_path: that is private to its owner, and a root run hands the cluster to `postgres`
    folder = Path(tempfile.mkdtemp(prefix="qua3ck-team-"))
    command = ["bash", str(SCRIPT), "start", "--port", str(_free_port()), "--dir", str(folder)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    try:
        started = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S)
        if started.returncode != 0:
            pytest.fail(
                f"scripts/team-server.sh start failed (exit {started.returncode}): {started.stderr.strip()}\n"
                f"--- mlflow.log ---\n{_tail(folder / 'mlflow.log')}",
                pytrace=False,
            )
        yield TeamServer((folder / "tracking_uri").read_text().strip(), folder)
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", "--dir", str(folder)], cwd=ROOT, capture_output=True, timeout=120)
        cluster = folder / "postgres"  # a root run keeps the cluster in a folder of `postgres`, linked from here
        if cluster.is_symlink():
            shutil.rmtree(cluster.resolve(), ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class Namespace:
    """Names no other test (nor an earlier session on the same server) uses."""

    server: TeamServer
    tag: str

    @property
    def project(self) -> str:
        return f"Team {self.tag}"

    @property
    def model(self) -> str:
        return f"team-{self.tag}"


@pytest.fixture
def team(team_server, tmp_path, monkeypatch) -> Namespace:
    """The workbench pointed at the team server (as a person would: MLFLOW_TRACKING_URI), caches cleared."""
    import mlflow
    import streamlit as st

    from core.common import config

    monkeypatch.setenv("MLFLOW_TRACKING_URI", team_server.uri)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    # an embedded store must never be created: point its folder at a place that must stay empty
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "must-not-be-used"))
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    config._active = None
    store = config.activate_store()
    assert not store.embedded and store.tracking_uri == team_server.uri
    st.cache_data.clear()
    st.cache_resource.clear()
    yield Namespace(team_server, uuid.uuid4().hex[:10])
    while mlflow.active_run():
        mlflow.end_run()
    st.cache_data.clear()
    st.cache_resource.clear()
    config._active = None  # the next test activates its own store
    assert not (tmp_path / "must-not-be-used").exists(), "team mode created an embedded store"
