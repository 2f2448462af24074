"""core.registry.version_diff: two versions' data, recipe, code and results, against differences computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from core.compare.evaluation import evaluate_run, load_evaluation
from core.data import datastore
from core.data import sets as data
from core.registry.version_diff import version_diff
from core.train import training
from tests import registry_setup


@pytest.fixture
def two_versions(iris_project):
    """v1: a forest on iris; v2: logistic regression on iris whose petals grew 1 cm, without sepal width and with
    a new column — a second data run of the same project."""
    project, record = iris_project
    first = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    grown = data.load_builtin("iris").drop(columns="sepal width (cm)")
    grown["petal length (cm)"] += 1.0
    grown["leaf count"] = np.arange(len(grown)) % 7
    other = datastore.record_dataset(project.experiment_id, grown, "iris grown", "species")
    second = training.train_model(project.experiment_id, other, "logistic_regression", {"C": 0.5})
    registry_setup.promote("iris-classifier", "production", run_id=first.run_id)
    registry_setup.promote("iris-classifier", "candidate", run_id=second.run_id)
    return project, record, other, first, second


def test_the_data_and_recipe_that_changed_are_named(two_versions):
    project, record, other, first, second = two_versions

    diff = version_diff("iris-classifier", "1", "2")

    assert diff.columns_added == ["leaf count"] and diff.columns_dropped == ["sepal width (cm)"]
    data = diff.data.set_index("aspect")
    assert data.loc["digest", "a"] == record.digest[:12] and data.loc["digest", "b"] == other.digest[:12]
    assert data.loc["columns", "a"] == 4 and data.loc["columns", "b"] == 4
    shift = diff.shift.set_index("feature")
    expected = ks_2samp(
        record.frame.iloc[record.split.train]["petal length (cm)"],
        other.frame.iloc[other.split.train]["petal length (cm)"],
    ).statistic
    assert shift.loc["petal length (cm)", "statistic"] == pytest.approx(expected, abs=1e-4)
    assert shift.index[0] == "petal length (cm)" and shift.loc["petal length (cm)", "verdict"] in ("notable", "large")
    assert set(shift.index) == {"sepal length (cm)", "petal length (cm)", "petal width (cm)"}  # the shared ones
    recipe = diff.recipe.set_index("setting")
    assert recipe.loc["algorithm", "a"] == "random_forest" and recipe.loc["algorithm", "b"] == "logistic_regression"
    assert recipe.loc["n_estimators", "a"] == "10" and pd.isna(recipe.loc["n_estimators", "b"])
    assert recipe.loc["C", "b"] == "0.5"
    assert "random_seed" not in recipe.index  # the same in both: not listed
    assert diff.code.empty  # the same commit and packages
    assert diff.disagreements.startswith("Evaluate both versions")


def test_two_versions_on_the_same_rows_show_where_exactly_one_is_right(iris_project):
    project, record = iris_project
    forest = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    stump = training.train_model(project.experiment_id, record, "decision_tree", {"max_depth": 1})
    registry_setup.promote("iris-classifier", "production", run_id=forest.run_id)
    registry_setup.promote("iris-classifier", "candidate", run_id=stump.run_id)
    for run in (forest, stump):
        evaluate_run(run.run_id, project.kpis)

    diff = version_diff("iris-classifier", "1", "2")

    assert diff.same_data and diff.shift.empty
    truth = record.test_xy()[1].astype(str).to_numpy()
    right_a = np.asarray(load_evaluation(forest.run_id).predictions) == truth
    right_b = np.asarray(load_evaluation(stump.run_id).predictions) == truth
    rows = diff.disagreements
    assert len(rows) == int((right_a != right_b).sum()) > 0  # a depth-1 tree cannot tell three species apart
    assert set(rows["right"]) <= {"a", "b"} and (rows["right"] == "a").sum() == int((right_a & ~right_b).sum())
    first = rows.iloc[0]
    assert truth[first["row"] - 1] == first["true"]
    metrics = diff.comparison.metrics.set_index("metric")
    assert metrics.loc["accuracy", "current"] == pytest.approx(right_a.mean())
    assert metrics.loc["accuracy", "candidate"] == pytest.approx(right_b.mean())
    assert not isinstance(diff.comparison.held_out, str)  # McNemar on the same rows
