"""core.monitor.monitoring: training data vs a batch or the prediction log, KPIs over time, JSON report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.data import sets as data
from core.monitor import drift, monitoring
from core.question.kpis import KPI
from core.serve import predict, prediction_log
from core.train import training
from tests import registry_setup

MODEL = "iris-classifier"


@pytest.fixture
def served(iris_project):
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    registry_setup.promote(MODEL, "production", run_id=run.run_id)
    return project, record, predict.load_served_model(MODEL, "1")


def resample(n=150, seed=0) -> pd.DataFrame:
    return data.load_builtin("iris").sample(n, replace=True, random_state=seed).reset_index(drop=True)


def shifted(n=150, seed=0) -> pd.DataFrame:
    frame = resample(n, seed)
    frame["petal length (cm)"] += 3.0
    return frame


def test_reference_is_the_training_split_of_the_versions_data_run(served):
    project, record, _ = served
    reference = monitoring.reference_for(MODEL, "production")
    assert reference.version == "1" and reference.data_run_id == record.run_id
    assert reference.features == record.features and reference.target == "species"
    assert len(reference.frame) == len(record.split.train)
    assert set(reference.kinds.values()) == {"numeric"}
    assert [str(k) for k in reference.kpis] == [str(k) for k in project.kpis]
    with pytest.raises(ValueError, match="no alias 'staging'"):
        monitoring.reference_for(MODEL, "staging")
    with pytest.raises(ValueError, match="no registered model"):
        monitoring.reference_for("nope", "production")


def test_a_resampled_labelled_batch_has_no_drift_and_passes_the_score_kpis(served):
    _, _, model = served
    reference = monitoring.reference_for(MODEL, "production")
    current = monitoring.current_from_batch(reference, resample())
    report = monitoring.monitor(reference, current, model, alias="production")
    assert report.drifted == [] and not report.breached and not report.alert
    assert report.labelled_rows == 150 and report.current_rows == 150
    accuracy = next(k for k in report.kpis if k.kpi.metric == "accuracy")
    assert accuracy.passed is True and accuracy.value > 0.95
    latency = next(k for k in report.kpis if k.kpi.metric == "latency_ms")
    assert latency.passed is None and "latenc" in latency.why_not  # a batch has no single-row latencies
    # no time column: consecutive chunks of rows
    assert "consecutive chunks" in report.grouping and len(report.periods) == 5
    assert report.periods[0] == "rows 1–30"
    assert set(report.kpis_over_time["metric"]) >= {"accuracy", "f1_macro"}
    assert report.classes_over_time["rows"].sum() == 150
    assert report.prediction_drift is not None and report.prediction_drift.verdict in ("ok", "moderate")
    payload = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert payload["alert"] is False and payload["summary"]["drift"] == 0 and len(payload["drift"]) == 4


def test_a_shifted_batch_is_drift_and_wrong_labels_breach_the_kpi(served):
    _, _, model = served
    reference = monitoring.reference_for(MODEL, "production")
    report = monitoring.monitor(reference, monitoring.current_from_batch(reference, shifted()), model)
    assert report.drifted[0] == "petal length (cm)" and report.drift[0].verdict == "drift"
    assert report.alert and any("petal length" in line for line in report.alerts())
    wrong = resample()
    wrong["species"] = np.roll(wrong["species"].to_numpy(), 1)  # labels that do not belong to the rows
    report = monitoring.monitor(reference, monitoring.current_from_batch(reference, wrong), model)
    assert report.drifted == []
    assert [str(k.kpi) for k in report.breached] == ["accuracy > 0.95"]
    assert report.alerts()[0].startswith("KPI accuracy > 0.95 breached")


def test_a_time_column_groups_rows_by_period(served):
    _, _, model = served
    reference = monitoring.reference_for(MODEL, "production")
    batch = resample(90)
    batch["event time"] = np.repeat(["2026-01-01 08:00", "2026-01-02 09:30", "2026-01-03 10:00"], 30)
    current = monitoring.current_from_batch(reference, batch)
    assert current.time_column == "event time"
    report = monitoring.monitor(reference, current, model)
    assert report.periods == ["2026-01-01", "2026-01-02", "2026-01-03"] and "day" in report.grouping
    accuracy = report.kpis_over_time[report.kpis_over_time["metric"] == "accuracy"]
    assert list(accuracy["rows"]) == [30, 30, 30]


def test_detect_time_column_ignores_numbers_and_text():
    frame = pd.DataFrame({"date_id": [1, 2, 3], "update": ["x", "y", "z"], "Timestamp": ["2026-01-01"] * 3})
    assert monitoring.detect_time_column(frame) == "Timestamp"
    assert monitoring.detect_time_column(frame.drop(columns="Timestamp")) is None


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"a": [1.0] * 40, "b": [2.0] * 40}), "is missing"),
        (resample(12), "12 rows; the drift tests need at least 30"),
        (resample(0), "no rows"),
    ],
    ids=["other-columns", "too-few-rows", "empty"],
)
def test_a_batch_that_cannot_be_compared_is_refused_with_a_clear_message(served, frame, message):
    reference = monitoring.reference_for(MODEL, "production")
    with pytest.raises(monitoring.MonitorError, match=message):
        monitoring.current_from_batch(reference, frame)


def test_text_in_a_numeric_column_and_an_unreadable_file_are_named(served):
    reference = monitoring.reference_for(MODEL, "production")
    batch = resample(40)
    batch["sepal width (cm)"] = batch["sepal width (cm)"].astype(object)
    batch.loc[3, "sepal width (cm)"] = "wide"
    with pytest.raises(monitoring.MonitorError, match="wide"):
        monitoring.current_from_batch(reference, batch)
    with pytest.raises(monitoring.MonitorError, match="empty"):
        monitoring.read_batch(b"", "batch.csv", reference)
    current = monitoring.read_batch(resample(40).to_csv(index=False).encode(), "batch.csv", reference)
    assert current.rows == 40 and current.labels is not None and current.source == "batch 'batch.csv'"


def test_the_prediction_log_is_the_current_data(served):
    project, record, model = served
    reference = monitoring.reference_for(MODEL, "production")
    with pytest.raises(monitoring.EmptyLog, match="No predictions"):
        monitoring.current_from_log(reference, monitoring.read_log(reference))
    prediction_log.flush()
    rows = record.frame[record.features].head(40)
    prediction_log.log_predictions(model, rows, predict.predict_frame(model, rows), "batch")
    one = predict.predict_one(model, rows.iloc[0].to_dict())
    scored = prediction_log.scored_one(one.label, one.probabilities)
    prediction_log.log_predictions(model, rows.head(1), scored, "one row", one.latency_ms)
    assert prediction_log.flush()
    log = monitoring.read_log(reference)
    current = monitoring.current_from_log(reference, log, version="1")
    assert current.rows == 41 and list(current.frame.columns) == record.features
    report = monitoring.monitor(reference, current, thresholds=drift.Thresholds(min_rows=30))
    assert report.classes_over_time["rows"].sum() == 41 and "logged_at" in report.grouping
    latency = next(k for k in report.kpis if k.kpi.metric == "latency_ms")
    assert latency.passed is True and latency.value == pytest.approx(one.latency_ms)
    assert next(k for k in report.kpis if k.kpi.metric == "accuracy").passed is None
    with pytest.raises(monitoring.EmptyLog, match="version 2"):
        monitoring.current_from_log(reference, log, version="2")
    future = pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=1)
    with pytest.raises(monitoring.EmptyLog):
        monitoring.current_from_log(reference, log, since=future)


def test_a_short_log_skips_the_drift_tests_with_a_note(served):
    _, record, _ = served
    reference = monitoring.reference_for(MODEL, "production")
    rows = record.frame[record.features].head(5)
    log = pd.DataFrame({f"input.{c}": rows[c] for c in rows.columns})
    log["logged_at"] = pd.Timestamp.now(tz="UTC")
    log["version"], log["prediction"] = "1", "setosa"
    report = monitoring.monitor(reference, monitoring.current_from_log(reference, log))
    assert {d.verdict for d in report.drift} == {"skipped"} and not report.alert
    assert any("need at least 30" in note for note in report.notes)


def test_kpi_status_of_a_custom_kpi_list(served):
    _, _, model = served
    reference = monitoring.reference_for(MODEL, "production")
    import dataclasses

    strict = dataclasses.replace(reference, kpis=(KPI("f1_macro", ">=", 1.0),))
    report = monitoring.monitor(strict, monitoring.current_from_batch(strict, shifted()), model)
    assert report.breached and report.breached[0].failing_periods  # some period below 1.0
