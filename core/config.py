"""Where the MLflow store lives: the embedded SQLite default or a team server from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "QUA3CK_DATA_DIR"


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
            return f"Embedded SQLite store in {self.data_dir}"
        if self.registry_uri != self.tracking_uri:
            return f"Tracking {_redact(self.tracking_uri)}, registry {_redact(self.registry_uri)}"
        return f"MLflow store {_redact(self.tracking_uri)}"


def _redact(uri: str) -> str:
    """Hide a password in a URI such as postgresql://user:secret@host/db."""
    if "@" in uri and "://" in uri:
        scheme, rest = uri.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        if ":" in creds:
            return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}"
    return uri


def resolve_store(environ: dict[str, str] | None = None) -> StoreConfig:
    """Read the store from the environment; the embedded SQLite store when nothing is set."""
    env = os.environ if environ is None else environ
    folder = Path(env.get(DATA_DIR_ENV) or PROJECT_ROOT / "data").resolve()
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
    if config.embedded:
        _exported.add(config.tracking_uri)
    mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_registry_uri(config.registry_uri)
    _active = config
    return config


def active_store() -> StoreConfig:
    """The store in use, activating the configured one on first call."""
    return _active or activate_store()
