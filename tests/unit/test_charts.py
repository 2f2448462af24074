"""core.ui.charts: every builder returns a plotly Figure of the expected shape."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from core.data import sets as data
from core.ui.charts import compare as compare_charts
from core.ui.charts import data as data_charts
from core.ui.charts import predict as predict_charts
from core.ui.charts import search as search_charts


@pytest.fixture(scope="module")
def iris():
    return data.load_builtin("iris")


def test_scatter_matrix(iris):
    fig = data_charts.scatter_matrix(iris, "species")
    assert isinstance(fig, go.Figure)
    assert {t.type for t in fig.data} == {"splom"}
    assert sorted(t.name for t in fig.data) == ["setosa", "versicolor", "virginica"]
    labels = [d["label"] for d in fig.data[0].dimensions]
    assert sorted(labels) == sorted(iris.columns[:4])
    assert fig.layout.height == 180 + 130 * 4


def test_scatter_matrix_limits_dimensions_and_rows():
    frame = data.load_builtin("breast_cancer")
    fig = data_charts.scatter_matrix(frame, "diagnosis", max_rows=100)
    assert len(fig.data[0].dimensions) == data_charts.MAX_SCATTER_DIMENSIONS
    assert sum(len(t.dimensions[0].values) for t in fig.data) == 100


def test_scatter_matrix_with_numeric_target():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "b": [4.0, 1.0, 2.0, 3.0], "y": [0, 1, 0, 1]})
    fig = data_charts.scatter_matrix(frame, "y")
    assert sorted(t.name for t in fig.data) == ["0", "1"]  # classes are coloured as categories
    assert sorted(d["label"] for d in fig.data[0].dimensions) == ["a", "b"]  # the target is no dimension


def test_class_balance_bar(iris):
    fig = data_charts.class_balance_bar(data.class_balance(iris, "species"))
    assert isinstance(fig, go.Figure)
    assert {t.type for t in fig.data} == {"bar"}
    assert fig.layout.xaxis.title.text == "class"
    assert fig.layout.yaxis.title.text == "rows"
    assert sorted(int(t.y[0]) for t in fig.data) == [50, 50, 50]
    assert fig.layout.showlegend is False


def test_confusion_heatmap():
    fig = compare_charts.confusion_heatmap(["a", "b"], [[3, 1], [0, 4]], title="Run 1")
    assert isinstance(fig, go.Figure)
    [trace] = fig.data
    assert trace.type == "heatmap"
    assert [list(r) for r in trace.z] == [[3, 1], [0, 4]]
    assert list(trace.x) == ["a", "b"] and list(trace.y) == ["a", "b"]
    assert fig.layout.xaxis.title.text == "predicted"
    assert fig.layout.yaxis.title.text == "true"
    assert fig.layout.yaxis.autorange == "reversed"
    assert fig.layout.title.text == "Run 1"


def test_probability_bar_highlights_the_winner():
    fig = predict_charts.probability_bar({"a": 0.2, "b": 0.7, "c": 0.1})
    [trace] = fig.data
    assert trace.type == "bar"
    assert list(trace.x) == ["a", "b", "c"]
    assert list(trace.y) == [0.2, 0.7, 0.1]
    assert list(trace.text) == ["20%", "70%", "10%"]
    assert list(trace.marker.color) == ["#90a4ae", "#2e7d32", "#90a4ae"]
    assert tuple(fig.layout.yaxis.range) == (0, 1)
    assert fig.layout.yaxis.tickformat == ".0%"


def test_probability_bar_empty():
    fig = predict_charts.probability_bar({})
    assert fig.data[0].type == "bar"
    assert len(fig.data[0].x or ()) == 0


def test_cv_scores_bar():
    scores = pd.DataFrame({"metric": ["accuracy", "f1_macro"], "mean": [0.9, 0.8], "std": [0.01, 0.05]})
    fig = search_charts.cv_scores_bar(scores)
    [trace] = fig.data
    assert trace.type == "bar"
    assert list(trace.x) == ["accuracy", "f1_macro"]
    assert list(trace.y) == [0.9, 0.8]
    assert list(trace.error_y.array) == [0.01, 0.05]
    assert tuple(fig.layout.yaxis.range) == (0, 1.05)


def test_test_metric_bars_groups_runs():
    table = pd.DataFrame({"run": ["rf", "lr"], "accuracy": [0.9, 0.95], "f1_macro": [0.88, 0.94], "ignored": [1, 2]})
    fig = compare_charts.test_metric_bars(table, ["accuracy", "f1_macro"])
    assert {t.type for t in fig.data} == {"bar"}
    assert [t.name for t in fig.data] == ["rf", "lr"]
    assert list(fig.data[1].x) == ["accuracy", "f1_macro"]
    assert list(fig.data[1].y) == [0.95, 0.94]
    assert fig.layout.barmode == "group"
    assert fig.layout.xaxis.title.text == "metric"
    assert fig.layout.yaxis.title.text == "score"


def test_prediction_counts_bar():
    fig = predict_charts.prediction_counts_bar(pd.Series(["a", "b", "a", "a"]))
    assert {t.type for t in fig.data} == {"bar"}
    assert {t.name: int(t.y[0]) for t in fig.data} == {"a": 3, "b": 1}
    assert fig.layout.xaxis.title.text == "class"


def test_class_labels_that_read_as_numbers_stay_categories():
    """Years as classes (2007, 2008, 2009) are three bars, not a number line from 2,006.5 to 2,009."""
    from core.data import sets as data

    frame = pd.DataFrame({"year": [2007, 2008, 2009, 2008], "x": [1.0, 2.0, 3.0, 4.0]})
    assert data_charts.class_balance_bar(data.class_balance(frame, "year")).layout.xaxis.type == "category"
    assert predict_charts.probability_bar({"2007": 0.2, "2008": 0.8}).layout.xaxis.type == "category"
    heatmap = compare_charts.confusion_heatmap(["1", "2"], [[3, 1], [0, 4]])
    assert heatmap.layout.xaxis.type == "category" and heatmap.layout.yaxis.type == "category"


def test_the_model_history_puts_each_evaluated_version_in_time_and_marks_every_alias_move():
    from core.question.kpis import KPI
    from core.registry.governance import AuditEntry
    from core.ui.charts.registry import model_history

    day = 86_400_000
    versions = [  # as model_registry.versions_table gives them, newest first
        {"version": "3", "created": 3 * day, "test_accuracy": None, "test_f1_macro": None},
        {"version": "2", "created": 2 * day, "test_accuracy": 0.97, "test_f1_macro": 0.96},
        {"version": "1", "created": 1 * day, "test_accuracy": 0.93, "test_f1_macro": None},
    ]
    moves = [
        AuditEntry("a", int(1.5 * day), "ana", "set", "production", None, "1"),
        AuditEntry("b", int(2.5 * day), "bo", "set", "production", "1", "2"),
        AuditEntry("c", int(2.6 * day), "bo", "protect", "production", None, None),  # the gate's own: no mark
        AuditEntry("d", int(2.8 * day), "ana", "remove", "staging", "2", None),
    ]

    figure = model_history(versions, moves, [KPI("accuracy", ">=", 0.95)])

    accuracy, f1 = figure.data
    assert list(accuracy.text) == ["v1", "v2"] and list(accuracy.y) == [0.93, 0.97]  # v3 is not evaluated
    assert list(f1.text) == ["v2"]
    marks = [a.text.split(" · ")[0] for a in figure.layout.annotations]
    assert "@production → v1" in marks and "@production → v2" in marks and "@staging → removed" in marks
    assert list(figure.layout.xaxis.categoryarray) == ["v1", "v2", "v3"]  # every version, in registration order
    assert len([s for s in figure.layout.shapes if s.line.dash == "dot"]) == 3  # one line per move
    assert any(s.y0 == 0.95 for s in figure.layout.shapes)  # the accuracy KPI
    assert model_history(versions[:1], moves) is None  # nothing evaluated: no chart
