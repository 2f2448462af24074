"""Fixtures of the unit tests that more than one module uses."""

from __future__ import annotations

import pytest

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
