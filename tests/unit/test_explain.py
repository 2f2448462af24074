"""Why this prediction: SHAP values per original column that add up to the model's output (SHAP's additivity)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_iris

from core.serve import explain
from core.train.algorithms import ALGORITHMS, build_pipeline
from core.train.features import FeatureSteps


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y.map(dict(enumerate(["setosa", "versicolor", "virginica"])))


@pytest.fixture(scope="module")
def shop():
    """Numbers, a category with gaps and a yes/no column: the one-hot columns must sum back into their column."""
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "price": rng.normal(50, 10, n),
            "visits": rng.integers(0, 20, n).astype(float),
            "colour": rng.choice(["red", "green", "blue", None], n),
            "member": rng.choice([True, False], n),
        }
    )
    y = np.where((X["price"] < 50) & (X["colour"] == "red") | (X["visits"] > 15), "buys", "leaves")
    return X, pd.Series(y)


def _fitted(key, X, y, steps=None):
    return build_pipeline(key, {}, X, steps=steps).fit(X, y)


def _output(model, row: pd.DataFrame, explained: explain.Explanation) -> float:
    k = [str(c) for c in model.classes_].index(explained.label)
    if explained.scale == "probability":
        return float(model.predict_proba(row)[0, k])
    scores = np.asarray(model[-1].decision_function(model[:-1].transform(row)), dtype=float)
    return float(scores[0, k]) if scores.ndim == 2 else float(scores[0] if k == 1 else -scores[0])


@pytest.mark.parametrize(
    ("key", "method", "scale"),
    [
        ("random_forest", "tree", "probability"),
        ("decision_tree", "tree", "probability"),
        ("extra_trees", "tree", "probability"),
        ("hist_gradient_boosting", "tree", "score"),
        ("logistic_regression", "linear", "score"),
        ("knn", "permutation", "probability"),
        ("gaussian_nb", "permutation", "probability"),
    ],
)
def test_contributions_add_up_to_the_models_output_for_the_predicted_class(iris, key, method, scale):
    X, y = iris
    model = _fitted(key, X, y)
    rows = X.iloc[[0, 75, 140]]
    found = explain.explain(model, rows, explain.reference_rows(X), budget_s=None)
    for i, explained in enumerate(found):
        row = rows.iloc[[i]]
        assert (explained.method, explained.scale) == (method, scale)
        assert explained.label == str(model.predict(row)[0])
        total = explained.base + explained.contributions["contribution"].sum()
        assert total == pytest.approx(explained.output, abs=1e-6)
        assert explained.output == pytest.approx(_output(model, row, explained), abs=1e-6)
        assert set(explained.contributions["feature"]) == set(X.columns)


@pytest.mark.parametrize("key", ["random_forest", "logistic_regression", "svc"])
def test_one_hot_columns_are_summed_back_into_the_column_they_came_from(shop, key):
    X, y = shop
    model = _fitted(key, X, y)
    (explained,) = explain.explain(model, X.iloc[[3]], explain.reference_rows(X), budget_s=None)
    assert list(explained.contributions.columns) == ["feature", "value", "contribution"]
    assert sorted(explained.contributions["feature"]) == sorted(X.columns)
    assert explained.base + explained.contributions["contribution"].sum() == pytest.approx(explained.output, abs=1e-6)


def test_pipelines_with_pca_or_polynomial_features_fall_back_to_the_permutation_explainer(iris):
    X, y = iris
    for steps in (FeatureSteps(pca=2), FeatureSteps(poly_degree=2)):
        model = _fitted("random_forest", X, y, steps)
        assert explain.method_for(model) == "permutation"
        (explained,) = explain.explain(model, X.iloc[[100]], explain.reference_rows(X), budget_s=None)
        assert explained.base + explained.contributions["contribution"].sum() == pytest.approx(explained.output)


def test_a_slow_explanation_is_refused_with_its_estimate_and_a_sampled_one_is_offered(iris):
    X, y = iris
    model = _fitted("svc", X, y)
    with pytest.raises(explain.TooLong) as refused:
        explain.explain(model, X.iloc[[5]], explain.reference_rows(X), budget_s=1e-6)
    assert refused.value.seconds > 0 and refused.value.sampled > 0
    assert "would take about" in str(refused.value) and "a sample of 20 rows" in str(refused.value)
    (sampled,) = explain.explain(model, X.iloc[[5]], explain.reference_rows(X), budget_s=None, sampled=True)
    assert sampled.sampled and sampled.reference_rows == explain.SAMPLED_ROWS


def test_the_strongest_push_is_said_in_words_and_a_batch_is_summarised(iris):
    X, y = iris
    model = _fitted("random_forest", X, y)
    found = explain.explain(model, X.iloc[[120, 130, 140]], explain.reference_rows(X), budget_s=None)
    said = explain.sentence(found[0])
    top = found[0].contributions.iloc[0]
    assert said.startswith(f"{top['feature']} = ") and f"toward {found[0].label}" in said
    table = explain.summary(found)
    assert list(table.columns) == ["feature", "mean_abs"] and len(table) == 4
    assert table["mean_abs"].is_monotonic_decreasing
    assert "petal" in table["feature"].iloc[0]


def test_every_algorithm_of_the_catalogue_is_explained(iris):
    X, y = iris
    for key in ALGORITHMS:
        (explained,) = explain.explain(_fitted(key, X, y), X.iloc[[60]], explain.reference_rows(X), budget_s=None)
        assert explained.base + explained.contributions["contribution"].sum() == pytest.approx(explained.output)


def test_without_reference_rows_the_model_cannot_be_explained(iris):
    X, y = iris
    with pytest.raises(explain.ExplainError, match="no training rows"):
        explain.explain(_fitted("knn", X, y), X.iloc[[0]], pd.DataFrame(), budget_s=None)


def test_over_the_budget_the_permutation_explainer_uses_fewer_orderings_and_stays_additive(iris, monkeypatch):
    X, y = iris
    model = _fitted("knn", X, y)
    # ten orderings of 0.2 s are 2 s; 0.8 · 2 s less the probe's two orderings leaves 1.2 s: six
    monkeypatch.setattr(explain, "_per_ordering", lambda *args: 0.2)
    (explained,) = explain.explain(model, X.iloc[[70]], explain.reference_rows(X), budget_s=2.0)
    assert explained.permutations == 6
    assert explained.base + explained.contributions["contribution"].sum() == pytest.approx(explained.output)


def test_the_permutation_method_gives_the_exact_shapley_values_of_an_additive_model():
    rng = np.random.default_rng(3)
    reference, row, weights = (
        rng.normal(size=(50, 6)),
        rng.normal(size=6),
        np.array([[1.0], [-2.0], [0.5], [0], [3], [1]]),
    )
    values = explain.permutation_values(
        lambda m: m @ weights, row, reference, explain._orderings(6, 4), (reference @ weights).mean(axis=0)
    )
    assert values[:, 0] == pytest.approx(weights[:, 0] * (row - reference.mean(axis=0)))
