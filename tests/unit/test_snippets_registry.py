"""The K page's "Show the code": each snippet runs as it stands against the test's store and does what the page did
(a new version linked to its run, an alias moved and loaded through, an alias removed)."""

from __future__ import annotations

import numpy as np
import pytest
from mlflow import MlflowClient

from core.codegen.snippets import registry as snippets
from core.registry import model_registry as registry
from core.train import training
from tests import registry_setup
from tests.unit.snippet_exec import run_snippet

ODD_NAME = 'the "odd" model'  # quotes must stay inside their string literal


@pytest.fixture
def two_runs(iris_project):
    project, record = iris_project
    first = training.train_model(project.experiment_id, record, "logistic_regression").run_id
    second = training.train_model(project.experiment_id, record, "gaussian_nb").run_id
    return record, first, second


def test_register_snippet_adds_a_version_linked_to_the_run(two_runs):
    _, run_id, _ = two_runs
    # what the page does, then the code it shows, with the values of that registration
    info = registry.register(run_id, "page-model", "from the page", {"team": "k"})
    tags = {"team": "k", "note": 'it\'s "quoted"\nand two lines'}
    description = "a \"description\"\n'''with''' quotes"
    code = snippets.register_model(run_id, info.source, ODD_NAME, description, tags)
    namespace = run_snippet(code)
    assert namespace["version"].name == ODD_NAME and str(namespace["version"].version) == "1"
    version = MlflowClient().get_model_version(ODD_NAME, "1")
    assert version.run_id == run_id
    assert version.source == info.source
    assert version.description == description
    assert {k: v for k, v in version.tags.items() if k in tags} == tags
    # the same code against an existing model adds the next version
    run_snippet(snippets.register_model(run_id, info.source, ODD_NAME))
    assert [v.version for v in registry.list_versions(ODD_NAME)] == ["2", "1"]


def test_set_alias_snippet_moves_the_alias_and_loads_through_it(two_runs, capsys):
    record, first, second = two_runs
    registry.register(first, "k-model")
    registry.register(second, "k-model")
    run_snippet(snippets.set_alias("k-model", "production", "1"))
    assert registry.get_model("k-model").aliases == {"production": "1"}
    namespace = run_snippet(snippets.set_alias("k-model", "production", "2"))
    assert registry.get_model("k-model").aliases == {"production": "2"}
    assert capsys.readouterr().out.split() == ["1", "2"]
    # the model loaded through the alias is version 2: its predictions are that version's
    import mlflow

    rows = record.frame[record.features].head(20)
    expected = mlflow.pyfunc.load_model("models:/k-model/2").predict(rows)
    assert np.array_equal(np.asarray(namespace["model"].predict(rows)), np.asarray(expected))


def test_remove_alias_snippet_removes_it(two_runs):
    _, run_id, _ = two_runs
    registry.register(run_id, ODD_NAME)
    registry_setup.set_alias(ODD_NAME, "staging", "1")
    registry_setup.set_alias(ODD_NAME, "champion", "1")
    run_snippet(snippets.remove_alias(ODD_NAME, "staging"))
    assert registry.get_model(ODD_NAME).aliases == {"champion": "1"}


def test_snippets_are_plain_text_without_store_calls(store):
    """Built from values the page already has: no MLflow call, no registry needed."""
    code = snippets.set_alias("m", "champion", "3")
    assert "set_registered_model_alias('m', 'champion', '3')" in code
    assert "load_model('models:/m@champion')" in code
    assert "description" not in snippets.register_model("r" * 32, "models:/m-abc", "m")
