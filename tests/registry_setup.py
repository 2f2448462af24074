"""Arranging registry state in tests the way other code does: aliases moved with plain MLflow calls.

The workbench itself moves aliases only through core.registry.governance (gate, audit); these helpers stand for a
model some other program registered and promoted, and set the scene for the tests that read it."""

from __future__ import annotations

from core.common.i18n import tr
from core.registry.model_registry import (
    RegistryError,
    VersionInfo,
    _client,
    get_model,
    get_version,
    register,
    run_model_uri,
    validate_alias,
    validate_model_name,
)


def set_alias(name: str, alias: str, version: str) -> VersionInfo:
    """Point ``alias`` at ``version`` (moving it if another version holds it)."""
    alias = validate_alias(alias)
    get_version(name, version)  # refuses unknown versions before anything changes
    _client().set_registered_model_alias(name, alias, str(version))
    return get_version(name, version)


def delete_alias(name: str, alias: str) -> None:
    """Remove an alias from a model."""
    if alias not in get_model(name).aliases:
        raise RegistryError(tr("registry.err_no_alias", name=name, alias=alias))
    _client().delete_registered_model_alias(name, alias)


def promote(model_name: str, alias: str, run_id: str | None = None, version: str | None = None) -> VersionInfo:
    """Point an alias at a version, registering the run's model first when a run is given."""
    if (run_id is None) == (version is None):
        raise RegistryError(tr("registry.err_run_or_version"))
    alias = validate_alias(alias)
    model_name = validate_model_name(model_name)
    if run_id is not None:
        run_model_uri(run_id)  # no model, no registration
        version = register(run_id, model_name).version
    else:
        get_model(model_name)
    return set_alias(model_name, alias, str(version))
