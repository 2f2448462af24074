"""core.ui.charts, C phase builders: each returns a plotly Figure with the expected traces."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from core.compare import diagnostics
from core.ui.charts import compare as compare_charts
from core.ui.charts import search as search_charts


@pytest.fixture(scope="module")
def curves():
    y = ["a", "a", "b", "b", "c", "c", "a"]
    proba = np.array(
        [
            [0.8, 0.1, 0.1],
            [0.5, 0.2, 0.3],
            [0.1, 0.8, 0.1],
            [0.4, 0.4, 0.2],
            [0.1, 0.1, 0.8],
            [0, 0.3, 0.7],
            [0.3, 0.6, 0.1],
        ]
    )
    proba = np.column_stack([proba * 0.9, np.full(len(y), 0.1)])
    return diagnostics.one_vs_rest_curves(y, proba, ["a", "b", "c", "d"])  # d: no rows, no curve


def test_confusion_heatmap_normalized():
    fig = compare_charts.confusion_heatmap_normalized(["a", "b"], [[3, 1], [0, 0]], title="run 1")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 1 and fig.data[0].type == "heatmap"
    assert [list(row) for row in fig.data[0].z] == [[0.75, 0.25], [0.0, 0.0]]
    assert fig.data[0].text[0][0] == "75%<br>(3)"
    assert fig.layout.title.text == "run 1"


def test_roc_curves(curves):
    fig = compare_charts.roc_curves(curves, title="ROC")
    assert isinstance(fig, go.Figure)
    names = [t.name for t in fig.data]
    assert len(names) == 4  # three classes + chance
    assert names[-1] == "chance"
    assert names[0] == f"a (AUC {curves['curves']['a']['auc']:.3f})"
    assert list(fig.data[-1].x) == [0, 1] and list(fig.data[-1].y) == [0, 1]


def test_precision_recall_curves(curves):
    fig = compare_charts.precision_recall_curves(curves)
    assert isinstance(fig, go.Figure)
    assert [t.name.split(" (AP ")[0] for t in fig.data] == ["a", "b", "c"]
    assert all("AP " in t.name for t in fig.data)


def test_curves_with_nothing_to_draw():
    empty = {"curves": {}, "macro_auc": None, "macro_average_precision": None, "notes": []}
    assert len(compare_charts.roc_curves(empty).data) == 1
    assert len(compare_charts.precision_recall_curves(empty).data) == 0


def test_metric_bars_with_cv():
    table = diagnostics.comparison_table(
        {
            "rf": {"test_accuracy": 0.9, "cv_accuracy": 0.92, "cv_accuracy_std": 0.02, "test_f1_macro": 0.88},
            "lr": {"test_accuracy": 0.85, "test_f1_macro": 0.8},
        },
        ["accuracy", "f1_macro"],
    )
    fig = compare_charts.metric_bars_with_cv(table)
    assert isinstance(fig, go.Figure)
    assert [(t.type, t.name) for t in fig.data] == [("bar", "rf"), ("scatter", "rf CV mean ± std"), ("bar", "lr")]
    assert list(fig.data[0].x) == ["accuracy", "f1_macro"]
    assert list(fig.data[1].error_y.array) == [0.02, 0.0]


def test_metric_bars_without_cv_columns():
    table = pd.DataFrame({"run": ["x", "y"], "metric": ["accuracy", "accuracy"], "test": [0.5, 0.6]})
    fig = compare_charts.metric_bars_with_cv(table)
    assert [t.type for t in fig.data] == ["bar", "bar"]


def test_permutation_importance_bar():
    frame = pd.DataFrame({"feature": ["p", "q", "r"], "mean": [0.3, 0.1, 0.0], "std": [0.01, 0.02, 0.0]})
    fig = compare_charts.permutation_importance_bar(frame, title="importance")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 1 and fig.data[0].orientation == "h"
    assert list(fig.data[0].y) == ["r", "q", "p"]  # the largest drawn at the top


def test_parallel_coordinates():
    trials = pd.DataFrame(
        {
            "trial": [0, 1, 2, 3],
            "status": ["FINISHED", "FINISHED", "FINISHED", "FAILED"],
            "CV accuracy": [0.9, 0.8, 0.85, None],
            "± std": [0.01, 0.02, 0.01, None],
            "n_estimators": ["10", "50", "100", "10"],
            "criterion": ["gini", "entropy", "gini", "gini"],
            "seconds": [1, 1, 1, 1],
            "error": ["", "", "", "boom"],
            "run": ["r0", "r1", "r2", "r3"],
        }
    )
    fig = search_charts.parallel_coordinates(trials, "accuracy")
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 1 and fig.data[0].type == "parcoords"
    dims = fig.data[0].dimensions
    assert [d.label for d in dims] == ["n_estimators", "criterion", "CV accuracy"]
    assert list(dims[0].values) == [10.0, 50.0, 100.0]  # numeric text read as numbers, failed trial left out
    assert list(dims[1].ticktext) == ["entropy", "gini"] and list(dims[1].values) == [1, 0, 1]
    assert list(dims[2].values) == [0.9, 0.8, 0.85]


def test_param_importance_bar():
    fig = search_charts.param_importance_bar({"criterion": 0.7, "max_depth": 0.2, "n_estimators": 0.1})
    assert isinstance(fig, go.Figure)
    assert len(fig.data) == 1
    assert list(fig.data[0].y) == ["n_estimators", "max_depth", "criterion"]
    assert list(fig.data[0].text) == ["10%", "20%", "70%"]
