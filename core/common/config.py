"""Where the MLflow store lives: the embedded SQLite default or a team server from the environment."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from core.common.i18n import tr

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR_ENV = "QUA3CK_DATA_DIR"
BATCH_ROOTS_ENV = "QUA3CK_BATCH_ROOTS"  # folders the Predict page may read batches from and write predictions to


@dataclass(frozen=True)
class StoreConfig:
    """The tracking and registry URIs the workbench talks to."""

    tracking_uri: str
    registry_uri: str
    embedded: bool
    data_dir: Path | None = None

    @property
    def artifact_location(self) -> str | None:
        """Artifact root for new experiments: explicit for the embedded store, server-chosen otherwise."""
        if self.embedded and self.data_dir is not None:
            return (self.data_dir / "artifacts").as_uri()
        return None

    @property
    def description(self) -> str:
        """One line for people: which store is in use."""
        if self.embedded:
            return tr("config.store_embedded", path=self.data_dir)
        if self.registry_uri != self.tracking_uri:
            return tr("config.store_split", tracking=_redact(self.tracking_uri), registry=_redact(self.registry_uri))
        return tr("config.store_server", uri=_redact(self.tracking_uri))


# Query parameters whose values are credentials (e.g. ?password=…, ?token=…, ?sig=… of a signed URL)
SECRET_PARAMS = re.compile(r"pass|pwd|secret|token|key|sig|credential|auth", re.IGNORECASE)


def looks_like_login(user: str) -> bool:
    """Whether the user part of a URI reads like a login name rather than a token."""
    return re.fullmatch(r"[\w.-]{1,32}", user) is not None


def _redact(uri: str) -> str:
    """A URI fit to show: the password (postgresql://user:secret@host/db) and secret query values as ***."""
    try:
        parts = urlsplit(uri)
    except ValueError:  # not a URI at all (e.g. a malformed IPv6 host): show nothing of it
        return "(unreadable URI)"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        # user:password@ hides the password; a lone user@ may be a token (https://<token>@host), so it goes too
        # unless it reads like an ordinary login name
        shown = f"{user}:***" if ":" in userinfo else (user if looks_like_login(user) else "***")
        netloc = f"{shown}@{host}"
    query = "&".join(
        f"{name}=***" if SECRET_PARAMS.search(name) else (f"{name}={value}" if sep else name)
        for name, sep, value in (pair.partition("=") for pair in parts.query.split("&") if pair)
    )
    if (netloc, query) == (parts.netloc, parts.query):
        return uri  # nothing secret; urlunsplit would also turn sqlite:////abs/path into sqlite://abs/path
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def local_folder(environ: dict[str, str] | None = None) -> Path:
    """This machine's workbench folder: the embedded store, and local state such as runs still to be ended."""
    env = os.environ if environ is None else environ
    return Path(env.get(DATA_DIR_ENV) or PROJECT_ROOT / "data").resolve()


def batch_roots(environ: dict[str, str] | None = None) -> list[Path]:
    """The folders whose files the Predict page may predict and write (``QUA3CK_BATCH_ROOTS``, separated like
    PATH); empty when none are set."""
    env = os.environ if environ is None else environ
    return [Path(p).expanduser().resolve() for p in env.get(BATCH_ROOTS_ENV, "").split(os.pathsep) if p.strip()]


def resolve_store(environ: dict[str, str] | None = None) -> StoreConfig:
    """Read the store from the environment; the embedded SQLite store when nothing is set."""
    env = os.environ if environ is None else environ
    folder = local_folder(env)
    embedded_uri = f"sqlite:///{folder / 'mlflow.db'}"
    # mlflow.set_tracking_uri/set_registry_uri export their URI to the environment: what we exported
    # for an embedded store is not a person's configuration
    tracking = _configured(env.get("MLFLOW_TRACKING_URI", ""))
    registry = _configured(env.get("MLFLOW_REGISTRY_URI", ""))
    if tracking and tracking != embedded_uri:
        return StoreConfig(tracking_uri=tracking, registry_uri=registry or tracking, embedded=False)
    return StoreConfig(tracking_uri=embedded_uri, registry_uri=registry or embedded_uri, embedded=True, data_dir=folder)


_active: StoreConfig | None = None
_exported: set[str] = set()  # embedded URIs this process handed to mlflow


def _configured(value: str) -> str:
    value = value.strip()
    return "" if value in _exported else value


def activate_store(config: StoreConfig | None = None) -> StoreConfig:
    """Create the embedded folder if needed and point MLflow at the store; idempotent."""
    global _active
    config = config or resolve_store()
    if _active == config:
        return config
    import mlflow

    if config.embedded and config.data_dir is not None:
        (config.data_dir / "artifacts").mkdir(parents=True, exist_ok=True)
        write_ahead_log(config.data_dir / "mlflow.db")
    if config.embedded:
        _exported.add(config.tracking_uri)
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)
    _active = config
    return config


def write_ahead_log(database: Path) -> str:
    """Switch an SQLite store to write-ahead logging (kept in the file; creates an empty one) and return the journal
    mode it has. In SQLite's default mode a writer blocks every reader: with searches logging trials from their
    worker processes, a click's first read of the store waited behind their commits in the busy handler's sleeps.
    With WAL, readers never wait for a writer. Where the file system cannot do it (no shared memory), the store
    keeps its mode."""
    try:
        with contextlib.closing(sqlite3.connect(database, timeout=20)) as db:
            return str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0])
    except sqlite3.Error:
        return "unchanged"


PROBE_TIMEOUT_S = 3.0


def unreachable(config: StoreConfig, timeout: float = PROBE_TIMEOUT_S) -> str | None:
    """Why a tracking server does not answer right now, in one sentence; None when it answers (or is embedded).

    A quick ``GET <uri>/health``: MLflow's own client retries a dead server for minutes before it gives up, so the
    pages ask this first and say what is wrong at once."""
    if config.embedded or urlsplit(config.tracking_uri).scheme not in ("http", "https"):
        return None  # a file or a database URI: its errors come from the call itself, quickly
    where = _redact(config.tracking_uri)
    parts = urlsplit(config.tracking_uri)
    # /health needs no sign-in, and urllib would take "user:password@host" for a host name
    url = urlunsplit(parts._replace(netloc=parts.netloc.rsplit("@", 1)[-1], query="")).rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=timeout):
            return None
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403, 404):
            return None  # it answers: sign-in or a proxy without /health, the calls themselves will tell
        return tr("config.answers_http", where=where, code=exc.code, reason=exc.reason)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return tr("config.not_reachable", where=where, reason=reason)


def active_store() -> StoreConfig:
    """The store in use, activating the configured one on first call."""
    return _active or activate_store()
