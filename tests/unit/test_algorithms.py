"""core.train.algorithms: the catalogue, hyperparameter checks and the preprocessing pipeline."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.train import algorithms
from core.train.algorithms import AlgorithmError, build_pipeline, clean_params

# histogram gradient boosting needs 20 rows per leaf by default: on these toy frames it predicts the majority
TOO_FEW_ROWS = {"hist_gradient_boosting"}


def test_catalogue_and_defaults():
    assert {"random_forest", "logistic_regression"} <= set(algorithms.ALGORITHMS)
    assert algorithms.default_params("random_forest") == {"n_estimators": 100, "max_depth": 5, "min_samples_leaf": 1}
    assert algorithms.default_params("logistic_regression") == {"C": 1.0, "max_iter": 1000}
    assert algorithms.ALGORITHMS["logistic_regression"].needs_scaling
    assert not algorithms.ALGORITHMS["random_forest"].needs_scaling


def test_unknown_algorithm():
    with pytest.raises(
        AlgorithmError, match="Unknown algorithm 'svm'. Choose one of: .*logistic_regression.*random_forest"
    ):
        algorithms.get_algorithm("svm")


@pytest.mark.parametrize(
    ("key", "params", "expected"),
    [
        ("random_forest", {}, {"n_estimators": 100, "max_depth": 5, "min_samples_leaf": 1}),
        ("random_forest", {"max_depth": 0}, {"n_estimators": 100, "max_depth": None, "min_samples_leaf": 1}),
        ("random_forest", {"max_depth": "0"}, {"n_estimators": 100, "max_depth": None, "min_samples_leaf": 1}),
        (
            "random_forest",
            {"n_estimators": "50", "max_depth": 30.0, "min_samples_leaf": 20},
            {"n_estimators": 50, "max_depth": 30, "min_samples_leaf": 20},
        ),
        ("logistic_regression", {"C": "0.5"}, {"C": 0.5, "max_iter": 1000}),
        ("logistic_regression", {"C": 100, "max_iter": "100"}, {"C": 100.0, "max_iter": 100}),
        ("logistic_regression", {"C": 0.001}, {"C": 0.001, "max_iter": 1000}),
    ],
)
def test_clean_params_converts(key, params, expected):
    cleaned = clean_params(key, params)
    assert cleaned == expected
    for name, value in cleaned.items():
        if value is not None:
            spec = {p.name: p for p in algorithms.get_algorithm(key).params}[name]
            assert isinstance(value, int if spec.kind == "int" else float)


@pytest.mark.parametrize(
    ("key", "params", "fragment"),
    [
        ("random_forest", {"n_estimators": 9}, "between 10 and 500, not 9"),
        ("random_forest", {"n_estimators": 501}, "between 10 and 500"),
        ("random_forest", {"max_depth": -1}, "between 0 and 30"),
        ("random_forest", {"max_depth": 31}, "between 0 and 30"),
        ("random_forest", {"min_samples_leaf": 0}, "between 1 and 20"),
        ("random_forest", {"n_estimators": "many"}, "must be a number, not 'many'"),
        ("random_forest", {"n_estimators": None}, "must be a number"),
        ("logistic_regression", {"C": 0}, "between 0.001 and 100"),
        ("logistic_regression", {"C": 1000.0}, "between 0.001 and 100"),
        ("logistic_regression", {"C": math.inf}, "finite number"),
        ("logistic_regression", {"max_iter": 99}, "between 100 and 5000"),
        ("random_forest", {"C": 1.0}, "Random forest has no hyperparameter C"),
        ("logistic_regression", {"penalty": "l1", "C": 1.0}, "no hyperparameter penalty"),
    ],
)
def test_clean_params_refuses(key, params, fragment):
    with pytest.raises(AlgorithmError) as info:
        clean_params(key, params)
    assert fragment in str(info.value)


@pytest.mark.parametrize("value", [math.nan, "nan"])
def test_clean_params_refuses_nan(value):
    with pytest.raises(AlgorithmError):
        clean_params("logistic_regression", {"C": value})


def test_clean_params_refuses_infinite_int():
    with pytest.raises(AlgorithmError):
        clean_params("random_forest", {"n_estimators": math.inf})


def mixed_frame(n: int = 40) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    y = np.array(["cat", "dog"] * (n // 2))
    size = np.where(y == "cat", 1.0, 5.0) + rng.normal(0, 0.3, n)
    size[[3, 10]] = np.nan
    colour = np.where(y == "cat", "black", "white").astype(object)
    colour[[4, 11]] = np.nan
    count = rng.integers(0, 5, n)
    return pd.DataFrame({"size": size, "colour": colour, "count": count}), y


@pytest.mark.parametrize("key", list(algorithms.ALGORITHMS))
def test_pipeline_handles_categorical_strings_and_missing_values(key):
    X, y = mixed_frame()
    pipeline = build_pipeline(key, {}, X, seed=1)
    transformers = {name: cols for name, _, cols in pipeline.named_steps["prepare"].transformers}
    assert transformers == {"numeric": ["size", "count"], "categorical": ["colour"]}
    pipeline.fit(X, y)
    assert list(pipeline.classes_) == ["cat", "dog"]
    new = pd.DataFrame({"size": [1.0, 5.0, np.nan], "colour": ["black", "white", "purple"], "count": [1, 2, 3]})
    predicted = pipeline.predict(new)
    if key not in TOO_FEW_ROWS:
        assert predicted[:2].tolist() == ["cat", "dog"]
    assert predicted[2] in {"cat", "dog"}  # unknown category and missing number still predict
    proba = pipeline.predict_proba(new)
    assert proba.shape == (3, 2)
    assert proba.sum(axis=1) == pytest.approx(np.ones(3))


def test_pipeline_scales_only_where_the_algorithm_needs_it():
    X, _ = mixed_frame()
    steps = {}
    for key in algorithms.ALGORITHMS:
        numeric = dict((n, t) for n, t, _ in build_pipeline(key, {}, X).named_steps["prepare"].transformers)["numeric"]
        steps[key] = list(numeric.named_steps)
    assert steps == {
        k: ["impute", "scale"] if a.needs_scaling else ["impute"] for k, a in algorithms.ALGORITHMS.items()
    }
    assert steps["random_forest"] == ["impute"] and steps["logistic_regression"] == ["impute", "scale"]


def test_pipeline_passes_clean_params_and_seed():
    X, _ = mixed_frame()
    forest = build_pipeline("random_forest", {"max_depth": 0, "n_estimators": 12}, X, seed=9).named_steps["classifier"]
    assert (forest.max_depth, forest.n_estimators, forest.random_state, forest.n_jobs) == (None, 12, 9, 1)
    logistic = build_pipeline("logistic_regression", {"C": "0.1"}, X).named_steps["classifier"]
    assert (logistic.C, logistic.max_iter, logistic.random_state) == (0.1, 1000, 42)


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
def test_pipeline_with_only_numeric_or_only_categorical_features(kind):
    y = np.array(["low"] * 10 + ["high"] * 10)
    X = (
        pd.DataFrame({"x": np.arange(20.0)})
        if kind == "numeric"
        else pd.DataFrame({"c": np.where(y == "low", "u", "v")})
    )
    pipeline = build_pipeline("random_forest", {"n_estimators": 10}, X).fit(X, y)
    assert [name for name, _, _ in pipeline.named_steps["prepare"].transformers] == [kind]
    assert pipeline.predict(X).tolist() == y.tolist()


@pytest.mark.parametrize("key", list(algorithms.ALGORITHMS))
def test_pipeline_handles_boolean_columns(key):
    y = np.array(["a", "b"] * 10)
    X = pd.DataFrame({"x": np.arange(20.0), "flag": y == "a"})
    pipeline = build_pipeline(key, {}, X).fit(X, y)
    if key not in TOO_FEW_ROWS:
        assert pipeline.predict(X).tolist() == y.tolist()


def test_build_pipeline_refuses_bad_params():
    X, _ = mixed_frame()
    with pytest.raises(AlgorithmError):
        build_pipeline("random_forest", {"n_estimators": 1}, X)


def test_clean_params_accepts_its_own_output():
    once = clean_params("random_forest", {"max_depth": 0, "n_estimators": 50})
    assert once["max_depth"] is None
    assert clean_params("random_forest", once) == once
