"""The whole lifecycle through AppTest, one page after the other, the way a person clicks through it."""

from __future__ import annotations

from mlflow import MlflowClient

from core.question import projects
from core.registry import model_registry as registry
from tests.app.conftest import goto, no_exception, texts


def test_question_to_prediction(app):
    app.sidebar.button(key="sidebar_example").click().run()
    no_exception(app)
    project = projects.find_project(projects.EXAMPLE_NAME)

    goto(app, "question")
    app.number_input(key="question_threshold_accuracy").set_value(0.9)
    app.button(key="question_save").click().run()
    assert "accuracy > 0.9" in texts(app.success)

    goto(app, "data")
    app.selectbox(key="data_builtin").set_value("iris").run()
    app.button(key="data_use").click().run()
    no_exception(app)
    assert "held-out test rows" in texts(app.success) or "Current project data" in texts(app.success)

    goto(app, "train")
    app.multiselect(key="train_algorithms").set_value(["random_forest", "logistic_regression"]).run()
    app.button(key="train_run").click().run()
    no_exception(app)
    assert "Best CV accuracy" in texts(app.success)

    goto(app, "compare")
    app.button(key="compare_evaluate").click().run()
    no_exception(app)
    assert "Evaluated 2 runs" in texts(app.success)
    assert "KPI verdict" in texts(app.markdown)

    goto(app, "registry")
    app.text_input(key="identity_name").input("Ana")
    app.button(key="registry_register").click().run()
    assert "Registered 'iris-classifier' version 1" in texts(app.success)
    app.selectbox(key="registry_alias").set_value("production")
    app.selectbox(key="registry_version").set_value("1")
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    assert "@production now points at version 1" in texts(app.success)

    goto(app, "predict")
    assert "models:/iris-classifier@production" in texts(app.caption)
    app.button[0].click().run()
    no_exception(app)
    assert "Predicted class:" in texts(app.success)

    goto(app, "home")
    markdown = texts(app.markdown)
    assert "models:/iris-classifier@production serves version 1" in markdown
    version = registry.resolve_alias("iris-classifier", "production")
    run = MlflowClient().get_run(version.run_id)
    assert run.info.experiment_id == project.experiment_id and "test_accuracy" in run.data.metrics
