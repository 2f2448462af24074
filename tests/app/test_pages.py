"""Each page through AppTest: what it shows, what it writes to MLflow, and how it handles bad input."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from mlflow import MlflowClient
from streamlit.testing.v1 import AppTest

from core.data import datastore
from core.data import sets as data
from core.question import projects
from core.registry import governance
from core.registry import model_registry as registry
from core.serve import prediction_log
from core.train import training
from tests import registry_setup
from tests.app.conftest import goto, new_project_button, no_exception, texts


def example(at):
    at.sidebar.button(key="sidebar_example").click().run()
    no_exception(at)
    return projects.find_project(projects.EXAMPLE_NAME)


def test_fresh_store_offers_the_example_and_home_shows_the_board(app):
    assert "no projects" in texts(app.sidebar.info)
    assert "Embedded SQLite store" in texts(app.sidebar.caption)
    project = example(app)
    assert project is not None and project.data_run_id
    markdown = texts(app.markdown)
    assert "Q — Question" in markdown and "U — Understanding the data" in markdown
    assert "iris: 150 rows" in markdown
    assert "No trained models yet" in markdown


def test_sidebar_creates_a_project_and_refuses_a_duplicate(app):
    app.sidebar.text_input(key="sidebar_new_name").input("Churn")
    new_project_button(app).click().run()  # the form's submit button
    no_exception(app)
    assert projects.find_project("Churn") is not None
    assert app.sidebar.selectbox(key="sidebar_project").value == projects.find_project("Churn").experiment_id
    app.sidebar.text_input(key="sidebar_new_name").input("Churn")
    new_project_button(app).click().run()
    assert "already" in texts(app.error)


def test_question_page_validates_and_persists_kpis(app):
    project = example(app)
    goto(app, "question")
    app.number_input(key="question_threshold_accuracy").set_value(1.5)
    app.button(key="question_save").click().run()
    no_exception(app)
    assert "out of range" in texts(app.error)
    assert projects.get_project(project.experiment_id).kpis[0].threshold == 0.95  # nothing half-written

    app.text_area(key="question_text").input("Which species is it?")
    app.number_input(key="question_threshold_accuracy").set_value(0.9)
    app.selectbox(key="question_op_accuracy").set_value(">=")
    app.checkbox(key="question_use_f1_macro").check()
    app.button(key="question_save").click().run()
    no_exception(app)
    assert "Saved" in texts(app.success)
    saved = projects.get_project(project.experiment_id)
    assert saved.question == "Which species is it?"
    assert [str(k) for k in saved.kpis] == ["accuracy >= 0.9", "f1_macro >= 0.9", "latency_ms < 500"]
    description = MlflowClient().get_experiment(project.experiment_id).tags["mlflow.note.content"]
    assert "Which species is it?" in description


def test_question_page_refuses_zero_latency(app):
    example(app)
    goto(app, "question")
    app.number_input(key="question_threshold_latency_ms").set_value(0.0)
    app.button(key="question_save").click().run()
    assert "greater than 0" in texts(app.error)


def test_data_page_records_a_builtin_set_with_its_split(app):
    project = example(app)
    goto(app, "data")
    app.selectbox(key="data_builtin").set_value("wine").run()
    assert app.selectbox(key="data_target").value == "cultivar"
    app.button(key="data_use").click().run()
    no_exception(app)
    assert "held-out test rows" in texts(app.success)
    record = datastore.load_dataset(projects.get_project(project.experiment_id).data_run_id)
    assert record.name == "wine" and len(record.split.test) == 36
    assert len(app.get("plotly_chart")) >= 2


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, sep=";")
    return buffer.getvalue().encode()


def test_data_page_accepts_an_uploaded_csv(app):
    project = example(app)
    goto(app, "data")
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value(("flowers.csv", _csv(data.load_builtin("iris")), "text/csv")).run()
    no_exception(app)
    assert app.selectbox(key="data_target").value == "species"
    app.button(key="data_use").click().run()
    record = datastore.load_dataset(projects.get_project(project.experiment_id).data_run_id)
    assert record.name == "flowers" and len(record.frame) == 150


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03garbage", "binary"),
        (b"just one column\n" + b"1\n" * 20, "column"),
        (b"a,b\n1,2\n", "data row"),
    ],
)
def test_data_page_explains_an_unusable_file(app, content, message):
    example(app)
    goto(app, "data")
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value(("bad.csv", content, "text/csv")).run()
    no_exception(app)
    assert message in texts(app.error)


def test_data_page_blocks_a_target_with_one_class(app):
    project = example(app)
    before = projects.get_project(project.experiment_id).data_run_id
    frame = data.load_builtin("iris").assign(constant="same")
    goto(app, "data")
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value(("c.csv", _csv(frame), "text/csv")).run()
    app.selectbox(key="data_target").set_value("constant").run()
    no_exception(app)
    assert "only one class" in texts(app.error)
    assert app.button(key="data_use").disabled
    assert projects.get_project(project.experiment_id).data_run_id == before


def test_train_page_trains_both_algorithms_as_runs(app):
    project = example(app)
    goto(app, "train")
    app.multiselect(key="train_algorithms").set_value(["random_forest", "logistic_regression"]).run()
    app.slider(key="train_random_forest_n_estimators").set_value(20)
    app.button(key="train_run").click().run()
    no_exception(app)
    assert "Best CV accuracy" in texts(app.success)
    runs = MlflowClient().search_runs([project.experiment_id], "tags.`qua3ck.kind` = 'train'")
    assert sorted(r.data.tags["qua3ck.algorithm"] for r in runs) == ["logistic_regression", "random_forest"]
    assert all(r.info.status == "FINISHED" and "cv_accuracy" in r.data.metrics for r in runs)
    assert {r.data.params.get("n_estimators") for r in runs} >= {"20"}


def test_train_page_asks_for_data_first(app):
    app.sidebar.text_input(key="sidebar_new_name").input("Empty")
    new_project_button(app).click().run()
    goto(app, "train")
    assert "Choose the project's data first" in texts(app.warning)


def _trained(project, algorithm="random_forest"):
    record = datastore.load_dataset(project.data_run_id)
    params = {"n_estimators": 20} if algorithm == "random_forest" else {}
    return training.train_model(project.experiment_id, record, algorithm, params)


def test_compare_page_evaluates_runs_and_shows_verdicts(app):
    project = example(app)
    first, second = _trained(project), _trained(project, "logistic_regression")
    goto(app, "compare")
    assert set(app.multiselect(key="compare_runs").value) == {first.run_id, second.run_id}
    app.button(key="compare_evaluate").click().run()
    no_exception(app)
    markdown = texts(app.markdown)
    assert "KPI verdict" in markdown and "latency_ms < 500" in markdown
    # metric bars, two confusion matrices; per run: row-normalised confusion, ROC and precision-recall curves,
    # permutation importance
    assert len(app.get("plotly_chart")) == 11
    run = MlflowClient().get_run(first.run_id)
    assert "test_accuracy" in run.data.metrics and run.data.tags["qua3ck.kpi_verdict"] in {"pass", "fail"}
    goto(app, "compare")  # stored evaluations show without the button
    assert not [b for b in app.button if b.key == "compare_evaluate"]


def test_registry_page_registers_and_moves_aliases(app):
    project = example(app)
    result = _trained(project)
    goto(app, "registry")
    assert app.text_input(key="registry_model_name").value == "iris-classifier"
    app.text_area(key="registry_tags").input("team=vision\nticket=ML-42")
    app.button(key="registry_register").click().run()
    no_exception(app)
    assert "Registered 'iris-classifier' version 1" in texts(app.success)
    assert MlflowClient().get_model_version("iris-classifier", "1").tags == {"team": "vision", "ticket": "ML-42"}
    app.button(key="registry_register").click().run()
    # nobody named yet: the move is disabled and says why
    app.selectbox(key="registry_alias").set_value("challenger")
    app.selectbox(key="registry_version").set_value("1").run()
    assert app.button(key="registry_set_alias").disabled
    app.text_input(key="identity_name").input("Ana").run()
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    assert registry.get_model("iris-classifier").aliases == {"challenger": "1"}
    app.selectbox(key="registry_alias").set_value("challenger")
    app.selectbox(key="registry_version").set_value("2").run()
    app.button(key="registry_set_alias").click().run()
    assert "moved from v1" in texts(app.success)
    app.selectbox(key="registry_alias").set_value("other…").run()
    app.text_input(key="registry_alias_custom").input("latest").run()
    assert "reserved" in texts(app.error)
    app.selectbox(key="registry_remove_alias").set_value("challenger")
    app.button(key="registry_remove").click().run()
    assert registry.get_model("iris-classifier").aliases == {}
    assert registry.get_version("iris-classifier", "1").run_id == result.run_id
    assert [e.action for e in governance.history("iris-classifier")] == ["remove", "set", "set"]


def test_predict_page_predicts_one_row_and_a_file(app):
    project = example(app)
    result = _trained(project)
    registry_setup.promote("iris-classifier", "production", run_id=result.run_id)
    goto(app, "predict")
    assert app.selectbox(key="predict_alias").value == "production"
    app.slider(key="predict_input_2").set_value(5.5)  # petal length: a virginica
    app.slider(key="predict_input_3").set_value(2.2)
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "Predicted class: **virginica**" in texts(app.success)
    assert app.get("plotly_chart")
    batch = data.load_builtin("iris").drop(columns="species").head(12)
    app.file_uploader(key="predict_upload").set_value(("batch.csv", batch.to_csv(index=False).encode(), "text/csv"))
    app.run()
    no_exception(app)
    assert "Predicted 12 rows" in texts(app.success)
    # both predictions are in the prediction log; switched off, the next one is not
    app.run()  # a rerun shows the same batch again; it is logged once
    assert prediction_log.flush()
    log = prediction_log.read_log(project.experiment_id, "iris-classifier")
    assert log["source"].value_counts().to_dict() == {"batch": 12, "one row": 1}
    app.toggle(key="predict_log_iris-classifier").set_value(False).run()
    assert not prediction_log.enabled("iris-classifier")
    app.button[0].click().run()
    assert prediction_log.flush()
    assert len(prediction_log.read_log(project.experiment_id, "iris-classifier")) == 13


def test_predict_page_names_missing_columns(app):
    project = example(app)
    registry_setup.promote("iris-classifier", "production", run_id=_trained(project).run_id)
    goto(app, "predict")
    app.file_uploader(key="predict_upload").set_value(("bad.csv", b"a,b\n1,2\n", "text/csv")).run()
    no_exception(app)
    assert "is missing; the model was trained with it" in texts(app.error)
    assert "nothing was predicted" in texts(app.error)


def test_predict_page_without_aliases_points_to_the_registry(app):
    example(app)
    goto(app, "predict")
    assert "No registered model has an alias" in texts(app.info)


def test_data_page_builds_a_profile_report_once_per_digest(app):
    example(app)
    goto(app, "data")
    app.button(key="data_profile").click().run()
    no_exception(app)
    assert app.get("download_button")
    app.run()  # shown again from the cache, without a click
    no_exception(app)
    assert app.get("download_button")


def test_quick_compare_trains_and_ranks_every_algorithm(app):
    from core.train.algorithms import ALGORITHMS

    project = example(app)
    goto(app, "train")
    app.slider(key="train_cv_folds").set_value(3)
    app.button(key="train_quick").click().run()
    no_exception(app)
    ranking = app.dataframe[0].value
    assert list(ranking["rank"]) == list(range(1, len(ALGORITHMS) + 1))
    scores = [float(v.split(" ± ")[0]) for v in ranking["CV accuracy"]]
    assert scores == sorted(scores, reverse=True)
    runs = MlflowClient().search_runs([project.experiment_id], "tags.`qua3ck.kind` = 'train'")
    assert {r.data.tags["qua3ck.algorithm"] for r in runs} == set(ALGORITHMS)
    assert all(r.info.status == "FINISHED" for r in runs)


def test_a_new_session_opens_the_data_page_on_the_projects_stored_data(app):
    """Opened again (a reload, a link: a new session), U shows the data the project stores, not the first
    built-in set: an upload as "the project's stored data", a built-in set preselected."""
    project = example(app)
    upload = data.load_builtin("iris").rename(columns={"species": "Art"}).head(120)
    datastore.record_dataset(project.experiment_id, upload, "räder", "Art")
    goto(app, "data")
    no_exception(app)
    source = app.radio(key="data_source")
    assert source.options[0] == "The project's stored data" and source.value == "The project's stored data"
    assert app.selectbox(key="data_target").value == "Art"
    assert "The target the project's data was stored with." in texts(app.caption)
    assert "120" in [m.value for m in app.metric]
    app.button(key="data_use").click().run()  # storing it again changes nothing
    no_exception(app)
    assert datastore.load_dataset(projects.get_project(project.experiment_id).data_run_id).name == "räder"

    datastore.record_dataset(project.experiment_id, data.load_builtin("wine"), "wine", "cultivar")
    fresh = AppTest.from_file(app._script_path, default_timeout=180)
    fresh.run()
    goto(fresh, "data")
    assert fresh.radio(key="data_source").options == ["Built-in data set", "Upload a file"]
    assert fresh.selectbox(key="data_builtin").value == "wine"
    assert fresh.selectbox(key="data_target").value == "cultivar"


def test_registry_page_draws_the_models_history_with_its_alias_moves(app):
    from core.compare.evaluation import evaluate_run
    from tests import registry_setup

    project = example(app)
    first, second = _trained(project), _trained(project, "logistic_regression")
    registry_setup.promote("iris-classifier", "production", run_id=first.run_id)
    goto(app, "registry")
    assert "appears once a version has been evaluated" in texts(app.caption)
    evaluate_run(first.run_id, project.kpis)
    registry_setup.promote("iris-classifier", "staging", run_id=second.run_id)  # v2, not evaluated

    app.run()
    no_exception(app)

    chart = next(c for c in app.get("plotly_chart") if "registry_history_chart" in str(c.proto.id))
    figure = json.loads(chart.proto.spec)
    assert [t["text"] for t in figure["data"]][0] == ["v1"]
    assert "Not evaluated yet, so not in the chart: v2." in texts(app.caption)


def test_registry_page_shows_what_changed_between_two_versions(app):
    from core.compare.evaluation import evaluate_run
    from tests import registry_setup

    project = example(app)
    forest, tree = _trained(project), _trained(project, "decision_tree")
    registry_setup.promote("iris-classifier", "production", run_id=forest.run_id)
    registry_setup.promote("iris-classifier", "candidate", run_id=tree.run_id)
    for run in (forest, tree):
        evaluate_run(run.run_id, project.kpis)
    goto(app, "registry")

    assert (app.selectbox(key="registry_diff_a").value, app.selectbox(key="registry_diff_b").value) == ("1", "2")
    said = texts(app.markdown) + texts(app.caption)
    assert "What changed between two versions" in [e.label for e in app.expander]
    assert "the same data run" in said and "The same commit and package versions." in said
    recipe = next(df.value for df in app.dataframe if "setting" in df.value.columns)
    assert recipe.set_index("setting").loc["algorithm"].tolist() == ["random_forest", "decision_tree"]
    assert list(recipe.columns) == ["setting", "v1", "v2"]
    app.selectbox(key="registry_diff_b").set_value("1").run()
    assert "Choose two different versions." in texts(app.caption)
