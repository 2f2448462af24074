"""The Monitor page's "Show the code": the drift check in plain pandas and scipy runs as it stands and finds the
Kolmogorov–Smirnov statistics the page shows, for an uploaded batch and for the prediction log."""

from __future__ import annotations

import pandas as pd
import pytest

from core.codegen.snippets import monitor as snippets
from core.data import sets as data
from core.monitor import drift, monitoring
from core.serve import predict, prediction_log
from core.train import training
from tests import registry_setup
from tests.unit.snippet_exec import run_snippet

MODEL = "iris-classifier"


@pytest.fixture
def reference(iris_project) -> monitoring.Reference:
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "logistic_regression", {})
    registry_setup.promote(MODEL, "production", run_id=run.run_id)
    return monitoring.reference_for_version(MODEL, "1")


def assert_same_tests(results: dict, current: monitoring.Current, reference: monitoring.Reference) -> None:
    assert set(results) == set(reference.features)  # iris: every feature is numeric
    for feature, result in results.items():
        statistic, p_value = drift.ks_test(reference.frame[feature], current.frame[feature])
        assert result.statistic == pytest.approx(statistic) and result.pvalue == pytest.approx(p_value)


def test_a_shifted_batch_drifts_in_the_snippet_as_on_the_page(reference, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    batch = data.load_builtin("iris").sample(120, random_state=0).reset_index(drop=True)
    batch["petal length (cm)"] += 2.5
    batch.to_csv("shifted.csv", index=False)
    code = snippets.drift_check(reference, 0.01, filename="shifted.csv")
    assert f"run_id={reference.data_run_id!r}" in code and "pd.read_csv('shifted.csv')" in code
    results = run_snippet(code)["results"]
    current = monitoring.read_batch((tmp_path / "shifted.csv").read_bytes(), "shifted.csv", reference)
    assert_same_tests(results, current, reference)
    assert results["petal length (cm)"].pvalue < 0.01
    printed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("petal length (cm): D = ") and line.endswith("→ drift") for line in printed)


def test_the_prediction_log_of_one_version_since_a_time_is_read_like_the_page(reference):
    model = predict.load_served_model(MODEL, "1")
    rows = data.load_builtin("iris").drop(columns="species").sample(60, random_state=2).reset_index(drop=True)
    prediction_log.log_predictions(model, rows, predict.predict_frame(model, rows), "batch")
    assert prediction_log.flush()
    since = pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)
    code = snippets.drift_check(reference, 0.01, version="1", since=since)
    assert "recent[\"version\"] == '1'" in code and since.isoformat() in code
    results = run_snippet(code)["results"]
    current = monitoring.current_from_log(reference, monitoring.read_log(reference), "1", since)
    assert current.rows == 60
    assert_same_tests(results, current, reference)
