"""core.evaluation: held-out metrics, confusion matrix, latency and KPI verdict, computed once per run."""

from __future__ import annotations

import pandas as pd
import pytest

from core import evaluation, training
from core.evaluation import EvaluationError, confusion, score_predictions
from core.kpis import KPI


def fresh_client():
    from mlflow import MlflowClient

    from core.config import active_store

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
    assert paths == {evaluation.EVALUATION_ARTIFACT, evaluation.PER_CLASS_ARTIFACT}
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
