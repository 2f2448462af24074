"""core.common.config: where the store lives, which environment wins, and what people are shown."""

from __future__ import annotations

import contextlib
import http.server
import socket
import threading
import time
from pathlib import Path

import pytest

from core.common import config


def test_empty_environment_gives_embedded_sqlite_under_data_dir(tmp_path):
    folder = tmp_path / "somewhere"
    store = config.resolve_store({config.DATA_DIR_ENV: str(folder)})
    assert store.embedded is True
    assert store.data_dir == folder.resolve()
    assert store.tracking_uri == f"sqlite:///{folder.resolve() / 'mlflow.db'}"
    assert store.registry_uri == store.tracking_uri
    assert store.artifact_location == (folder.resolve() / "artifacts").as_uri()
    assert str(folder.resolve()) in store.description
    assert not folder.exists(), "resolving must not create the folder"


def test_no_data_dir_defaults_to_project_data_folder():
    store = config.resolve_store({})
    assert store.embedded
    assert store.data_dir == (config.PROJECT_ROOT / "data").resolve()
    assert store.tracking_uri.endswith("/data/mlflow.db")


@pytest.mark.parametrize("blank", ["", "   "])
def test_blank_tracking_uri_is_ignored(tmp_path, blank):
    store = config.resolve_store({config.DATA_DIR_ENV: str(tmp_path), "MLFLOW_TRACKING_URI": blank})
    assert store.embedded
    assert store.tracking_uri.startswith("sqlite:///")


def test_tracking_uri_overrides_embedded_store(tmp_path):
    env = {config.DATA_DIR_ENV: str(tmp_path), "MLFLOW_TRACKING_URI": "http://mlflow.example:5000"}
    store = config.resolve_store(env)
    assert store.embedded is False
    assert store.tracking_uri == "http://mlflow.example:5000"
    assert store.registry_uri == "http://mlflow.example:5000"
    assert store.data_dir is None
    assert store.artifact_location is None
    assert store.description == "MLflow store http://mlflow.example:5000"


def test_registry_uri_overrides_separately(tmp_path):
    env = {
        config.DATA_DIR_ENV: str(tmp_path),
        "MLFLOW_TRACKING_URI": "http://tracking:5000",
        "MLFLOW_REGISTRY_URI": "http://registry:5001",
    }
    store = config.resolve_store(env)
    assert (store.tracking_uri, store.registry_uri) == ("http://tracking:5000", "http://registry:5001")
    assert store.description == "Tracking http://tracking:5000, registry http://registry:5001"


def test_registry_uri_alone_keeps_embedded_tracking(tmp_path):
    store = config.resolve_store({config.DATA_DIR_ENV: str(tmp_path), "MLFLOW_REGISTRY_URI": "http://registry:5001"})
    assert store.embedded
    assert store.tracking_uri.startswith("sqlite:///")
    assert store.registry_uri == "http://registry:5001"


def test_explicit_embedded_uri_counts_as_embedded(tmp_path):
    uri = f"sqlite:///{tmp_path.resolve() / 'mlflow.db'}"
    store = config.resolve_store({config.DATA_DIR_ENV: str(tmp_path), "MLFLOW_TRACKING_URI": uri})
    assert store.embedded
    assert store.tracking_uri == uri


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("postgresql://alice:s3cret@db.example/mlflow", "postgresql://alice:***@db.example/mlflow"),
        ("mysql+pymysql://bob:p@ss@db:3306/ml", "mysql+pymysql://bob:***@db:3306/ml"),
        ("http://mlflow.example:5000", "http://mlflow.example:5000"),
        ("postgresql://alice@db.example/mlflow", "postgresql://alice@db.example/mlflow"),
    ],
)
def test_password_is_redacted_in_description(tmp_path, uri, shown):
    store = config.resolve_store({config.DATA_DIR_ENV: str(tmp_path), "MLFLOW_TRACKING_URI": uri})
    assert store.description == f"MLflow store {shown}"
    assert "s3cret" not in store.description
    assert "p@ss" not in store.description
    assert store.tracking_uri == uri  # only the description is redacted


def test_redaction_applies_to_registry_too(tmp_path):
    env = {
        config.DATA_DIR_ENV: str(tmp_path),
        "MLFLOW_TRACKING_URI": "http://tracking:5000",
        "MLFLOW_REGISTRY_URI": "postgresql://u:topsecret@reg/db",
    }
    description = config.resolve_store(env).description
    assert "topsecret" not in description
    assert "postgresql://u:***@reg/db" in description


def test_activate_store_creates_artifact_folder_and_sets_uris(store):
    import mlflow

    active = config.active_store()
    assert active.embedded
    assert Path(active.data_dir) == store.resolve()
    assert (store / "artifacts").is_dir()
    assert mlflow.get_tracking_uri() == active.tracking_uri
    assert mlflow.get_registry_uri() == active.registry_uri
    assert config.activate_store() == active  # idempotent


def test_the_embedded_store_writes_ahead_so_readers_never_wait_for_a_writer(store):
    """A search's worker holding a write transaction must not hold up a click's read of the store."""
    import sqlite3
    import threading

    from mlflow import MlflowClient

    database = store / "mlflow.db"
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file: every process sees it
    writer = sqlite3.connect(database, check_same_thread=False)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO experiments (name, lifecycle_stage) VALUES ('mid-write', 'active')")
    writer.execute("COMMIT")  # committed to the log, not yet checkpointed into the file
    writer.execute("BEGIN EXCLUSIVE")  # a writer at its busiest: in the default journal mode readers now wait
    done = threading.Event()
    names = []
    threading.Thread(
        target=lambda: (names.extend(e.name for e in MlflowClient().search_experiments()), done.set())
    ).start()
    try:
        assert done.wait(5), "the read waited for the writer"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert "mid-write" in names


def test_a_file_system_without_write_ahead_logging_keeps_the_store_usable(tmp_path, monkeypatch):
    import sqlite3

    def refuse(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite3, "connect", refuse)
    assert config.write_ahead_log(tmp_path / "mlflow.db") == "unchanged"


def test_exported_embedded_uri_is_not_mistaken_for_configuration(store, monkeypatch):
    """mlflow.set_tracking_uri exports its URI to the environment; that must not turn into a 'server'."""
    active = config.active_store()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", active.tracking_uri)
    again = config.resolve_store()
    assert again.embedded
    assert again.tracking_uri == active.tracking_uri


class _Health(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):  # noqa: N802 — the http.server API
        self.send_response(self.status if self.path == "/health" else 404)
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.fixture
def health_server():
    """A local HTTP server answering /health with _Health.status; yields (server, uri)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    _Health.status = 200


def _server_store(uri: str) -> config.StoreConfig:
    return config.StoreConfig(tracking_uri=uri, registry_uri=uri, embedded=False)


def test_a_server_that_answers_is_reachable(health_server):
    _, uri = health_server
    assert config.unreachable(_server_store(uri)) is None
    with_login = uri.replace("http://", "http://ana:s3cret@")  # urllib alone would read "ana" as the host
    assert config.unreachable(_server_store(with_login + "/?token=x")) is None


def test_a_server_that_fails_its_health_check_is_named(health_server):
    _, uri = health_server
    _Health.status = 503
    assert "answers with HTTP 503" in config.unreachable(_server_store(uri))


def test_a_stopped_server_is_reported_at_once_with_its_password_hidden():
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    started = time.monotonic()
    problem = config.unreachable(_server_store(f"http://ana:s3cret@127.0.0.1:{port}"), timeout=2)
    assert time.monotonic() - started < 5  # not MLflow's minutes of retries
    assert "is not reachable" in problem and "s3cret" not in problem and "ana:***@" in problem


def test_embedded_and_database_stores_are_not_probed(tmp_path):
    assert config.unreachable(config.resolve_store({config.DATA_DIR_ENV: str(tmp_path)})) is None
    assert config.unreachable(_server_store("postgresql://u:p@127.0.0.1:1/db")) is None
