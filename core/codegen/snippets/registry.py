"""The K page's code: register a run's model as a version, move an alias, load what an alias points at."""

from __future__ import annotations

from core.codegen.snippets import join, tracking_lines


def load_alias_lines(name: str, alias: str) -> list[str]:
    """Lines that load the version ``alias`` points at now, as an application would (``client`` must exist)."""
    return [
        "# applications load whatever the alias points at now: moving it changes what they serve, not their code",
        f"model = mlflow.pyfunc.load_model({f'models:/{name}@{alias}'!r})",
        f"print(client.get_model_version_by_alias({name!r}, {alias!r}).version)",
    ]


def register_model(
    run_id: str, model_uri: str, name: str, description: str = "", tags: dict[str, str] | None = None
) -> str:
    """Code that registers the model a run logged (``model_uri``) as a new version of ``name``, as the page did."""
    register = f"version = mlflow.register_model(model_uri, {name!r}"
    register += f", tags={dict(tags)!r})" if tags else ")"
    lines = [
        f"# the model run {run_id!r} logged; MLflow 3 gives a logged model its own id (models:/m-…), found with",
        "# mlflow.search_logged_models(filter_string=\"source_run_id = '<run id>'\", output_format='list')",
        f"model_uri = {model_uri!r}",
        "# creates the registered model when the name is new, then adds a version linked to the run",
        register,
        "client = mlflow.MlflowClient()",
    ]
    if description.strip():
        lines.append(f"client.update_model_version(version.name, version.version, description={description!r})")
    lines.append("print(version.name, version.version, client.get_model_version(version.name, version.version).run_id)")
    return join(tracking_lines(), "", lines)


def set_alias(name: str, alias: str, version: str) -> str:
    """Code that points ``alias`` of ``name`` at ``version`` and loads the model through the alias."""
    return join(
        tracking_lines(),
        "",
        "client = mlflow.MlflowClient()",
        "# an alias is a movable pointer: setting it moves it away from the version that held it",
        f"client.set_registered_model_alias({name!r}, {alias!r}, {str(version)!r})",
        "# (the workbench first checks the gate and records who, when and why as a qua3ck.audit.* model tag)",
        load_alias_lines(name, alias),
    )


def remove_alias(name: str, alias: str) -> str:
    """Code that removes ``alias`` from ``name``."""
    return join(
        tracking_lines(),
        "",
        "client = mlflow.MlflowClient()",
        f"client.delete_registered_model_alias({name!r}, {alias!r})",
        f"print(client.get_registered_model({name!r}).aliases)",
    )
