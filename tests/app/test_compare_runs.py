"""The compare page's runs table and choice: filters, searches with their trials, inside a search, choosing
other runs, and runs that cannot be evaluated."""

from __future__ import annotations

import shutil
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient

from core.data import datastore
from core.train import training
from core.train.search_space import Dimension
from core.train.tuning import SearchConfig, run_search
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_evidence import _compare, _train
from tests.app.test_pages import example


def _runs_table(app):
    return next(df.value for df in app.dataframe if "key params" in df.value.columns)


def _search(project, trials: int = 6):
    record = datastore.load_dataset(project.data_run_id)
    space = (Dimension("max_depth", "int", 1, 6), Dimension("min_samples_leaf", "int", 1, 5))
    config = SearchConfig("decision_tree", "random", space, max_trials=trials, cv_folds=3, workers=1)
    return run_search(project.experiment_id, record, config)


def test_filters_group_trials_under_their_search_and_show_inside_it(app):
    project = example(app)
    _train(project, "knn")
    _train(project, "gaussian_nb")
    search = _search(project)
    goto(app, "compare")
    table = _runs_table(app)
    assert table["kind"].tolist() == ["search", "training", "training"]
    app.toggle(key="compare_show_trials").set_value(True).run()
    no_exception(app)
    grouped = _runs_table(app)
    assert len(grouped) == 3 + len(search.trials)
    assert grouped["run"].iloc[1].startswith("  └ trial-")
    assert "with their trials" in texts(app.caption)
    app.multiselect(key="compare_filter_algorithm").set_value(["knn"]).run()
    filtered = _runs_table(app)
    assert filtered["algorithm"].tolist() == ["knn"] and "1 of 3 runs shown" in texts(app.caption)
    app.text_input(key="compare_find").set_value("no such run").run()
    assert _runs_table(app).empty
    # inside the search: parallel coordinates over the searched hyperparameters and their importance
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    parcoords = [s for s in specs if '"parcoords"' in s]
    assert len(parcoords) == 1 and "max_depth" in parcoords[0] and "min_samples_leaf" in parcoords[0]
    assert any("Which hyperparameters mattered" in s for s in specs)
    assert "finished trials of 6" in texts(app.caption)


def test_choosing_other_runs_shows_their_evidence(app):
    project = example(app)
    a, b, c = (_train(project, name) for name in ("knn", "gaussian_nb", "decision_tree"))
    _compare(app, [a.run_id, b.run_id])
    summary = next(df.value for df in app.dataframe if "latency p95 (ms)" in df.value.columns)
    assert len(summary) == 2
    _compare(app, [b.run_id, c.run_id, a.run_id])
    summary = next(df.value for df in app.dataframe if "latency p95 (ms)" in df.value.columns)
    assert summary["run"].str.startswith(("gaussian_nb", "decision_tree", "knn")).all() and len(summary) == 3
    assert "Is the difference real?" not in texts(app.subheader)  # the paired test needs exactly two runs
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    assert sum("score drops by" in spec for spec in specs) == 3  # permutation importance, one chart per run
    assert "held-out rows when one column's values are shuffled" in texts(app.caption)
    table = _runs_table(app)
    assert set(table["verdict"]) <= {"✅ pass", "❌ fail"}  # the table shows each verdict once evaluated


def _model_folder(run_id: str) -> Path:
    uri = MlflowClient().get_run(run_id).data.tags[training.TAG_MODEL_URI]
    model = MlflowClient().get_logged_model(uri.removeprefix("models:/"))
    return Path(urlparse(model.artifact_location).path)


def test_a_run_whose_model_is_gone_is_explained_and_the_others_still_evaluated(app):
    project = example(app)
    kept, lost = _train(project, "knn"), _train(project, "gaussian_nb")
    shutil.rmtree(_model_folder(lost.run_id))
    _compare(app, [kept.run_id, lost.run_id])
    assert "cannot be evaluated" in texts(app.warning) and "missing from the artifact store" in texts(app.warning)
    assert "Evaluated 1 run on" in texts(app.success) and "1 could not be evaluated" in texts(app.success)
    assert mlflow.get_run(lost.run_id).info.status == "FINISHED"  # the failed evaluation left the run as it was
    assert "test_accuracy" not in mlflow.get_run(lost.run_id).data.metrics


def test_runs_without_test_metrics_and_runs_of_other_code_are_explained(app):
    project = example(app)
    run = _train(project, "knn")
    with mlflow.start_run(experiment_id=project.experiment_id, run_name="notebook-run"):
        mlflow.log_metric("accuracy", 0.9)
    goto(app, "compare")
    table = _runs_table(app)
    assert dict(zip(table["run"], table["kind"], strict=True))["notebook-run"] == "other code"
    assert set(table["verdict"]) == {"· not evaluated"}
    assert len(app.multiselect(key="compare_runs").options) == 1  # the notebook run has no model to evaluate
    assert app.multiselect(key="compare_runs").value == [run.run_id]
    assert "not evaluated yet" in texts(app.caption)
    assert "Held-out test results" not in texts(app.subheader)
