"""core.registry.model_registry: register run models, list versions and move aliases."""

from __future__ import annotations

import pytest

from core.registry import model_registry as registry
from core.registry.model_registry import RegistryError
from core.train import training
from tests import registry_setup


def fresh_client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    store = active_store()
    return MlflowClient(tracking_uri=store.tracking_uri, registry_uri=store.registry_uri)


@pytest.fixture
def one_run(iris_project):
    project, record = iris_project
    return project, training.train_model(project.experiment_id, record, "logistic_regression").run_id


@pytest.fixture
def two_runs(iris_project, one_run):
    project, record = iris_project
    second = training.train_model(project.experiment_id, record, "logistic_regression", {"C": 0.1})
    return project, one_run[1], second.run_id


@pytest.mark.parametrize(
    ("alias", "fragment"),
    [
        ("", "Type an alias"),
        ("   ", "Type an alias"),
        (None, "Type an alias"),
        ("latest", "reserved"),
        ("Latest", "reserved"),
        ("v1", "reserved"),
        ("V12", "reserved"),
        ("a b", "letters, digits"),
        ("prod/1", "letters, digits"),
        ("café", "letters, digits"),
        ("x" * 256, "letters, digits"),
    ],
)
def test_invalid_aliases(alias, fragment):
    with pytest.raises(RegistryError) as info:
        registry.validate_alias(alias)
    assert fragment in str(info.value)


@pytest.mark.parametrize("alias", ["production", " champion ", "v1beta", "release-2", "A_1", "version1"])
def test_valid_aliases(alias):
    assert registry.validate_alias(alias) == alias.strip()


@pytest.mark.parametrize("name", ["", "  ", "a/b", "a:b", "50%", "a#b", "why?", "x" * 256])
def test_invalid_model_names(name):
    with pytest.raises(RegistryError, match="Model names"):
        registry.validate_model_name(name)


@pytest.mark.parametrize("name", [".", "..", "..model", " .. "])
def test_names_that_read_as_paths_are_refused_with_our_message(name):
    with pytest.raises(RegistryError, match="cannot be '.' or start with '..'"):
        registry.validate_model_name(name)


def test_a_name_with_dots_inside_is_a_name():
    assert registry.validate_model_name("iris.v2..final") == "iris.v2..final"


@pytest.mark.parametrize(
    ("project", "expected"),
    [
        ("Iris Classification Experiment", "iris-classifier"),
        ("Wine quality project", "wine-quality"),
        ("Experiment", "model"),
        ("  Churn 2024!  ", "churn-2024"),
    ],
)
def test_suggested_model_name(project, expected):
    assert registry.suggested_model_name(project) == expected


def test_register_and_list_versions_with_aliases(two_runs):
    _, run1, run2 = two_runs
    v1 = registry.register(run1, " iris-classifier ", description="first")
    assert (v1.name, v1.version, v1.run_id, v1.aliases, v1.description) == ("iris-classifier", "1", run1, [], "first")
    v2 = registry.register(run2, "iris-classifier")
    assert v2.version == "2"
    assert v2.source == fresh_client().get_run(run2).data.tags[training.TAG_MODEL_URI]

    registry_setup.set_alias("iris-classifier", "champion", "1")
    registry_setup.set_alias("iris-classifier", "production", "1")
    registry_setup.set_alias("iris-classifier", "challenger", "2")

    versions = registry.list_versions("iris-classifier")
    assert [(v.version, v.run_id, v.aliases) for v in versions] == [
        ("2", run2, ["challenger"]),
        ("1", run1, ["champion", "production"]),
    ]
    assert str(fresh_client().get_model_version_by_alias("iris-classifier", "production").version) == "1"
    [summary] = registry.list_models()
    assert summary.name == "iris-classifier"
    assert summary.aliases == {"champion": "1", "production": "1", "challenger": "2"}


def test_move_and_delete_alias(one_run):
    _, run_id = one_run
    registry.register(run_id, "m")
    registry.register(run_id, "m")  # a second version of the same model
    registry_setup.set_alias("m", "production", "1")
    moved = registry_setup.set_alias("m", "production", "2")
    assert moved.aliases == ["production"]
    assert registry.get_version("m", "1").aliases == []
    assert registry.resolve_alias("m", "production").version == "2"
    assert registry.get_model("m").aliases == {"production": "2"}

    registry_setup.delete_alias("m", "production")
    assert registry.get_model("m").aliases == {}
    with pytest.raises(RegistryError, match="has no alias 'production'"):
        registry_setup.delete_alias("m", "production")


def test_set_alias_refuses_unknown_version_and_bad_alias(one_run):
    _, run1 = one_run
    registry.register(run1, "m")
    with pytest.raises(RegistryError, match="has no version 7"):
        registry_setup.set_alias("m", "production", "7")
    with pytest.raises(RegistryError, match="reserved"):
        registry_setup.set_alias("m", "latest", "1")
    assert registry.get_model("m").aliases == {}


def test_resolve_missing_alias_names_the_existing_ones(one_run):
    _, run1 = one_run
    registry.register(run1, "m")
    with pytest.raises(RegistryError, match=r"no alias 'production' \(its aliases: none\)"):
        registry.resolve_alias("m", "production")
    registry_setup.set_alias("m", "champion", "1")
    registry_setup.set_alias("m", "challenger", "1")
    with pytest.raises(RegistryError, match=r"no alias 'production' \(its aliases: challenger, champion\)"):
        registry.resolve_alias("m", "production")
    assert registry.resolve_alias("m", "champion").run_id == run1


def test_resolve_alias_reads_the_same_version_as_the_listing(one_run):
    _, run1 = one_run
    registry.register(run1, "m")
    registry.register(run1, "m")
    registry_setup.set_alias("m", "champion", "2")
    registry_setup.set_alias("m", "production", "2")
    resolved = registry.resolve_alias("m", "production")
    assert resolved == registry.get_version("m", "2")  # every field, the aliases sharing the version included
    assert resolved.aliases == ["champion", "production"]
    with pytest.raises(RegistryError, match="no alias 'latest'"):  # MLflow's "newest version", not an alias here
        registry.resolve_alias("m", "latest")
    with pytest.raises(RegistryError, match="no-such-model"):
        registry.resolve_alias("no-such-model", "production")


def test_unknown_model(store):
    with pytest.raises(RegistryError, match="no registered model named 'ghost'"):
        registry.get_model("ghost")
    with pytest.raises(RegistryError):
        registry.list_versions("ghost")
    assert registry.list_models() == []


def test_promote_with_run_and_with_version(one_run):
    _, run1 = one_run
    run2 = run1
    promoted = registry_setup.promote("iris-classifier", "production", run_id=run1)
    assert (promoted.version, promoted.run_id, promoted.aliases) == ("1", run1, ["production"])

    challenger = registry_setup.promote("iris-classifier", "challenger", run_id=run2)  # registers a new version
    assert challenger.version == "2"
    again = registry_setup.promote("iris-classifier", "production", version="2")
    assert again.aliases == ["challenger", "production"]
    assert registry.get_model("iris-classifier").aliases == {"production": "2", "challenger": "2"}
    assert len(registry.list_versions("iris-classifier")) == 2


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "either a run"),
        ({"run_id": "abc", "version": "1"}, "either a run"),
        ({"version": "1", "alias": "latest"}, "reserved"),
        ({"version": "1", "model_name": "a/b"}, "Model names"),
        ({"version": "1"}, "no registered model named 'nothing'"),
    ],
)
def test_promote_refuses(store, kwargs, fragment):
    args = {"model_name": "nothing", "alias": "production", **kwargs}
    with pytest.raises(RegistryError) as info:
        registry_setup.promote(**args)
    assert fragment in str(info.value)


def test_promote_run_without_model_leaves_nothing_behind(iris_project):
    import mlflow

    project, record = iris_project
    with mlflow.start_run(experiment_id=project.experiment_id) as run:
        mlflow.log_metric("x", 1.0)
    for run_id in (run.info.run_id, record.run_id):
        with pytest.raises(RegistryError, match="has no logged model"):
            registry_setup.promote("empty-model", "production", run_id=run_id)
    with pytest.raises(RegistryError, match="no run 'nope'"):
        registry_setup.promote("empty-model", "production", run_id="nope")
    assert registry.list_models() == []
    assert fresh_client().search_registered_models() == []
    assert fresh_client().search_model_versions() == []


def test_register_model_logged_without_workbench_tag(iris_project):
    """A run whose model was logged by other code is found through its logged models."""
    import mlflow
    from sklearn.linear_model import LogisticRegression

    project, record = iris_project
    X, y = record.train_xy()
    with mlflow.start_run(experiment_id=project.experiment_id) as run:
        mlflow.sklearn.log_model(
            LogisticRegression(max_iter=500).fit(X, y), name="clf", pip_requirements=["scikit-learn"]
        )
    assert registry.run_model_uri(run.info.run_id).startswith("models:/m-")
    version = registry.register(run.info.run_id, "outside")
    assert version.run_id == run.info.run_id


def test_versions_table(two_runs):
    from core.compare import evaluation
    from core.question.kpis import KPI

    _, run1, run2 = two_runs
    evaluation.evaluate_run(run1, [KPI("accuracy", ">", 0.5)])
    registry.register(run1, "m", description="evaluated")
    registry.register(run2, "m")
    registry_setup.set_alias("m", "production", "1")
    rows = registry.versions_table("m")
    assert [r["version"] for r in rows] == ["2", "1"]
    assert rows[1]["aliases"] == "@production"
    assert rows[1]["algorithm"] == "logistic_regression"
    assert rows[1]["verdict"] == "pass"
    assert rows[1]["test_accuracy"] > 0.5
    assert rows[1]["description"] == "evaluated"
    assert (rows[0]["aliases"], rows[0]["verdict"], rows[0]["test_accuracy"]) == ("", "not evaluated", None)


def test_project_models_are_the_models_built_from_its_runs_newest_first(two_runs):
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects

    project, first, second = two_runs
    registry.register(first, "older")
    registry.register(second, "newer")
    other = projects.create_project("Penguins", "Which species?")
    record = datastore.record_dataset(other.experiment_id, data.load_builtin("wine"), "wine", "cultivar")
    registry.register(training.train_model(other.experiment_id, record, "logistic_regression").run_id, "penguins")
    registry_setup.set_alias("older", "production", "1")
    assert [m.name for m in registry.project_models(project.experiment_id)] == ["newer", "older"]
    assert registry.project_models(project.experiment_id)[1].aliases == {"production": "1"}
    assert [m.name for m in registry.project_models(other.experiment_id)] == ["penguins"]
    assert registry.project_models(projects.create_project("Empty", "?").experiment_id) == []
