"""``python -m core monitor``: exit 0 without drift, 1 on drift or a KPI breach, 2 on input it cannot use."""

from __future__ import annotations

import numpy as np
import pytest

from tests import registry_setup
from tests.cli.test_cli import assert_one_line_error, json_out, ok, run_cli

MODEL = "monitored"


@pytest.fixture
def served(store):
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    run = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    registry_setup.promote(MODEL, "production", run_id=run.run_id)
    return record


def _iris_resample(seed: int = 0):
    from core.data.sets import load_builtin

    return load_builtin("iris").sample(150, replace=True, random_state=seed).reset_index(drop=True)


def test_a_resample_of_iris_exits_0_with_one_json_object(served, tmp_path):
    batch = tmp_path / "resample.csv"
    _iris_resample().to_csv(batch, index=False)
    payload = json_out(
        ok(run_cli("monitor", "--model", MODEL, "--alias", "production", "--input", str(batch), "--json"))
    )
    assert payload["alert"] is False and payload["drifted"] == [] and payload["breached"] == []
    assert payload["version"] == "1" and payload["current_rows"] == 150 and payload["labelled_rows"] == 150
    assert {d["feature"] for d in payload["drift"]} == set(served.features)
    assert {d["test"] for d in payload["drift"]} == {"Kolmogorov–Smirnov"}
    accuracy = next(k for k in payload["kpis"] if k["metric"] == "accuracy")
    assert accuracy["passed"] is True


def test_a_shifted_batch_exits_1_and_names_the_drifted_feature(served, tmp_path):
    frame = _iris_resample().drop(columns="species")
    frame["petal length (cm)"] = frame["petal length (cm)"] * 1.8
    frame["sepal width (cm)"] = np.round(frame["sepal width (cm)"] + 1.0, 1)
    batch = tmp_path / "shifted.csv"
    frame.to_csv(batch, index=False)
    proc = ok(run_cli("monitor", "--model", MODEL, "--alias", "production", "--input", str(batch)), code=1)
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("ALERT") and "petal length (cm)" in last and "sepal width (cm)" in last
    assert any(line.startswith("DRIFT") for line in proc.stdout.splitlines())
    assert "KPI n/a  accuracy" in proc.stdout  # no labels: accuracy is not measured


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("a,b\n" + "1,2\n" * 40, "is missing"),
        (None, "need at least 30"),
    ],
    ids=["other-columns", "too-few-rows"],
)
def test_a_batch_it_cannot_use_is_one_line_and_exit_2(served, tmp_path, content, message):
    batch = tmp_path / "bad.csv"
    if content is None:
        _iris_resample().head(12).to_csv(batch, index=False)
    else:
        batch.write_text(content)
    line = assert_one_line_error(run_cli("monitor", "--model", MODEL, "--alias", "production", "--input", str(batch)))
    assert message in line


def test_an_empty_prediction_log_is_one_line_and_exit_2(served):
    line = assert_one_line_error(run_cli("monitor", "--model", MODEL, "--alias", "production", "--log"))
    assert "No predictions are logged" in line
