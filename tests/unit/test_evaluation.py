"""core.compare.evaluation: held-out metrics, confusion matrix, latency, permutation importance, confusion figure
and KPI verdict, computed once per run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.compare import diagnostics, evaluation
from core.compare.evaluation import EvaluationError, confusion, score_predictions
from core.question.kpis import KPI, primary_metric
from core.train import training

ALL_ARTIFACTS = {
    evaluation.EVALUATION_ARTIFACT,
    evaluation.PER_CLASS_ARTIFACT,
    evaluation.IMPORTANCE_ARTIFACT,
    evaluation.CONFUSION_FIGURE_ARTIFACT,
}


def fresh_client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "expected"),
    [
        (
            ["a", "a", "b", "b"],
            ["a", "a", "b", "b"],
            {"accuracy": 1.0, "balanced_accuracy": 1.0, "f1_macro": 1.0, "precision_macro": 1.0, "recall_macro": 1.0},
        ),
        (
            ["a", "a", "a", "b"],
            ["a", "a", "b", "b"],
            # a: precision 1, recall 2/3; b: precision 1/2, recall 1
            {
                "accuracy": 0.75,
                "balanced_accuracy": (2 / 3 + 1) / 2,
                "f1_macro": (0.8 + 2 / 3) / 2,
                "precision_macro": 0.75,
                "recall_macro": (2 / 3 + 1) / 2,
            },
        ),
        (
            ["a", "b", "c", "c"],
            ["a", "a", "a", "a"],
            {
                "accuracy": 0.25,
                "balanced_accuracy": 1 / 3,
                "f1_macro": 0.4 / 3,
                "precision_macro": 0.25 / 3,
                "recall_macro": 1 / 3,
            },
        ),
        (
            [1, 2, 1, 2],  # numbers compare as their text
            ["1", "2", "2", "2"],
            {
                "accuracy": 0.75,
                "balanced_accuracy": 0.75,
                "f1_macro": (2 / 3 + 0.8) / 2,
                "precision_macro": (1 + 2 / 3) / 2,
                "recall_macro": 0.75,
            },
        ),
    ],
)
def test_score_predictions(y_true, y_pred, expected):
    scores = score_predictions(y_true, y_pred)
    assert set(scores) == set(expected)
    for metric, value in expected.items():
        assert scores[metric] == pytest.approx(value), metric
        assert isinstance(scores[metric], float)


@pytest.mark.parametrize(
    ("y_true", "y_pred", "labels", "matrix"),
    [
        (["a", "b", "b"], ["a", "b", "a"], ["a", "b"], [[1, 0], [1, 1]]),
        (["x", "x"], ["y", "z"], ["x", "y", "z"], [[0, 1, 1], [0, 0, 0], [0, 0, 0]]),
        (pd.Series(["b", "a"]), ["b", "a"], ["a", "b"], [[1, 0], [0, 1]]),
    ],
)
def test_confusion(y_true, y_pred, labels, matrix):
    assert confusion(y_true, y_pred) == (labels, matrix)


def test_single_row_latency_calls_one_row_at_a_time():
    calls = []
    frame = pd.DataFrame({"x": range(80)})
    p50, p95 = evaluation.single_row_latency_ms(lambda rows: calls.append(len(rows)), frame, rows=10)
    assert calls == [1] * 11  # one warm-up, then one call per row
    assert 0 <= p50 <= p95


@pytest.fixture
def trained(iris_project):
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "logistic_regression")
    return project, record, result


def test_evaluate_run_logs_metrics_and_artifact(trained):
    project, record, result = trained
    kpis = [KPI("accuracy", ">", 0.5), KPI("latency_ms", "<", 10_000.0)]
    ev = evaluation.evaluate_run(result.run_id, kpis)
    assert ev.run_id == result.run_id
    assert ev.test_rows == 30
    assert ev.labels == ["setosa", "versicolor", "virginica"]
    assert sum(map(sum, ev.confusion)) == 30
    assert [sum(row) for row in ev.confusion] == [10, 10, 10]
    assert set(ev.metrics) == {
        "accuracy",
        "balanced_accuracy",
        "f1_macro",
        "precision_macro",
        "recall_macro",
        "latency_ms",
        "latency_ms_p50",
    }
    assert ev.metrics["accuracy"] == pytest.approx(sum(ev.confusion[i][i] for i in range(3)) / 30)
    assert 0 < ev.metrics["latency_ms_p50"] <= ev.metrics["latency_ms"]
    assert ev.verdict(kpis) == "pass"
    assert ev.verdict([KPI("accuracy", ">", 1.0)]) == "fail"

    run = fresh_client().get_run(result.run_id)
    for key, value in ev.metrics.items():
        assert run.data.metrics[f"test_{key}"] == pytest.approx(value)
    assert run.data.tags[evaluation.TAG_VERDICT] == "pass"
    assert run.data.tags[evaluation.TAG_VERDICT_KPIS] == "accuracy > 0.5, latency_ms < 10000"
    paths = {f.path for f in fresh_client().list_artifacts(result.run_id, "evaluation")}
    assert paths == ALL_ARTIFACTS
    assert evaluation.load_evaluation(result.run_id) == ev


def test_second_evaluation_reuses_the_stored_result(trained, monkeypatch):
    import mlflow

    _, _, result = trained
    first = evaluation.evaluate_run(result.run_id)
    assert evaluation.TAG_VERDICT not in fresh_client().get_run(result.run_id).data.tags  # no KPIs, no verdict

    def refuse(*args, **kwargs):
        raise AssertionError("the model must not be loaded again")

    monkeypatch.setattr(mlflow.pyfunc, "load_model", refuse)
    second = evaluation.evaluate_run(result.run_id, [KPI("accuracy", ">", 1.0)])
    assert second == first
    run = fresh_client().get_run(result.run_id)
    history = fresh_client().get_metric_history(result.run_id, "test_accuracy")
    assert len(history) == 1  # logged once
    assert run.data.tags[evaluation.TAG_VERDICT] == "fail"  # the verdict follows the KPIs given


def test_load_evaluation_of_unevaluated_run(trained):
    assert evaluation.load_evaluation(trained[2].run_id) is None


def test_run_without_workbench_tags_cannot_be_evaluated(iris_project):
    import mlflow

    project, _ = iris_project
    with mlflow.start_run(experiment_id=project.experiment_id) as run:
        mlflow.log_metric("x", 1.0)
    with pytest.raises(EvaluationError, match="not trained by the workbench"):
        evaluation.evaluate_run(run.info.run_id)


def test_data_run_cannot_be_evaluated(iris_project):
    _, record = iris_project
    with pytest.raises(EvaluationError, match="held-out rows are unknown"):
        evaluation.evaluate_run(record.run_id)


def test_missing_run_cannot_be_evaluated(store):
    with pytest.raises(EvaluationError, match="There is no run"):
        evaluation.evaluate_run("f" * 32)


def test_unloadable_model_is_an_evaluation_error(trained):
    _, _, result = trained
    fresh_client().set_tag(result.run_id, training.TAG_MODEL_URI, "models:/m-doesnotexist")
    with pytest.raises(EvaluationError, match="cannot be loaded"):
        evaluation.evaluate_run(result.run_id)
    assert evaluation.load_evaluation(result.run_id) is None


# --- permutation importance and the confusion figure ----------------------------------------------------------


@pytest.mark.parametrize(
    ("kpis", "metric"),
    [
        (None, "accuracy"),
        ([], "accuracy"),
        ([KPI("latency_ms", "<", 100.0)], "accuracy"),
        ([KPI("latency_ms", "<", 100.0), KPI("f1_macro", ">", 0.5), KPI("accuracy", ">", 0.5)], "f1_macro"),
        ((KPI("recall_macro", ">=", 0.9),), "recall_macro"),
    ],
)
def test_primary_metric_is_the_first_score_kpi(kpis, metric):
    assert primary_metric(kpis) == metric


class OnlyColumnA:
    """Predicts from column a alone and has no fit: permutation_importance needs the workbench's wrapper."""

    def predict(self, X):
        return np.where(X["a"].to_numpy() > 0, "pos", "neg")


def two_columns(rows: int) -> tuple[pd.DataFrame, pd.Series]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)}, index=range(100, 100 + rows))
    return X, pd.Series(np.where(X["a"] > 0, "pos", "neg"), index=X.index)


def test_held_out_importance_of_a_predict_only_model():
    X, y = two_columns(40)
    record, reason = evaluation.held_out_importance(OnlyColumnA(), X, y, "balanced_accuracy")
    assert reason is None
    assert record["metric"] == "balanced_accuracy"
    assert (record["rows"], record["sampled_from"], record["repeats"], record["seed"]) == (40, None, 5, 42)
    assert record["features"] == ["a", "b"]  # largest first
    assert record["mean"][0] > 0.3
    assert record["mean"][1] == 0.0 and record["std"][1] == 0.0  # shuffling b changes nothing


def test_held_out_importance_samples_at_most_max_rows():
    X, y = two_columns(50)
    first, _ = evaluation.held_out_importance(OnlyColumnA(), X, y, max_rows=20, repeats=3)
    again, _ = evaluation.held_out_importance(OnlyColumnA(), X, y, max_rows=20, repeats=3)
    assert (first["rows"], first["sampled_from"], first["repeats"]) == (20, 50, 3)
    assert (first["mean"], first["std"]) == (again["mean"], again["std"])  # a seeded sample


class FailsOnShuffledRows(OnlyColumnA):
    """Predicts the rows it was first given and fails on any others, like a model meeting unseen values."""

    def __init__(self):
        self.seen = None

    def predict(self, X):
        if self.seen is None:
            self.seen = X.copy()
        elif not X.equals(self.seen):
            raise ValueError("Found unknown categories ['x'] in column 0\nduring transform")
        return super().predict(X)


def test_held_out_importance_failure_is_a_one_line_reason():
    X, y = two_columns(30)
    record, reason = evaluation.held_out_importance(FailsOnShuffledRows(), X, y)
    assert record is None
    assert reason == (
        "Permutation importance could not be computed: Found unknown categories ['x'] in column 0 during transform"
    )


def test_confusion_figure_shows_classes_counts_and_axis_titles():
    from matplotlib._pylab_helpers import Gcf
    from matplotlib.figure import Figure

    labels, matrix = ["cat", "dog", "owl"], [[5, 1, 0], [2, 7, 0], [0, 0, 3]]
    figure = evaluation.confusion_figure(labels, matrix)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_xlabel() == "predicted class"
    assert ax.get_ylabel() == "true class"
    assert [t.get_text() for t in ax.get_xticklabels()] == labels
    assert [t.get_text() for t in ax.get_yticklabels()] == labels
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert cells == {(i, j): str(matrix[i][j]) for i in range(3) for j in range(3)}  # (row: true, column: predicted)
    assert Gcf.get_num_fig_managers() == 0  # not registered with pyplot, so nothing keeps it alive


def test_evaluate_run_stores_and_logs_permutation_importance(trained):
    import mlflow

    project, record, result = trained
    kpis = [KPI("latency_ms", "<", 10_000.0), KPI("balanced_accuracy", ">", 0.5), KPI("accuracy", ">", 0.5)]
    ev = evaluation.evaluate_run(result.run_id, kpis)

    assert ev.no_importance is None
    importance = ev.importance
    assert importance["metric"] == "balanced_accuracy" == primary_metric(kpis)
    assert (importance["rows"], importance["sampled_from"], importance["repeats"]) == (30, None, 5)
    assert sorted(importance["features"]) == sorted(record.features)  # one row per raw feature column
    assert len(importance["mean"]) == len(importance["std"]) == len(record.features) == 4
    frame = ev.importance_frame()
    assert list(frame.columns) == ["feature", "mean", "std"]
    assert frame["mean"].is_monotonic_decreasing
    assert frame["mean"].iloc[0] > 0  # some iris measurement matters to a model that is right ~95% of the time

    # the same numbers as computing it directly on the held-out rows with the logged model
    X_test, y_test = record.test_xy()
    model = mlflow.sklearn.load_model(fresh_client().get_run(result.run_id).data.tags[training.TAG_MODEL_URI])
    direct = diagnostics.permutation_importance_frame(model, X_test, y_test, "balanced_accuracy", 5, 42)
    pd.testing.assert_frame_equal(frame, direct)

    assert evaluation.load_evaluation(result.run_id) == ev
    paths = {f.path for f in fresh_client().list_artifacts(result.run_id, "evaluation")}
    assert paths == ALL_ARTIFACTS
    table = fresh_client().load_table(project.experiment_id, evaluation.IMPORTANCE_ARTIFACT, [result.run_id])
    pd.testing.assert_frame_equal(table[["feature", "mean", "std"]], frame)


def test_evaluate_run_logs_a_confusion_matrix_picture(trained, tmp_path):
    import mlflow
    from matplotlib.image import imread

    _, _, result = trained
    evaluation.evaluate_run(result.run_id)
    path = mlflow.artifacts.download_artifacts(
        run_id=result.run_id, artifact_path=evaluation.CONFUSION_FIGURE_ARTIFACT, dst_path=str(tmp_path)
    )
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"
    height, width, _ = imread(path).shape
    assert height >= 300 and width >= 300


def test_second_evaluation_reuses_the_stored_importance(trained, monkeypatch):
    _, _, result = trained
    first = evaluation.evaluate_run(result.run_id, [KPI("f1_macro", ">", 0.5)])
    assert first.importance["metric"] == "f1_macro"

    def refuse(*args, **kwargs):
        raise AssertionError("permutation importance must not be computed again")

    monkeypatch.setattr(diagnostics, "permutation_importance_frame", refuse)
    second = evaluation.evaluate_run(result.run_id, [KPI("accuracy", ">", 0.5)])
    assert second.importance == first.importance  # stored with the evaluation, whatever the KPIs now
    assert second.no_importance is None


def test_evaluation_stored_before_importance_loads_with_a_reason(trained):
    import mlflow

    _, _, result = trained
    evaluation.evaluate_run(result.run_id)
    uri = f"runs:/{result.run_id}/{evaluation.EVALUATION_ARTIFACT}"
    old = {k: v for k, v in mlflow.artifacts.load_dict(uri).items() if k not in ("importance", "no_importance")}
    fresh_client().log_dict(result.run_id, old, evaluation.EVALUATION_ARTIFACT)  # as an older workbench stored it

    loaded = evaluation.load_evaluation(result.run_id)
    assert loaded.importance is None
    assert loaded.importance_frame() is None
    assert loaded.no_importance == evaluation.NO_IMPORTANCE_BEFORE
    assert evaluation.evaluate_run(result.run_id).importance is None  # reused as stored …
    assert evaluation.evaluate_run(result.run_id, again=True).importance is not None  # … until evaluated again
    assert evaluation.load_evaluation(result.run_id).no_importance is None


def test_importance_failure_still_stores_the_evaluation(trained, monkeypatch):
    _, _, result = trained

    def fail(*args, **kwargs):
        raise ValueError("X has feature names\nthat differ")

    monkeypatch.setattr(diagnostics, "permutation_importance_frame", fail)
    ev = evaluation.evaluate_run(result.run_id, [KPI("accuracy", ">", 0.5)])
    assert ev.importance is None
    assert ev.no_importance == "Permutation importance could not be computed: X has feature names that differ"
    assert ev.metrics["accuracy"] > 0.5 and ev.verdict([KPI("accuracy", ">", 0.5)]) == "pass"
    assert evaluation.load_evaluation(result.run_id) == ev
    assert "test_accuracy" in fresh_client().get_run(result.run_id).data.metrics
    paths = {f.path for f in fresh_client().list_artifacts(result.run_id, "evaluation")}
    assert paths == ALL_ARTIFACTS - {evaluation.IMPORTANCE_ARTIFACT}
