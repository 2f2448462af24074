"""core.train.recipe: a run's recipe read back from MLflow, one home for retraining, export, the CLI and the card."""

from __future__ import annotations

import pytest

from core.train import recipe, training
from core.train.features import FeatureSteps
from core.train.recipe import RecipeError, read_search_json, recipe_of, steps_of, typed_params
from core.train.search_space import Dimension
from core.train.tuning import SearchConfig, run_search


def test_typed_params_turn_logged_text_into_the_catalogues_types():
    assert typed_params("random_forest", {"n_estimators": "50", "max_depth": "None"}) == {
        "n_estimators": 50,
        "max_depth": 0,  # "unlimited" stays 0, as the form shows it
    }
    assert typed_params("logistic_regression", {"C": "0.5"}) == {"C": 0.5}
    assert typed_params("knn", {"weights": "distance"}) == {"weights": "distance"}


def test_steps_come_from_the_first_params_that_record_them_then_the_search():
    logged = FeatureSteps(scaling="robust", pca=2).as_params()
    assert steps_of({"algorithm": "knn"}, logged) == FeatureSteps(scaling="robust", pca=2)
    assert steps_of({}, search={"steps": {"impute": "mean"}}) == FeatureSteps(impute="mean")
    assert steps_of({}) == FeatureSteps()


def test_a_training_runs_recipe(iris_project):
    import mlflow

    project, record = iris_project
    run_id = training.train_model(project.experiment_id, record, "knn", {"n_neighbors": 7}, 3).run_id
    got = recipe_of(mlflow.get_run(run_id))
    assert (got.kind, got.algorithm, got.params["n_neighbors"], got.cv_folds) == ("train", "knn", 7, 3)
    with pytest.raises(RecipeError, match="no readable search.json"):
        read_search_json(run_id)


def test_a_search_runs_recipe_is_its_logged_configuration(iris_project):
    import mlflow

    project, record = iris_project
    config = SearchConfig("knn", "random", (Dimension("n_neighbors", "int", 2, 9),), max_trials=2, workers=1)
    result = run_search(project.experiment_id, record, config)
    got = recipe_of(mlflow.get_run(result.run_id))
    assert got.kind == "search" and got.search.space == config.space and got.search.max_trials == 2
    assert read_search_json(result.run_id)["algorithm"] == "knn"
    assert recipe.SEARCH_JSON == "search.json"
