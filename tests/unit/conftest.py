"""Fixtures of the unit tests that more than one module uses."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from core.compare import evaluation
from core.registry import model_registry
from core.serve import predict
from core.train import training
from tests import registry_setup


@pytest.fixture
def served(iris_project):
    """A 10-tree iris forest registered as iris-classifier@production, loaded as Predict loads it, and its data."""
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    registry_setup.promote("iris-classifier", "production", run_id=result.run_id)
    return predict.load_served_model("iris-classifier", "1"), record


@pytest.fixture
def versions(iris_project):
    """iris-classifier v1 passes the project's KPIs, v2 is not evaluated, v3 fails (a KPI no model meets)."""
    project, record = iris_project
    passing = training.train_model(project.experiment_id, record, "logistic_regression")
    evaluation.evaluate_run(passing.run_id, [])
    MlflowClient().set_tag(passing.run_id, evaluation.TAG_VERDICT, "pass")
    unevaluated = training.train_model(project.experiment_id, record, "gaussian_nb")
    failing = training.train_model(project.experiment_id, record, "knn")
    MlflowClient().set_tag(failing.run_id, evaluation.TAG_VERDICT, "fail")
    for run in (passing, unevaluated, failing):
        model_registry.register(run.run_id, "iris-classifier")
    return "iris-classifier"
