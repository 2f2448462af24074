"""K phase: register run models as versions and read models, versions and aliases in the MLflow Model Registry.

Aliases move only through core.registry.governance (gate and audit); nothing here moves or deletes one."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from core.common.config import active_store
from core.common.errors import WorkbenchError
from core.common.i18n import tr
from core.compare.evidence import conclusion_text
from core.train.training import TAG_MODEL_URI

STANDARD_ALIASES = ("challenger", "champion", "production")
_ALIAS_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_NAME_PATTERN = re.compile(r"^[^/:%#?]{1,255}$")  # "#" and "?" would cut a models:/ URI short


class RegistryError(WorkbenchError):
    """A registry action that cannot be done, with a message for people."""


@dataclass(frozen=True)
class VersionInfo:
    """One model version and what points at it."""

    name: str
    version: str
    run_id: str | None
    aliases: list[str]
    created: int
    source: str
    description: str = ""


@dataclass(frozen=True)
class ModelSummary:
    """A registered model and its aliases (alias -> version)."""

    name: str
    aliases: dict[str, str] = field(default_factory=dict)
    latest_version: str | None = None
    description: str = ""


def _client():
    from mlflow import MlflowClient

    active_store()
    return MlflowClient()


def validate_alias(alias: str) -> str:
    """Return the alias stripped, or raise RegistryError saying why it is not allowed."""
    alias = (alias or "").strip()
    if not alias:
        raise RegistryError(tr("registry.err_alias_empty"))
    if not _ALIAS_PATTERN.match(alias):
        raise RegistryError(tr("registry.err_alias_chars", alias=alias))
    if alias.lower() == "latest" or re.fullmatch(r"v\d+", alias.lower()):
        raise RegistryError(tr("registry.err_alias_reserved", alias=alias))
    return alias


def validate_model_name(name: str) -> str:
    """Return the model name stripped, or raise RegistryError."""
    name = (name or "").strip()
    if not name or not _NAME_PATTERN.match(name):
        raise RegistryError(tr("registry.err_model_name"))
    if name == "." or name.startswith(".."):  # MLflow treats names as paths and refuses these with its own words
        raise RegistryError(tr("registry.err_model_name_path", name=name))
    return name


def run_model_uri(run_id: str) -> str:
    """The URI of the model a run logged, or RegistryError when it has none."""
    from mlflow.exceptions import MlflowException

    client = _client()
    try:
        run = client.get_run(run_id)
    except MlflowException:
        raise RegistryError(tr("registry.err_no_run", run=run_id)) from None
    uri = run.data.tags.get(TAG_MODEL_URI)
    if uri:
        return uri
    models = client.search_logged_models(
        experiment_ids=[run.info.experiment_id],
        filter_string=f"source_run_id = '{run_id}'",
        max_results=2,
    )
    if not models:
        raise RegistryError(tr("registry.err_no_model", run=run_id))
    return models[0].model_uri


def parse_tags(text: str) -> dict[str, str]:
    """Version tags from 'key=value' lines (blank lines ignored), or RegistryError naming the bad line."""
    tags = {}
    for number, line in enumerate((text or "").splitlines(), start=1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise RegistryError(tr("registry.err_tag_line", number=number, line=line.strip()))
        if key.strip().startswith(("mlflow.", "qua3ck.")):
            raise RegistryError(tr("registry.err_tag_prefix", key=key.strip()))
        tags[key.strip()] = value.strip()
    return tags


def register(run_id: str, model_name: str, description: str = "", tags: dict[str, str] | None = None) -> VersionInfo:
    """Register the model of a run as a new version of ``model_name`` (created if new), with description and tags."""
    from mlflow.exceptions import MlflowException

    model_name = validate_model_name(model_name)
    uri = run_model_uri(run_id)
    client = _client()
    try:
        client.get_registered_model(model_name)
    except MlflowException:
        client.create_registered_model(model_name)
    # a tracking server refuses a models:/<model_id> source unless model_id names it too (SQLite never checks)
    logged_id = uri.removeprefix("models:/")
    try:
        version = client.create_model_version(
            model_name,
            uri,
            run_id=run_id,
            description=description or None,
            tags=tags or None,
            model_id=logged_id if uri.startswith("models:/m-") and "/" not in logged_id else None,
        )
    except MlflowException as exc:
        raise RegistryError(tr("registry.err_register_failed", run=run_id, error=exc.message)) from None
    return get_version(model_name, version.version)


def list_models() -> list[ModelSummary]:
    """Every registered model with its aliases, by name."""
    client = _client()
    summaries = []
    for model in client.search_registered_models(max_results=1000, order_by=["name ASC"]):
        latest = max((int(v.version) for v in model.latest_versions or []), default=None)
        summaries.append(
            ModelSummary(
                model.name,
                {a: str(v) for a, v in (model.aliases or {}).items()},
                str(latest) if latest else None,
                model.description or "",
            )
        )
    return summaries


def project_models(experiment_id: str) -> list[ModelSummary]:
    """The registered models built from a project's runs: at least one version's run is in the experiment,
    whoever registered it. The model with the newest such version comes first.

    Three store calls whatever the numbers of models and versions: every version, then which of their runs are
    in the experiment, then the models' aliases."""
    client = _client()
    versions = [v for v in client.search_model_versions(max_results=10_000) if v.run_id]
    run_ids = sorted({v.run_id for v in versions})
    own: set[str] = set()
    for start in range(0, len(run_ids), 100):  # keep each filter string short enough for any store
        chunk = ", ".join(f"'{r}'" for r in run_ids[start : start + 100])
        runs = client.search_runs([experiment_id], filter_string=f"attributes.run_id IN ({chunk})", max_results=1000)
        own.update(r.info.run_id for r in runs)
    newest: dict[str, int] = {}
    for v in versions:
        if v.run_id in own:
            newest[v.name] = max(newest.get(v.name, 0), int(v.creation_timestamp or 0))
    if not newest:
        return []
    summaries = {m.name: m for m in list_models() if m.name in newest}
    return [summaries[name] for name in sorted(summaries, key=lambda n: (-newest[n], n))]


def experiment_of_model(name: str) -> str | None:
    """The experiment (project) of a model's newest version with a source run that still exists, or None."""
    from mlflow.exceptions import MlflowException

    client = _client()
    for version in list_versions(name):
        if version.run_id:
            try:
                return client.get_run(version.run_id).info.experiment_id
            except MlflowException:
                continue
    return None


def get_model(name: str) -> ModelSummary:
    """One registered model with its aliases (read from the model, which is reliable across releases)."""
    from mlflow.exceptions import MlflowException

    try:
        model = _client().get_registered_model(name)
    except MlflowException:
        raise RegistryError(tr("registry.err_no_model_named", name=name)) from None
    return ModelSummary(
        model.name, {a: str(v) for a, v in (model.aliases or {}).items()}, None, model.description or ""
    )


def list_versions(name: str) -> list[VersionInfo]:
    """All versions of a model, newest first, each with the aliases that point at it."""
    client = _client()
    aliases = get_model(name).aliases
    by_version: dict[str, list[str]] = {}
    for alias, version in aliases.items():
        by_version.setdefault(str(version), []).append(alias)
    versions = client.search_model_versions(f"name = '{_quote(name)}'", max_results=1000)
    infos = [
        VersionInfo(
            name,
            str(v.version),
            v.run_id,
            sorted(by_version.get(str(v.version), [])),
            v.creation_timestamp,
            v.source,
            v.description or "",
        )
        for v in versions
    ]
    return sorted(infos, key=lambda v: int(v.version), reverse=True)


def get_version(name: str, version: str) -> VersionInfo:
    """One version of a model."""
    for info in list_versions(name):
        if str(info.version) == str(version):
            return info
    raise RegistryError(tr("registry.err_no_version", name=name, version=version))


def version_tags(name: str, version: str) -> dict[str, str]:
    """The tags of one model version."""
    from mlflow.exceptions import MlflowException

    try:
        return dict(_client().get_model_version(name, str(version)).tags or {})
    except MlflowException:
        raise RegistryError(tr("registry.err_no_version", name=name, version=version)) from None


def resolve_alias(name: str, alias: str) -> VersionInfo:
    """The version an alias points at, or RegistryError naming the aliases that exist.

    One registry call (the Predict page asks on every click, so that a moved alias answers at once): before,
    reading the model and then all its versions cost three, and a click's time grew with the versions."""
    from mlflow.exceptions import MlflowException

    if alias.lower() == "latest":  # MLflow reads "latest" as the newest version; here it is only an alias name
        return _resolve_by_listing(name, alias)
    try:
        version = _client().get_model_version_by_alias(name, alias)
    except MlflowException:
        return _resolve_by_listing(name, alias)  # says whether the model or the alias is missing
    return VersionInfo(
        name,
        str(version.version),
        version.run_id,
        sorted(version.aliases or []),
        version.creation_timestamp,
        version.source,
        version.description or "",
    )


def _resolve_by_listing(name: str, alias: str) -> VersionInfo:
    model = get_model(name)
    if alias not in model.aliases:
        known = ", ".join(sorted(model.aliases)) or tr("registry.none")
        raise RegistryError(tr("registry.err_no_alias_known", name=name, alias=alias, known=known))
    return get_version(name, model.aliases[alias])


def _quote(name: str) -> str:
    return name.replace("'", "\\'")


def versions_table(name: str) -> list[dict]:
    """Rows for the versions table: version, aliases, source run, test accuracy, KPI verdict, conclusion."""
    from mlflow.exceptions import MlflowException

    client = _client()
    rows = []
    for info in list_versions(name):
        metrics, tags = {}, {}
        if info.run_id:
            try:
                run = client.get_run(info.run_id)
                metrics, tags = run.data.metrics, run.data.tags
            except MlflowException:
                pass
        rows.append(
            {
                "version": info.version,
                "aliases": ", ".join(f"@{a}" for a in info.aliases),
                "run": info.run_id or "",
                "algorithm": tags.get("qua3ck.algorithm", "") or (tr("registry.other_code") if info.run_id else ""),
                "data_digest": tags.get("qua3ck.data_digest", "")[:8],
                "test_accuracy": metrics.get("test_accuracy"),
                "test_f1_macro": metrics.get("test_f1_macro"),
                "latency_p95_ms": metrics.get("test_latency_ms"),
                "verdict": tags.get("qua3ck.kpi_verdict", "not evaluated"),
                "conclusion": conclusion_text(tags),
                "created": info.created,
                "description": info.description,
            }
        )
    return rows


def suggested_model_name(project_name: str) -> str:
    """A registry name derived from a project name: 'Iris Classification Experiment' -> 'iris-classifier'."""
    words = re.findall(r"[a-z0-9]+", project_name.lower())
    words = [w for w in words if w not in {"experiment", "project"}]
    if words and words[-1] == "classification":
        words[-1] = "classifier"
    return "-".join(words) or "model"
