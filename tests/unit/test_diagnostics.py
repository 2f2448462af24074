"""core.compare.diagnostics: per-class metrics, curves, mistakes and importances on held-out rows."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from core.compare import diagnostics
from core.data import sets as data
from core.train.algorithms import build_pipeline

PETALS = {"petal length (cm)", "petal width (cm)"}


@pytest.fixture(scope="module")
def iris_model():
    frame = data.load_builtin("iris")
    X, y = frame.drop(columns="species"), frame["species"]
    model = build_pipeline("random_forest", {"n_estimators": 20}, X).fit(X, y)
    return model, X, y


# ---- per_class_report ----


def test_per_class_report_by_hand():
    y_true = ["a", "a", "a", "b", "b", "c"]
    y_pred = ["a", "a", "b", "b", "c", "c"]
    # a: predicted at rows 0,1 (both right)   -> precision 2/2 = 1,   recall 2/3, F1 = 2·1·(2/3)/(5/3) = 0.8
    # b: predicted at rows 2,3 (row 3 right)  -> precision 1/2,       recall 1/2, F1 = 0.5
    # c: predicted at rows 4,5 (row 5 right)  -> precision 1/2,       recall 1/1, F1 = 2·0.5·1/1.5 = 2/3
    # macro: precision (1+.5+.5)/3 = 2/3, recall (2/3+1/2+1)/3 = 13/18, F1 (0.8+0.5+2/3)/3
    # weighted by support 3,2,1: precision (3+1+.5)/6 = 0.75, recall (2+1+1)/6 = 2/3 (= accuracy),
    #                            F1 (2.4+1+2/3)/6
    report = diagnostics.per_class_report(y_true, y_pred, ["a", "b", "c"])
    assert list(report.columns) == ["class", "precision", "recall", "f1", "support"]
    assert report["class"].tolist() == ["a", "b", "c", "macro avg", "weighted avg"]
    expected = [
        (1.0, 2 / 3, 0.8, 3),
        (0.5, 0.5, 0.5, 2),
        (0.5, 1.0, 2 / 3, 1),
        (2 / 3, 13 / 18, (0.8 + 0.5 + 2 / 3) / 3, 6),
        (0.75, 2 / 3, (2.4 + 1 + 2 / 3) / 6, 6),
    ]
    for (_, row), (p, r, f, s) in zip(report.iterrows(), expected, strict=True):
        assert row["precision"] == pytest.approx(p)
        assert row["recall"] == pytest.approx(r)
        assert row["f1"] == pytest.approx(f)
        assert row["support"] == s


def test_per_class_report_zero_division_and_numeric_labels():
    report = diagnostics.per_class_report([0, 0, 1], [0, 0, 0], ["0", "1", "2"])
    row1 = report.set_index("class").loc["1"]
    assert (row1["precision"], row1["recall"], row1["f1"], row1["support"]) == (0.0, 0.0, 0.0, 1)
    assert report.set_index("class").loc["2", "support"] == 0  # a class never seen: zeros, no warning


# ---- normalized_confusion ----


@pytest.mark.parametrize(
    ("matrix", "expected"),
    [
        ([[2, 1, 0], [0, 0, 0], [1, 1, 2]], [[2 / 3, 1 / 3, 0.0], [0.0, 0.0, 0.0], [0.25, 0.25, 0.5]]),
        ([[5, 0], [0, 5]], [[1.0, 0.0], [0.0, 1.0]]),
        ([], []),
    ],
)
def test_normalized_confusion(matrix, expected):
    result = diagnostics.normalized_confusion(matrix)
    assert len(result) == len(expected)
    for got, want in zip(result, expected, strict=True):
        assert got == pytest.approx(want)


# ---- one_vs_rest_curves ----


def test_curves_separable_case_is_perfect():
    y = ["a", "a", "b", "b", "c", "c"]
    proba = np.array(
        [[0.8, 0.1, 0.1], [0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8], [0, 0.3, 0.7]]
    )
    result = diagnostics.one_vs_rest_curves(y, proba, ["a", "b", "c"])
    assert list(result["curves"]) == ["a", "b", "c"]
    for curve in result["curves"].values():
        assert curve["auc"] == 1.0
        assert curve["average_precision"] == 1.0
        assert curve["fpr"][0] == 0.0 and curve["tpr"][-1] == 1.0
        assert curve["positives"] == 2
    assert result["macro_auc"] == 1.0
    assert result["macro_average_precision"] == 1.0
    assert result["notes"] == []


def test_curves_random_case_matches_sklearn():
    from sklearn.metrics import average_precision_score, roc_auc_score

    rng = np.random.default_rng(0)
    classes = ["x", "y", "z"]
    y = rng.choice(classes, size=60)
    proba = rng.dirichlet([1, 1, 1], size=60)
    result = diagnostics.one_vs_rest_curves(y, proba, classes)
    assert result["macro_auc"] == pytest.approx(roc_auc_score(y, proba, multi_class="ovr", labels=classes))
    for i, cls in enumerate(classes):
        assert result["curves"][cls]["auc"] == pytest.approx(roc_auc_score(y == cls, proba[:, i]))
        assert result["curves"][cls]["average_precision"] == pytest.approx(
            average_precision_score(y == cls, proba[:, i])
        )


@pytest.mark.parametrize("one_column", [True, False])
def test_curves_binary(one_column):
    from sklearn.metrics import roc_auc_score

    y = np.array([0, 1, 1, 0, 1, 0, 1])
    p1 = np.array([0.2, 0.9, 0.4, 0.5, 0.8, 0.1, 0.3])
    proba = p1 if one_column else np.column_stack([1 - p1, p1])
    result = diagnostics.one_vs_rest_curves(y, proba, [0, 1])
    assert list(result["curves"]) == ["0", "1"]
    expected = roc_auc_score(y, p1)
    assert result["curves"]["1"]["auc"] == pytest.approx(expected)
    assert result["curves"]["0"]["auc"] == pytest.approx(expected)  # one-vs-rest is symmetric for two classes
    assert result["macro_auc"] == pytest.approx(expected)


def test_curves_absent_and_unknown_classes_get_notes():
    y = ["a", "b", "a", "b", "q"]
    proba = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4]])
    result = diagnostics.one_vs_rest_curves(y, proba, ["a", "b", "c"])
    assert list(result["curves"]) == ["a", "b"]
    assert any("'c'" in note for note in result["notes"])
    assert any("'q'" in note and "never learned" in note for note in result["notes"])


def test_curves_single_class_and_bad_shape():
    result = diagnostics.one_vs_rest_curves(["a", "a"], np.array([[0.9, 0.1], [0.8, 0.2]]), ["a", "b"])
    assert result["curves"] == {} and result["macro_auc"] is None
    assert len(result["notes"]) == 2  # every row is a; no row is b
    with pytest.raises(ValueError, match="do not fit"):
        diagnostics.one_vs_rest_curves(["a", "b"], np.ones((2, 3)), ["a", "b"])


# ---- wrong_rows ----


def test_wrong_rows_with_probabilities():
    X = pd.DataFrame({"f": [1.0, 2.0, 3.0, 4.0], "g": ["u", "v", "w", "x"]}, index=[10, 11, 12, 13])
    y_true = pd.Series(["a", "b", "a", "b"], index=[0, 1, 2, 3])  # index unlike X's: matched by position
    y_pred = ["a", "a", "b", "b"]
    proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8], [0.3, 0.7]])
    out = diagnostics.wrong_rows(X, y_true, y_pred, proba, ["a", "b"])
    assert out.index.tolist() == [12, 11]  # the most confident mistake first
    assert out.columns.tolist() == ["true class", "predicted class", "confidence", "true class probability", "f", "g"]
    assert out.loc[12, "true class"] == "a" and out.loc[12, "predicted class"] == "b"
    assert out["confidence"].tolist() == pytest.approx([0.8, 0.6])
    assert out["true class probability"].tolist() == pytest.approx([0.2, 0.4])
    assert out.loc[11, "g"] == "v"


def test_wrong_rows_without_probabilities_and_none_wrong():
    X = pd.DataFrame({"f": [1, 2, 3]})
    out = diagnostics.wrong_rows(X, [1, 2, 3], [1, 5, 3])
    assert out.index.tolist() == [1]
    assert out.columns.tolist() == ["true class", "predicted class", "f"]
    assert (out.loc[1, "true class"], out.loc[1, "predicted class"]) == ("2", "5")
    assert diagnostics.wrong_rows(X, [1, 2, 3], [1, 2, 3]).empty
    with pytest.raises(ValueError, match="classes"):
        diagnostics.wrong_rows(X, [1, 2, 3], [1, 5, 3], proba=np.ones((3, 2)))


def test_wrong_rows_prediction_outside_classes_has_no_confidence():
    X = pd.DataFrame({"f": [1, 2]})
    out = diagnostics.wrong_rows(X, ["a", "b"], ["z", "b"], np.array([[0.5, 0.5], [0.1, 0.9]]), ["a", "b"])
    assert math.isnan(out.loc[0, "confidence"])
    assert out.loc[0, "true class probability"] == 0.5


# ---- permutation importance and probabilities ----


def test_permutation_importance_ranks_petals_first(iris_model):
    model, X, y = iris_model
    frame = diagnostics.permutation_importance_frame(model, X, y, repeats=5)
    assert list(frame.columns) == ["feature", "mean", "std"]
    assert set(frame["feature"]) == set(X.columns)
    assert frame["mean"].is_monotonic_decreasing
    assert set(frame["feature"].head(2)) == PETALS
    assert frame["mean"].iloc[0] > 0.1


def test_permutation_importance_other_scorings(iris_model):
    model, X, y = iris_model
    frame = diagnostics.permutation_importance_frame(model, X, y, scoring="f1_macro", repeats=2)
    assert frame["feature"].iloc[0] in PETALS
    frame = diagnostics.permutation_importance_frame(model, X, y, scoring="neg_log_loss", repeats=2)  # sklearn's
    assert frame["mean"].iloc[0] > 0


def test_model_probabilities_of_a_pipeline(iris_model):
    model, X, _ = iris_model
    proba, classes = diagnostics.model_probabilities(model, X.head(5))
    assert proba.shape == (5, 3)
    assert classes == ["setosa", "versicolor", "virginica"]
    assert proba.sum(axis=1) == pytest.approx(np.ones(5))
    assert diagnostics.no_probabilities_reason(model) is None


class _PredictOnly:
    classes_ = np.array(["a", "b"])

    def predict(self, X):
        return np.array(["a"] * len(X))


class _PyfuncLike:
    def __init__(self, raw=None):
        self.raw = raw

    def predict(self, X):
        return np.array(["a"] * len(X))

    def get_raw_model(self):
        if self.raw is None:
            raise NotImplementedError("a python_function model")
        return self.raw


def test_model_probabilities_none_without_predict_proba(iris_model):
    from sklearn.pipeline import make_pipeline
    from sklearn.svm import LinearSVC

    _, X, y = iris_model
    for model in (_PredictOnly(), _PyfuncLike(), make_pipeline(LinearSVC()).fit(X, y)):
        assert diagnostics.model_probabilities(model, X.head(3)) is None
        assert diagnostics.no_probabilities_reason(model) == diagnostics.NO_PROBABILITIES


def test_model_probabilities_through_a_pyfunc_wrapper(iris_model):
    model, X, _ = iris_model
    proba, classes = diagnostics.model_probabilities(_PyfuncLike(model), X.head(2))
    assert proba.shape == (2, 3) and len(classes) == 3


# ---- comparison table and trials ----


def test_comparison_table():
    table = diagnostics.comparison_table(
        {
            "rf": {"test_accuracy": 0.9, "cv_accuracy": 0.92, "cv_accuracy_std": 0.02, "test_f1_macro": 0.88},
            "lr": {"test_accuracy": 0.85},
        },
        ["accuracy", "f1_macro"],
    )
    assert table.columns.tolist() == ["run", "metric", "test", "cv_mean", "cv_std"]
    assert len(table) == 4
    rf = table[(table["run"] == "rf") & (table["metric"] == "accuracy")].iloc[0]
    assert (rf["test"], rf["cv_mean"], rf["cv_std"]) == (0.9, 0.92, 0.02)
    assert table[table["run"] == "lr"]["cv_mean"].isna().all()


def _trials(n: int, seed: int = 0) -> pd.DataFrame:
    """A trials_frame-like table (values as text) whose score is decided by 'criterion'."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        criterion = ["gini", "entropy", "log_loss"][i % 3]
        score = {"gini": 0.95, "entropy": 0.7, "log_loss": 0.5}[criterion] + rng.normal(0, 0.005)
        rows.append(
            {
                "trial": i,
                "status": "FINISHED",
                "CV accuracy": score,
                "± std": 0.01,
                "best so far": None,
                "n_estimators": str(int(rng.integers(10, 300))),
                "max_depth": str(rng.choice(["None", "3", "10"])),
                "criterion": criterion,
                "seconds": 0.1,
                "error": "",
                "run": f"{i:08d}",
            }
        )
    rows.append({**rows[0], "trial": n, "status": "FAILED", "CV accuracy": None, "error": "boom"})
    return pd.DataFrame(rows)


def test_trial_params_and_finished_trials():
    trials = _trials(6)
    assert diagnostics.trial_params(trials) == ["n_estimators", "max_depth", "criterion"]
    assert len(diagnostics.finished_trials(trials, "CV accuracy")) == 6


def test_hyperparameter_importance_fanova_finds_the_deciding_param():
    trials = _trials(30)
    params = diagnostics.trial_params(trials)
    importances = diagnostics.hyperparameter_importance(trials, params, "CV accuracy")
    assert set(importances) == set(params)
    assert sum(importances.values()) == pytest.approx(1.0)
    assert next(iter(importances)) == "criterion"
    assert importances["criterion"] > 0.8
    assert diagnostics.hyperparameter_importance_method(trials, "CV accuracy").startswith("fANOVA")


def test_hyperparameter_importance_numeric_param_decides():
    rng = np.random.default_rng(1)
    lr = rng.uniform(0.001, 1.0, 20)
    trials = pd.DataFrame(
        {"lr": lr, "depth": rng.integers(1, 10, 20), "kernel": rng.choice(["rbf", "linear"], 20), "score": 1 - lr}
    )
    importances = diagnostics.hyperparameter_importance(trials, ["lr", "depth", "kernel"], "score")
    assert max(importances, key=importances.get) == "lr"


def test_hyperparameter_importance_fallback_with_few_trials():
    trials = _trials(4)  # 4 finished + 1 failed: below MIN_TRIALS_FOR_FANOVA
    params = diagnostics.trial_params(trials)
    assert "Spearman" in diagnostics.hyperparameter_importance_method(trials, "CV accuracy")
    importances = diagnostics.hyperparameter_importance(trials, params, "CV accuracy")
    assert sum(importances.values()) == pytest.approx(1.0)
    assert max(importances, key=importances.get) == "criterion"


def test_hyperparameter_importance_fallback_numeric_and_constant():
    trials = pd.DataFrame({"a": ["1", "2", "3"], "b": ["7", "7", "7"], "score": [0.1, 0.2, 0.3]})
    assert diagnostics.hyperparameter_importance(trials, ["a", "b"], "score") == {"a": 1.0, "b": 0.0}


@pytest.mark.parametrize(
    ("trials", "params"),
    [
        (pd.DataFrame({"a": ["1"], "score": [0.5]}), ["a"]),  # one finished trial
        (pd.DataFrame({"a": ["1", "2"], "score": [0.5, 0.6]}), []),  # nothing to rank
        (pd.DataFrame({"a": ["1", "2"], "score": [0.5, 0.6]}), ["missing"]),
    ],
)
def test_hyperparameter_importance_nothing_to_say(trials, params):
    assert diagnostics.hyperparameter_importance(trials, params, "score") == {}


def test_fanova_takes_each_hyperparameters_distribution_from_the_search_space():
    """Integers stay integers and a log range stays logarithmic (guessed from the values, both became plain
    floats over the range seen); a value outside the space, as other code may log, falls back to the guess."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    from core.train.search_space import Dimension

    trees = Dimension("n_estimators", "int", 10, 300)
    rate = Dimension("learning_rate", "float", 0.001, 1.0, log=True)
    kind = Dimension("criterion", "choice", choices=("gini", "entropy"))
    distribution, values = diagnostics._in_space(trees, pd.Series(["10", "250", "99"]))
    assert distribution == IntDistribution(10, 300) and values == [10, 250, 99]
    assert all(type(v) is int for v in values)
    distribution, values = diagnostics._in_space(rate, pd.Series(["0.01", "0.5"]))
    assert distribution == FloatDistribution(0.001, 1.0, log=True) and values == [0.01, 0.5]
    distribution, _ = diagnostics._in_space(kind, pd.Series(["gini", "entropy"]))
    assert distribution == CategoricalDistribution(["gini", "entropy"])
    assert diagnostics._in_space(trees, pd.Series(["10", "500"])) is None  # outside the space
    assert diagnostics._in_space(kind, pd.Series(["log_loss"])) is None
    assert diagnostics._in_space(None, pd.Series(["1"])) is None

    rng = np.random.default_rng(3)
    n = rng.integers(10, 300, 24)
    trials = pd.DataFrame(
        {
            "n_estimators": [str(v) for v in n],
            "learning_rate": [str(v) for v in rng.uniform(0.001, 1.0, 24)],
            "criterion": rng.choice(["gini", "entropy"], 24),
            "score": n / 300,
        }
    )
    params = ["n_estimators", "learning_rate", "criterion"]
    importances = diagnostics.hyperparameter_importance(trials, params, "score", (trees, rate, kind))
    assert max(importances, key=importances.get) == "n_estimators"
    assert sum(importances.values()) == pytest.approx(1.0)
