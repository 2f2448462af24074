"""core.train.features: the A2 feature steps, their MLflow params, and the preprocessing they build."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.decomposition import PCA
from sklearn.feature_selection import SelectKBest
from sklearn.preprocessing import MinMaxScaler, OneHotEncoder, PolynomialFeatures, RobustScaler, StandardScaler

from core.train.algorithms import ALGORITHMS, build_pipeline
from core.train.features import (
    IMPUTERS,
    MAX_POLY_DEGREE,
    PARAM_PREFIX,
    SCALERS,
    FeatureError,
    FeatureSteps,
    build_preprocessing,
    column_kinds,
    prepared_width,
)
from core.train.training import cross_validated

FAST = {
    "hist_gradient_boosting": {"max_iter": 20},
    "random_forest": {"n_estimators": 10},
    "extra_trees": {"n_estimators": 10},
}
SCALER_CLASSES = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


def numeric_frame(rows: int = 30) -> tuple[pd.DataFrame, pd.Series]:
    """Three numeric columns and a two-class target that depends on them."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows) * 10, "c": rng.uniform(size=rows)})
    y = pd.Series(np.where(X["a"] + X["c"] > 0.5, "yes", "no"), name="target")
    return X, y


def mixed_frame(rows: int = 40) -> tuple[pd.DataFrame, pd.Series]:
    """Numeric (float and int), boolean and categorical columns, with missing numbers and categories."""
    rng = np.random.default_rng(1)
    X = pd.DataFrame(
        {
            "size": rng.normal(size=rows),
            "count": rng.integers(0, 10, rows),
            "flag": rng.integers(0, 2, rows).astype(bool),
            "colour": rng.choice(["red", "green", "blue"], rows).astype(object),
        }
    )
    X.loc[[1, 7, 12], "size"] = np.nan
    X.loc[[3, 9], "colour"] = np.nan  # as read_csv gives missing text
    y = pd.Series(np.where(X["count"] > 4, "many", "few"), name="target")
    return X, y


def numeric_prepare(pipeline):
    """The numeric sub-pipeline of a pipeline's unfitted ColumnTransformer."""
    prepare = pipeline.named_steps["prepare"]
    assert isinstance(prepare, ColumnTransformer)
    return {name: transformer for name, transformer, _ in prepare.transformers}["numeric"]


# --- FeatureSteps validation --------------------------------------------------------------------------------------


def test_defaults():
    steps = FeatureSteps()
    assert (steps.impute, steps.scaling, steps.poly_degree, steps.select_k, steps.pca) == ("median", "auto", 1, 0, 0)


@pytest.mark.parametrize("impute", list(IMPUTERS))
@pytest.mark.parametrize("scaling", list(SCALERS))
def test_every_named_imputer_and_scaler_is_accepted(impute, scaling):
    assert FeatureSteps(impute=impute, scaling=scaling).scaling == scaling


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"impute": "mode"}, "Imputation must be one of median, mean, most_frequent, not 'mode'."),
        ({"impute": ""}, "Imputation must be one of .*, not ''."),
        ({"scaling": "zscore"}, "Scaling must be one of auto, standard, minmax, robust, none, not 'zscore'."),
        ({"scaling": "Standard"}, "Scaling must be one of .*, not 'Standard'."),
        ({"poly_degree": 0}, "Polynomial degree must be a whole number of at least 1, not '0'."),
        ({"poly_degree": -2}, "Polynomial degree must be a whole number of at least 1, not '-2'."),
        ({"poly_degree": 1.5}, "Polynomial degree must be a whole number of at least 1, not '1.5'."),
        ({"poly_degree": "2"}, "Polynomial degree must be a whole number of at least 1, not '2'."),
        ({"poly_degree": MAX_POLY_DEGREE + 1}, f"Polynomial degree must be at most {MAX_POLY_DEGREE}, not 4."),
        ({"poly_degree": 10}, "Polynomial degree must be at most 3, not 10."),
        ({"select_k": -1}, "Selected features must be a whole number of at least 0, not '-1'."),
        ({"select_k": 2.0}, "Selected features must be a whole number of at least 0, not '2.0'."),
        ({"pca": -1}, "PCA components must be a whole number of at least 0, not '-1'."),
        ({"pca": 0.5}, "PCA components must be a whole number of at least 0, not '0.5'."),
        ({"pca": None}, "PCA components must be a whole number of at least 0, not 'None'."),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(kwargs, message):
    with pytest.raises(FeatureError, match=f"^{message}$"):
        FeatureSteps(**kwargs)


def test_feature_error_is_a_value_error():
    # pages and the CLI catch ValueError to show our messages
    assert issubclass(FeatureError, ValueError)


@pytest.mark.parametrize("degree", range(1, MAX_POLY_DEGREE + 1))
def test_every_allowed_degree(degree):
    assert FeatureSteps(poly_degree=degree).poly_degree == degree


# --- MLflow params ------------------------------------------------------------------------------------------------


def test_as_params_names_every_field_with_the_prefix():
    steps = FeatureSteps(impute="mean", scaling="robust", poly_degree=2, select_k=5, pca=3)
    assert steps.as_params() == {
        "prep.impute": "mean",
        "prep.scaling": "robust",
        "prep.poly_degree": 2,
        "prep.select_k": 5,
        "prep.pca": 3,
    }
    assert all(k.startswith(PARAM_PREFIX) for k in steps.as_params())


@pytest.mark.parametrize(
    "steps",
    [
        FeatureSteps(),
        FeatureSteps(impute="most_frequent", scaling="minmax", poly_degree=3, select_k=7, pca=2),
        FeatureSteps(impute="mean", scaling="none", select_k=1),
        FeatureSteps(scaling="standard", pca=10),
    ],
)
def test_params_round_trip_as_mlflow_strings(steps):
    # MLflow gives every param back as a string
    logged = {k: str(v) for k, v in steps.as_params().items()}
    assert FeatureSteps.from_params(logged) == steps
    assert FeatureSteps.from_params(steps.as_params()) == steps


def test_from_params_of_a_run_before_a2_gives_the_defaults_and_ignores_other_params():
    assert FeatureSteps.from_params({}) == FeatureSteps()
    params = {"algorithm": "random_forest", "n_estimators": "100", "prep.pca": "2"}
    assert FeatureSteps.from_params(params) == FeatureSteps(pca=2)


@pytest.mark.parametrize(
    ("params", "error", "message"),
    [
        ({"prep.scaling": "zscore"}, FeatureError, "Scaling must be one of"),
        ({"prep.poly_degree": "7"}, FeatureError, "Polynomial degree must be at most 3"),
        ({"prep.pca": "-3"}, FeatureError, "PCA components must be a whole number of at least 0"),
        ({"prep.select_k": "many"}, ValueError, "many"),
    ],
)
def test_from_params_refuses_bad_values(params, error, message):
    with pytest.raises(error, match=message):
        FeatureSteps.from_params(params)


# --- describe and effective scaling -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scaling", "needs_scaling", "effective"),
    [
        ("auto", True, "standard"),
        ("auto", False, "none"),
        ("standard", False, "standard"),
        ("minmax", True, "minmax"),
        ("robust", False, "robust"),
        ("none", True, "none"),
    ],
)
def test_effective_scaling(scaling, needs_scaling, effective):
    assert FeatureSteps(scaling=scaling).effective_scaling(needs_scaling) == effective


def test_describe_defaults():
    assert FeatureSteps().describe(needs_scaling=True) == (
        "missing numbers get the median of the column; numbers get standard (mean 0, standard deviation 1) "
        "scaling; categories are one-hot encoded."
    )
    assert FeatureSteps().describe() == (
        "missing numbers get the median of the column; numbers get standard scaling where the algorithm needs it; "
        "categories are one-hot encoded."
    )
    assert FeatureSteps().describe(needs_scaling=False) == (
        "missing numbers get the median of the column; numbers are not scaled; categories are one-hot encoded."
    )


def test_describe_every_step():
    text = FeatureSteps(impute="most_frequent", scaling="robust", poly_degree=2, select_k=4, pca=3).describe(False)
    assert text == (
        "missing numbers get the most common value; numbers get robust (median and quartiles; resists outliers) "
        "scaling; categories are one-hot encoded; polynomial features up to degree 2 are added; the 4 most "
        "informative features are kept (ANOVA F); PCA projects onto 3 components."
    )


@pytest.mark.parametrize(
    ("steps", "absent"),
    [(FeatureSteps(), "polynomial"), (FeatureSteps(), "ANOVA"), (FeatureSteps(), "PCA")],
)
def test_describe_leaves_out_steps_that_are_off(steps, absent):
    assert absent not in steps.describe()


# --- column kinds -------------------------------------------------------------------------------------------------


def test_column_kinds_by_dtype():
    X = pd.DataFrame(
        {
            "f": [1.5, 2.0],
            "i": [1, 2],
            "nullable_int": pd.array([1, None], dtype="Int64"),
            "b": [True, False],
            "s": ["a", "b"],
            "cat": pd.Categorical(["x", "y"]),
            "bool_with_missing": [True, None],  # object dtype: treated as a category
        }
    )
    numeric, boolean, categorical = column_kinds(X)
    assert numeric == ["f", "i", "nullable_int"]
    assert boolean == ["b"]
    assert categorical == ["s", "cat", "bool_with_missing"]


def test_column_kinds_of_an_all_numeric_frame():
    X, _ = numeric_frame()
    assert column_kinds(X) == (["a", "b", "c"], [], [])


# --- the preprocessing of a pipeline ------------------------------------------------------------------------------


@pytest.mark.parametrize("scaling", ["standard", "minmax", "robust"])
@pytest.mark.parametrize("key", ["logistic_regression", "random_forest"])
def test_explicit_scalers_apply_to_every_algorithm(scaling, key):
    X, y = numeric_frame()
    pipeline = build_pipeline(key, {}, X, seed=0, steps=FeatureSteps(scaling=scaling))
    numeric = numeric_prepare(pipeline)
    assert [name for name, _ in numeric.steps] == ["impute", "scale"]
    assert type(numeric.named_steps["scale"]) is SCALER_CLASSES[scaling]
    pipeline.fit(X, y)
    assert len(pipeline.predict(X.head(3))) == 3


@pytest.mark.parametrize("key", ["logistic_regression", "random_forest"])
def test_no_scaling(key):
    X, _ = numeric_frame()
    numeric = numeric_prepare(build_pipeline(key, {}, X, steps=FeatureSteps(scaling="none")))
    assert [name for name, _ in numeric.steps] == ["impute"]


@pytest.mark.parametrize(
    ("key", "scaled"),
    [
        ("logistic_regression", True),
        ("svc", True),
        ("knn", True),
        ("mlp", True),
        ("random_forest", False),
        ("decision_tree", False),
        ("gaussian_nb", False),
    ],
)
def test_auto_scales_only_algorithms_that_need_it(key, scaled):
    assert ALGORITHMS[key].needs_scaling is scaled
    X, _ = numeric_frame()
    numeric = numeric_prepare(build_pipeline(key, {}, X, steps=FeatureSteps(scaling="auto")))
    if scaled:
        assert type(numeric.named_steps["scale"]) is StandardScaler
    else:
        assert "scale" not in numeric.named_steps


def test_default_steps_are_prepare_then_classifier():
    X, _ = numeric_frame()
    pipeline = build_pipeline("logistic_regression", {}, X)
    assert [name for name, _ in pipeline.steps] == ["prepare", "classifier"]


def test_scaled_output_is_standardised():
    X, y = numeric_frame()
    pipeline = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(scaling="standard")).fit(X, y)
    prepared = pipeline[:-1].transform(X)
    assert np.allclose(prepared.mean(axis=0), 0, atol=1e-9)
    assert np.allclose(prepared.std(axis=0), 1, atol=1e-9)
    minmax = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(scaling="minmax")).fit(X, y)
    prepared = minmax[:-1].transform(X)
    assert prepared.min() == pytest.approx(0) and prepared.max() == pytest.approx(1)


@pytest.mark.parametrize(("degree", "width"), [(1, 3), (2, 9), (3, 19)])
def test_poly_adds_polynomial_features_and_widens(degree, width):
    X, y = numeric_frame()
    pipeline = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(poly_degree=degree))
    names = [name for name, _ in pipeline.steps]
    if degree == 1:
        assert "poly" not in names
    else:
        assert names == ["prepare", "poly", "classifier"]
        poly = pipeline.named_steps["poly"]
        assert isinstance(poly, PolynomialFeatures)
        assert poly.degree == degree and poly.include_bias is False
    pipeline.fit(X, y)
    assert pipeline[:-1].transform(X).shape == (len(X), width)
    assert pipeline.predict(X.head(2)).shape == (2,)


@pytest.mark.parametrize(("select_k", "expected"), [(1, 1), (2, 2), (3, 3), (50, 3)])
def test_select_k_is_capped_at_the_prepared_width(select_k, expected):
    X, y = numeric_frame()
    pipeline = build_pipeline("random_forest", {"n_estimators": 10}, X, steps=FeatureSteps(select_k=select_k))
    select = pipeline.named_steps["select"]
    assert isinstance(select, SelectKBest)
    assert select.k == expected
    pipeline.fit(X, y)
    assert pipeline[:-1].transform(X).shape[1] == expected


def test_select_k_keeps_the_informative_feature():
    X, y = numeric_frame()
    y = pd.Series(np.where(X["b"] > 0, "up", "down"))
    pipeline = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(select_k=1)).fit(X, y)
    assert pipeline.named_steps["select"].get_support().tolist() == [False, True, False]


@pytest.mark.parametrize(("pca", "expected"), [(1, 1), (2, 2), (3, 3), (40, 3)])
def test_pca_is_capped_at_the_prepared_width(pca, expected):
    X, y = numeric_frame()
    pipeline = build_pipeline("logistic_regression", {}, X, seed=7, steps=FeatureSteps(pca=pca))
    step = pipeline.named_steps["pca"]
    assert isinstance(step, PCA)
    assert step.n_components == expected
    assert step.random_state == 7
    pipeline.fit(X, y)
    assert pipeline[:-1].transform(X).shape == (len(X), expected)


def test_pca_is_capped_at_half_the_rows():
    # the smallest CV training fold has at least half the rows
    X, y = numeric_frame(rows=30)
    pipeline = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(poly_degree=3, pca=30))
    assert pipeline.named_steps["pca"].n_components == 15
    assert cross_validated(pipeline, X, y, 2, 0)["cv_accuracy"] > 0


def test_select_then_pca_caps_at_the_selected_width():
    X, y = numeric_frame()
    pipeline = build_pipeline("logistic_regression", {}, X, steps=FeatureSteps(poly_degree=2, select_k=4, pca=10))
    assert [name for name, _ in pipeline.steps] == ["prepare", "poly", "select", "pca", "classifier"]
    assert pipeline.named_steps["select"].k == 4
    assert pipeline.named_steps["pca"].n_components == 4
    pipeline.fit(X, y)


def test_prepared_width_counts_one_hot_columns():
    X, _ = mixed_frame()
    steps = build_preprocessing(X, FeatureSteps(), needs_scaling=True)
    # size, count; flag -> 2 columns; colour -> 3 columns
    assert prepared_width(X, steps) == 2 + 2 + 3
    steps = build_preprocessing(X, FeatureSteps(poly_degree=2), needs_scaling=True)
    assert prepared_width(X, steps) == 7 + 7 * 8 // 2


def test_build_preprocessing_leaves_its_input_alone():
    X, _ = mixed_frame()
    before = X.copy()
    build_preprocessing(X, FeatureSteps(poly_degree=2, select_k=3, pca=2), needs_scaling=True)
    pd.testing.assert_frame_equal(X, before)


def test_column_transformer_routes_columns_by_kind():
    X, _ = mixed_frame()
    pipeline = build_pipeline("logistic_regression", {}, X)
    transformers = {name: (t, cols) for name, t, cols in pipeline.named_steps["prepare"].transformers}
    assert transformers["numeric"][1] == ["size", "count"]
    assert transformers["boolean"][1] == ["flag"]
    assert isinstance(transformers["boolean"][0], OneHotEncoder)
    assert transformers["categorical"][1] == ["colour"]
    assert [n for n, _ in transformers["categorical"][0].steps] == ["impute", "onehot"]


@pytest.mark.parametrize("key", list(ALGORITHMS))
@pytest.mark.parametrize(
    "steps",
    [FeatureSteps(), FeatureSteps(impute="mean", scaling="minmax", poly_degree=2, select_k=6, pca=4)],
    ids=["default", "all-steps"],
)
def test_every_algorithm_fits_and_predicts_raw_mixed_rows(key, steps):
    X, y = mixed_frame()
    pipeline = build_pipeline(key, FAST.get(key, {}), X, seed=3, steps=steps)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings on a toy frame
        pipeline.fit(X, y)
    raw = pd.DataFrame(
        {
            "size": [np.nan, 0.3, 100.0],
            "count": [1, 9, 4],
            "flag": [True, False, True],
            "colour": [np.nan, "purple", "red"],  # missing and never seen: imputed and ignored
        }
    )
    predictions = pipeline.predict(raw)
    assert set(predictions) <= {"many", "few"}
    assert len(predictions) == 3
    if hasattr(pipeline, "predict_proba"):
        assert np.allclose(pipeline.predict_proba(raw).sum(axis=1), 1)


@pytest.mark.parametrize(
    ("impute", "expected"),
    [("median", 2.0), ("mean", 4.0), ("most_frequent", 1.0)],
)
def test_imputation_strategy_fills_missing_numbers(impute, expected):
    X = pd.DataFrame({"x": [1.0, 1.0, 3.0, 11.0, np.nan, np.nan]})
    y = pd.Series(["a", "a", "b", "b", "a", "b"])
    pipeline = build_pipeline("decision_tree", {}, X, steps=FeatureSteps(impute=impute, scaling="none"), seed=0).fit(
        X, y
    )
    imputer = pipeline.named_steps["prepare"].named_transformers_["numeric"].named_steps["impute"]
    assert imputer.strategy == impute
    assert imputer.statistics_.tolist() == [expected]
    assert pipeline[:-1].transform(pd.DataFrame({"x": [np.nan, 5.0]})).ravel().tolist() == [expected, 5.0]


def test_missing_categories_get_the_most_common_one():
    X = pd.DataFrame({"c": ["a", "a", "b", np.nan]})
    y = pd.Series(["x", "x", "y", "y"])
    pipeline = build_pipeline("decision_tree", {}, X, seed=0).fit(X, y)
    prepared = pipeline[:-1].transform(pd.DataFrame({"c": [np.nan, "b", "unseen"]}))
    assert prepared.tolist() == [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # ANOVA F of a column constant within a fold
@pytest.mark.parametrize(
    "steps",
    [FeatureSteps(pca=10), FeatureSteps(select_k=10, pca=10), FeatureSteps(poly_degree=2, pca=50)],
    ids=["pca", "select-pca", "poly-pca"],
)
def test_pca_survives_cv_folds_without_a_rare_category(steps):
    # the PCA size is capped by the width of the whole training split; a fold without the one 'rare' row used to
    # be a column narrower, and PCA refused to fit it
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=40),
            "flag": [True] + [False] * 39,
            "cat": ["rare"] + ["x", "y"] * 19 + ["x"],
        }
    )
    y = pd.Series(["p", "q"] * 20)
    pipeline = build_pipeline("logistic_regression", {}, X, steps=steps)
    metrics = cross_validated(pipeline, X, y, 5, 42)
    assert 0 <= metrics["cv_accuracy"] <= 1
    pipeline.fit(X, y)
    assert pipeline.predict(pd.DataFrame({"a": [0.0], "flag": [False], "cat": ["new"]})).shape == (1,)
