"""The lifecycle against a real team server: PostgreSQL backend store, artifacts proxied by ``mlflow server``."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from tests.app.conftest import goto, new_project_button, no_exception, texts
from tests.cli.test_cli import IRIS_CLASSES, json_out, ok, run_cli

ROOT_ARTIFACTS = "mlflow-artifacts:"


def test_cli_lifecycle_against_the_team_server(team, tmp_path):
    """kpis → train → evaluate → promote → predict, each a `python -m core` process reading MLFLOW_TRACKING_URI."""
    from mlflow import MlflowClient

    from core.data.sets import load_builtin

    kpis = json_out(ok(run_cli("kpis", "--experiment", team.project, "--set", "accuracy>=0.9", "--json")))
    assert kpis["experiment"] == team.project
    trained = json_out(
        ok(run_cli("train", "--experiment", team.project, "--data", "iris", "--param", "n_estimators=30", "--json"))
    )
    assert trained["experiment_id"] == kpis["experiment_id"]
    assert trained["metrics"]["cv_accuracy"] >= 0.8
    run_id = trained["run_id"]

    evaluated = json_out(ok(run_cli("evaluate", "--run", run_id, "--json")))
    assert evaluated["kpis_passed"] is True

    promoted = json_out(
        ok(run_cli("promote", "--model", team.model, "--alias", "production", "--run", run_id, "--by", "ci", "--json"))
    )
    assert (promoted["model"], promoted["version"], promoted["verdict"]) == (team.model, 1, "pass")

    rows = load_builtin("iris").sample(12, random_state=0).reset_index(drop=True)
    features = rows.drop(columns="species")
    input_csv, output_csv = tmp_path / "in.csv", tmp_path / "out.csv"
    features.to_csv(input_csv, index=False)
    argv = ["predict", "--model", team.model, "--alias", "production", "--input", str(input_csv)]
    ok(run_cli(*argv, "--output", str(output_csv)))
    out = pd.read_csv(output_csv)
    assert len(out) == len(features) and set(out["prediction"]) <= set(IRIS_CLASSES)
    assert (out["prediction"] == rows["species"]).mean() >= 0.8
    np.testing.assert_allclose(out[[f"proba_{c}" for c in IRIS_CLASSES]].sum(axis=1), 1.0, atol=1e-6)

    # everything is on the server: the run, its verdict and the alias
    client = MlflowClient(tracking_uri=team.server.uri)
    assert client.get_run(run_id).data.tags["qua3ck.kpi_verdict"] == "pass"
    assert client.get_registered_model(team.model).aliases == {"production": "1"}


def test_artifacts_go_through_the_proxy(team):
    """Data, model and evaluation artifacts are `mlflow-artifacts:` URIs, stored in the server's destination."""
    import mlflow
    from mlflow import MlflowClient

    from core.compare import evaluation
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.registry import model_registry as registry
    from core.serve import predict
    from core.train.training import train_model

    project = projects.create_project(team.project)
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    trained = train_model(project.experiment_id, record, "logistic_regression", cv_folds=3)
    client = MlflowClient()
    assert client.get_experiment(project.experiment_id).artifact_location.startswith(ROOT_ARTIFACTS)
    run = client.get_run(trained.run_id)
    assert run.info.artifact_uri.startswith(ROOT_ARTIFACTS), run.info.artifact_uri
    model_info = mlflow.models.get_model_info(trained.model_uri)
    logged = client.get_logged_model(model_info.model_id)
    assert logged.artifact_location.startswith(ROOT_ARTIFACTS), logged.artifact_location

    evaluated = evaluation.evaluate_run(trained.run_id)
    assert evaluation.load_evaluation(trained.run_id).metrics == evaluated.metrics  # read back through the proxy
    version = registry.register(trained.run_id, team.model)
    served = predict.load_served_model(team.model, version.version)
    X_test, y_test = record.test_xy()
    scored = predict.predict_frame(served, X_test)
    assert (scored["prediction"].astype(str).to_numpy() == y_test.astype(str).to_numpy()).mean() >= 0.8

    if team.server.folder is None:  # a server started elsewhere: its folder is not ours to look into
        return
    stored = team.server.folder / "artifacts" / project.experiment_id
    assert (stored / record.run_id / "artifacts" / "dataset" / "data.parquet").is_file()
    assert (stored / trained.run_id / "artifacts" / "evaluation" / "confusion_matrix.png").is_file()
    models = list(stored.rglob("MLmodel"))
    assert any(model_info.model_id in str(path) for path in models), models


def test_app_flow_against_the_team_server(team):
    """Home → new project → data → train → compare → registry (register, @production) → predict, via AppTest."""
    from streamlit.testing.v1 import AppTest

    from core.question import projects
    from core.registry import model_registry as registry
    from tests.app.conftest import ROOT

    app = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    app.run()
    no_exception(app)
    # the sidebar says which store is in use (its Markdown escaping is not ours to pin down)
    shown = " ".join(c.value for c in app.sidebar.caption)
    assert team.server.uri.split("://", 1)[1] in re.sub(r"[\\\u200b-\u200d\u2060]", "", shown), shown

    app.sidebar.text_input(key="sidebar_new_name").input(team.project)
    new_project_button(app).click().run()  # the form's submit button
    no_exception(app)
    project = projects.find_project(team.project)
    assert project is not None
    assert app.sidebar.selectbox(key="sidebar_project").value == project.experiment_id

    goto(app, "question")
    app.text_area(key="question_text").input("Which iris species is it?")
    app.number_input(key="question_threshold_accuracy").set_value(0.9)
    app.button(key="question_save").click().run()
    assert "accuracy > 0.9" in texts(app.success)

    goto(app, "data")
    app.selectbox(key="data_builtin").set_value("iris").run()
    app.button(key="data_use").click().run()
    no_exception(app)
    assert projects.get_project(project.experiment_id).data_run_id

    goto(app, "train")
    app.multiselect(key="train_algorithms").set_value(["random_forest"]).run()
    app.button(key="train_run").click().run()
    no_exception(app)
    assert "Best CV accuracy" in texts(app.success)

    goto(app, "compare")
    app.button(key="compare_evaluate").click().run()
    no_exception(app)
    assert "Evaluated 1 run on" in texts(app.success)

    goto(app, "registry")
    app.text_input(key="identity_name").input("Ana")
    app.text_input(key="registry_model_name").input(team.model)
    app.button(key="registry_register").click().run()
    no_exception(app)
    assert f"Registered '{team.model}' version 1" in texts(app.success)
    app.selectbox(key="registry_model").set_value(team.model).run()  # the server holds other tests' models too
    app.selectbox(key="registry_alias").set_value("production")
    app.selectbox(key="registry_version").set_value("1").run()
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    assert "@production now points at version 1" in texts(app.success)
    assert registry.get_model(team.model).aliases == {"production": "1"}

    goto(app, "predict")
    app.selectbox(key="predict_model").set_value(team.model).run()
    no_exception(app)
    assert f"models:/{team.model}@production" in texts(app.caption)
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "Predicted class:" in texts(app.success)

    # the prediction log's Parquet parts travel through the proxy too, and read back from the server
    from core.serve import prediction_log

    assert prediction_log.flush()
    assert len(prediction_log.read_log(project.experiment_id, team.model)) == 1


def test_search_logs_its_trials_on_the_team_server(team):
    """A random search: a parent run, a nested run per trial logged by worker processes, the refit model."""
    import mlflow
    from mlflow import MlflowClient

    argv = ["train", "--experiment", team.project, "--data", "iris", "--algorithm", "decision_tree"]
    argv += ["--search", "random", "--trials", "3", "--cv-folds", "3", "--workers", "2", "--json"]
    payload = json_out(ok(run_cli(*argv)))
    assert (payload["status"], payload["trials"], payload["failed_trials"]) == ("finished", 3, 0)
    client = MlflowClient()
    parent = client.get_run(payload["run_id"])
    assert parent.info.status == "FINISHED" and parent.info.artifact_uri.startswith(ROOT_ARTIFACTS)
    children = client.search_runs(
        [parent.info.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{parent.info.run_id}'"
    )
    assert len(children) == 3 and {c.info.status for c in children} == {"FINISHED"}
    model = mlflow.pyfunc.load_model(payload["model_uri"])
    assert len(model.predict(_iris_rows())) == 5


def _iris_rows() -> pd.DataFrame:
    from core.data.sets import load_builtin

    return load_builtin("iris").drop(columns="species").head(5)
