"""The prediction log: queued in memory, written to the store in the background, read back for monitoring."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from mlflow import MlflowClient

from core.compare import runs
from core.registry import model_registry as registry
from core.serve import predict, prediction_log
from core.train import training

MODEL = "iris-classifier"


@pytest.fixture
def served(iris_project):
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "logistic_regression")
    registry.register(run.run_id, MODEL)
    return project, record, predict.load_served_model(MODEL, "1")


def test_single_and_batch_predictions_are_logged_with_version_inputs_and_outputs(served):
    project, record, model = served
    prediction_log.flush()
    prediction_log._writer.errors.clear()  # this test's own writes only
    X_test = record.test_xy()[0]
    values = X_test.iloc[0].to_dict()
    one = predict.predict_one(model, values)
    scored = prediction_log.scored_one(one.label, one.probabilities)
    assert prediction_log.log_predictions(model, pd.DataFrame([values]), scored, "one row", one.latency_ms)
    batch = X_test.head(10)
    assert prediction_log.log_predictions(model, batch, predict.predict_frame(model, batch), "batch")
    assert prediction_log.flush()
    log = prediction_log.read_log(project.experiment_id, MODEL)
    assert len(log) == 11 and log["source"].tolist() == ["one row"] + ["batch"] * 10
    assert set(log["version"]) == {"1"} and set(log["model"]) == {MODEL}
    assert log.loc[0, "prediction"] == one.label and log.loc[0, "latency_ms"] == pytest.approx(one.latency_ms)
    assert {f"input.{c}" for c in X_test.columns} <= set(log.columns)
    assert {"proba_setosa", "proba_versicolor", "proba_virginica"} <= set(log.columns)
    assert log["logged_at"].is_monotonic_increasing
    # the log run lives in the project but is not a model run
    assert runs.training_runs(project.experiment_id)["kind"].tolist() == ["train"]
    assert not prediction_log._writer.errors


def test_the_log_is_switched_off_per_model_or_for_the_process(served, monkeypatch):
    _, _, model = served
    assert prediction_log.enabled(MODEL)
    prediction_log.set_enabled(MODEL, False)
    assert not prediction_log.enabled(MODEL)
    assert MlflowClient().get_registered_model(MODEL).tags[prediction_log.TAG_SETTING] == "off"
    prediction_log.set_enabled(MODEL, True)
    monkeypatch.setenv(prediction_log.ENV_SWITCH, "off")
    assert not prediction_log.enabled(MODEL)


def test_a_batch_is_written_to_the_store_it_was_predicted_against(served, tmp_path, monkeypatch):
    project, record, model = served
    prediction_log.flush()
    batch = record.test_xy()[0].head(4)
    prediction_log.log_predictions(model, batch, predict.predict_frame(model, batch), "batch")
    from core.common import config

    # the process switches to another store before the background writer runs
    original = os.environ[config.DATA_DIR_ENV]
    (tmp_path / "other").mkdir()
    monkeypatch.setenv(config.DATA_DIR_ENV, str(tmp_path / "other"))
    config.activate_store()
    assert prediction_log.flush()
    monkeypatch.setenv(config.DATA_DIR_ENV, original)
    config.activate_store()
    assert not prediction_log._writer.errors
    assert len(prediction_log.read_log(project.experiment_id, MODEL)) == 4


def test_a_version_without_a_project_is_not_logged_and_a_store_failure_loses_only_log_rows(served, monkeypatch):
    project, record, model = served
    assert not prediction_log.append(None, MODEL, "1", pd.DataFrame({"a": [1]}))

    def broken(*args, **kwargs):
        raise OSError("disk full")

    prediction_log.flush()
    monkeypatch.setattr(prediction_log, "_write_part", broken)
    batch = record.test_xy()[0].head(3)
    prediction_log.log_predictions(model, batch, predict.predict_frame(model, batch), "batch")
    assert prediction_log.flush()
    assert prediction_log._writer.errors[-1] == f"{MODEL}: OSError: disk full"
    prediction_log._writer.errors.clear()
    assert prediction_log.read_log(project.experiment_id, MODEL).empty
