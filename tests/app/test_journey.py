"""One journey (issue 19): what a person chose on one page is what the next page works with."""

from __future__ import annotations

from tests import registry_setup
from tests.app.conftest import goto, no_exception, texts
from tests.datasets import german_penguins_xlsx, penguins_csv


def _upload(app, name: str, content: bytes, mime: str = "text/csv") -> None:
    app.radio(key="data_source").set_value("Upload a file").run()
    app.file_uploader(key="data_upload").set_value((name, content, mime)).run()
    no_exception(app)


def _shown_target(app) -> str:
    """What the browser shows in the target box: the option at the index the page sent."""
    box = app.selectbox(key="data_target")
    return box.options[box.index] if box.index is not None else None


def test_the_target_box_shows_the_class_column_of_an_upload_after_a_built_in_set(app):
    app.sidebar.button(key="sidebar_example").click().run()
    goto(app, "data")
    assert app.selectbox(key="data_target").value == "species"  # iris, the built-in default
    _upload(app, "penguins.csv", penguins_csv())
    box = app.selectbox(key="data_target")
    assert box.value == "species" and _shown_target(app) == "species"
    assert "name species says it holds the class" in texts(app.caption)
    # the roles table lists every column but the target: year is a feature, species is not
    goto(app, "question")
    goto(app, "data")
    _upload(app, "penguins.csv", penguins_csv())
    assert _shown_target(app) == "species"


def test_a_german_excel_export_gets_its_class_column_not_the_year(app):
    app.sidebar.button(key="sidebar_example").click().run()
    goto(app, "data")
    _upload(
        app,
        "pinguine.xlsx",
        german_penguins_xlsx(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    assert app.selectbox(key="data_target").value == "Art"
    assert _shown_target(app) == "Art"
    assert app.metric[2].value == "3"  # three classes, not the years


def test_a_target_that_is_a_quantity_gets_a_warning(app):
    app.sidebar.button(key="sidebar_example").click().run()
    goto(app, "data")
    _upload(app, "penguins.csv", penguins_csv())
    app.selectbox(key="data_target").set_value("flipper_length_mm").run()
    no_exception(app)
    assert _shown_target(app) == "flipper_length_mm"
    assert "looks like a quantity to estimate" in texts(app.warning)


# ---- the lifecycle context: K, Predict and Monitor follow the project and the model in focus ---------------------


def _two_projects(app):
    """The iris example serving iris-classifier@production, and a penguins project with a trained run only."""
    from core.data import datastore
    from core.question import projects
    from core.train import training
    from tests.datasets import penguins

    app.sidebar.button(key="sidebar_example").click().run()
    iris = projects.find_project(projects.EXAMPLE_NAME)
    record = datastore.load_dataset(iris.data_run_id)
    run = training.train_model(iris.experiment_id, record, "logistic_regression")
    registry_setup.promote("iris-classifier", "production", run_id=run.run_id)
    penguins_project = projects.create_project("Penguins", "Which species is this penguin?")
    record = datastore.record_dataset(penguins_project.experiment_id, penguins(), "penguins", "species")
    training.train_model(penguins_project.experiment_id, record, "logistic_regression")
    app.run()
    return iris, projects.get_project(penguins_project.experiment_id)


def _pick_project(app, project) -> None:
    app.sidebar.selectbox(key="sidebar_project").set_value(project.experiment_id).run()
    no_exception(app)


def test_registering_a_model_puts_it_in_focus_on_k_predict_and_monitor(app):
    iris, penguins_project = _two_projects(app)
    _pick_project(app, penguins_project)
    goto(app, "registry")
    assert app.text_input(key="registry_model_name").value == "penguins"
    app.button(key="registry_register").click().run()
    no_exception(app)
    assert app.selectbox(key="registry_model").value == "penguins"  # not the store's first model

    goto(app, "predict")  # penguins has no alias yet: said, with the way to K; another project's model meanwhile
    assert "has a registered model, penguins, but no alias" in texts(app.info)
    assert app.selectbox(key="predict_model").value == "iris-classifier"

    goto(app, "registry")
    assert app.selectbox(key="registry_model").value == "penguins"
    app.text_input(key="identity_name").input("Ana").run()
    app.selectbox(key="registry_alias").set_value("production").run()
    assert app.button(key="registry_set_alias").disabled  # not evaluated: the gate wants an override, and says so
    assert "Tick the override and give a reason" in texts(app.caption)
    app.checkbox(key="registry_override").check().run()
    app.text_input(key="registry_reason").input("a first model for the penguin survey").run()
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    from core.registry import model_registry as registry

    assert registry.get_model("penguins").aliases == {"production": "1"}
    assert registry.get_model("iris-classifier").aliases == {"production": "1"}  # the other model is untouched
    for page in ("predict", "monitor"):
        goto(app, page)
        assert app.selectbox(key=f"{page}_model").value == "penguins"
        assert app.selectbox(key=f"{page}_alias").value == "production"

    _pick_project(app, iris)  # the sidebar moves the whole context
    for page in ("monitor", "predict", "registry"):
        goto(app, page)
        key = "registry_model" if page == "registry" else f"{page}_model"
        assert app.selectbox(key=key).value == "iris-classifier"


def test_a_model_chosen_on_predict_is_the_model_on_monitor(app):

    iris, penguins_project = _two_projects(app)
    from core.data import datastore
    from core.train import training

    record = datastore.load_dataset(penguins_project.data_run_id)
    run = training.train_model(penguins_project.experiment_id, record, "logistic_regression")
    registry_setup.promote("penguins", "champion", run_id=run.run_id)
    goto(app, "predict")
    assert app.selectbox(key="predict_model").value == "iris-classifier"  # the example is the project in focus
    app.selectbox(key="predict_model").set_value("penguins").run()
    no_exception(app)
    assert app.selectbox(key="predict_alias").value == "champion"
    assert not texts(app.warning)  # no word of an alias "gone" that this model never had
    goto(app, "monitor")
    assert app.selectbox(key="monitor_model").value == "penguins"


def test_a_project_without_a_model_says_so_on_predict_with_the_way_to_k(app):
    iris, penguins_project = _two_projects(app)
    _pick_project(app, penguins_project)
    goto(app, "predict")
    assert "The project Penguins has no registered model yet" in texts(app.info)
    assert "Go to the registry" in [link.value for link in app.get("page_link")]


def test_a_deep_link_sets_the_project_model_and_alias(store):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training
    from tests.app.conftest import ROOT

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    run = training.train_model(project.experiment_id, record, "logistic_regression")
    registry_setup.promote("iris-classifier", "production", run_id=run.run_id)
    registry_setup.set_alias("iris-classifier", "champion", "1")
    other = projects.create_project("Elsewhere", "?")
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.query_params.update({"project": project.name, "model": "iris-classifier", "alias": "champion"})
    at.run()
    no_exception(at)
    assert at.session_state["project_id"] == project.experiment_id != other.experiment_id
    goto(at, "predict")
    assert at.selectbox(key="predict_model").value == "iris-classifier"
    assert at.selectbox(key="predict_alias").value == "champion"
    at.selectbox(key="predict_alias").set_value("production").run()  # the person's later choice is not overruled
    goto(at, "monitor")
    assert at.selectbox(key="monitor_alias").value == "production"


# ---- who you are: asked once per session, and a blocked control says why -------------------------------------------


def test_the_name_is_asked_once_and_every_blocked_control_says_why(app):
    _two_projects(app)
    goto(app, "registry")
    assert app.button(key="registry_remove").disabled
    assert "Type your name in the box at the top of this page first" in texts(app.caption)
    app.text_input(key="identity_name").input("Ana").run()
    goto(app, "predict")
    goto(app, "registry")
    assert app.text_input(key="identity_name").value == "Ana"
    assert not app.button(key="registry_remove").disabled
    assert "Type your name" not in texts(app.caption)


# ---- Predict: inputs that fit the data, a result only with the inputs it answers ----------------------------------


def test_sliders_span_the_training_range_and_a_result_goes_when_its_inputs_change(app):
    from core.data import datastore

    iris, _ = _two_projects(app)
    goto(app, "predict")
    train = datastore.load_dataset(iris.data_run_id).train_xy()[0]
    sepal = app.slider(key="predict_input_0")
    assert (sepal.min, sepal.max) == (train["sepal length (cm)"].min(), train["sepal length (cm)"].max())
    assert sepal.step == 0.01
    app.number_input(key="predict_input_2_box").set_value(5.5).run()  # typed: the slider follows
    assert app.slider(key="predict_input_2").value == 5.5
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "Predicted class" in texts(app.success)
    goto(app, "question")
    goto(app, "predict")  # back again: the inputs are kept, so is their answer
    assert app.slider(key="predict_input_2").value == 5.5
    assert "Predicted class" in texts(app.success)
    app.slider(key="predict_input_3").set_value(0.4).run()
    assert "Predicted class" not in texts(app.success)  # not the answer to these inputs
    assert "inputs changed" in texts(app.caption)


def test_integer_columns_step_by_whole_numbers(app):
    from core.train import training
    from tests.datasets import penguins

    _, penguins_project = _two_projects(app)
    from core.data import datastore

    record = datastore.record_dataset(penguins_project.experiment_id, penguins(), "penguins", "species")
    run = training.train_model(penguins_project.experiment_id, record, "logistic_regression")
    registry_setup.promote("penguins", "production", run_id=run.run_id)
    _pick_project(app, penguins_project)
    goto(app, "predict")
    features = record.features
    year = app.slider(key=f"predict_input_{features.index('year')}")
    assert (year.min, year.max, year.step) == (2007, 2009, 1) and isinstance(year.value, int)
    mass = app.slider(key=f"predict_input_{features.index('body_mass_g')}")
    assert mass.step == 10
    box = app.number_input(key=f"predict_input_{features.index('body_mass_g')}_box")
    box.set_value(9000).run()  # outside the training range: typed, predicted, said to be an extrapolation
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "outside the training range" in texts(app.warning)


def test_a_model_registered_the_handout_way_predicts_on_the_page(app):
    import mlflow
    from mlflow import MlflowClient
    from sklearn.datasets import load_iris
    from sklearn.ensemble import RandomForestClassifier

    from core.data import sets as data

    X, y = load_iris(return_X_y=True)
    mlflow.set_experiment("handout notebook")
    with mlflow.start_run() as run:
        rf = RandomForestClassifier(n_estimators=10, max_depth=5, random_state=42).fit(X, y)
        mlflow.sklearn.log_model(
            rf, name="rf", input_example=X[:2], serialization_format="cloudpickle", pip_requirements=["scikit-learn"]
        )
    version = mlflow.register_model(f"runs:/{run.info.run_id}/rf", "handout-iris").version
    MlflowClient().set_registered_model_alias("handout-iris", "production-candidate", version)
    app.run()
    goto(app, "predict")
    assert app.selectbox(key="predict_model").value == "handout-iris"
    assert "plain number box" in texts(app.caption)
    for i, value in enumerate([6.3, 3.3, 6.0, 2.5]):
        app.number_input(key=f"predict_input_{i}").set_value(value)
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "Predicted class: **2**" in texts(app.success)
    batch = data.load_builtin("iris").head(12).to_csv(index=False).encode()
    app.file_uploader(key="predict_upload").set_value(("iris.csv", batch, "text/csv")).run()
    no_exception(app)
    assert "Predicted 12 rows" in texts(app.success)
    assert "feed it in their order" in texts(app.info)


# ---- words -----------------------------------------------------------------------------------------------------


def test_the_audit_trail_shows_no_raw_none(app):
    from core.registry import governance
    from core.registry.governance import Actor

    _two_projects(app)
    governance.move_alias("iris-classifier", "challenger", "1", Actor("Ana"), reason="", expected_from=None)
    goto(app, "registry")
    from core.common import i18n

    column = i18n.translate("registry.audit_from_version", "en")
    (audit,) = [d.value for d in app.dataframe if column in d.value.columns]
    shown = audit.astype(str).to_numpy().ravel().tolist()
    assert "None" not in shown and "nan" not in shown
    assert "—" in shown and "v1" in shown


def test_the_question_page_explains_kpis_with_the_comparator_they_use(app):
    from core.common import i18n

    assert "accuracy > 0.95" in i18n.translate("question.decide", "en")
    assert "Accuracy > 0,95" in i18n.translate("question.decide", "de")


def test_one_logged_prediction_is_not_called_drift_free(app):
    """One row in the prediction log: the drift tests are skipped, so the page must not say 'no drift'."""
    from core.serve import predict, prediction_log

    _two_projects(app)
    model = predict.load_served_model("iris-classifier", "1")
    one = predict.predict_one(model, predict.default_inputs(model))
    scored = prediction_log.scored_one(one.label, one.probabilities)
    prediction_log.log_predictions(
        model, __import__("pandas").DataFrame([predict.default_inputs(model)]), scored, "one row"
    )
    assert prediction_log.flush()
    goto(app, "monitor")
    no_exception(app)
    assert "No drift" not in texts(app.success)
    assert "no drift verdict either" in texts(app.info) and "only one row" in texts(app.info)
    assert "skipped" in texts(app.info)


def test_a_deep_link_naming_only_the_model_opens_its_project(store):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training
    from tests.app.conftest import ROOT

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    registry_setup.promote(
        "iris-classifier",
        "production",
        run_id=training.train_model(project.experiment_id, record, "logistic_regression").run_id,
    )
    projects.create_project("Newer project", "?")  # the sidebar's default would be this one
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.query_params.update({"model": "iris-classifier", "alias": "production"})
    at.run()
    no_exception(at)
    assert at.session_state["project_id"] == project.experiment_id
    goto(at, "predict")
    assert at.selectbox(key="predict_model").value == "iris-classifier"
    assert not at.warning  # no word of a lost alias


def test_registering_then_predicting_a_model_without_an_alias_warns_of_nothing_lost(app):
    _, penguins_project = _two_projects(app)
    _pick_project(app, penguins_project)
    goto(app, "registry")
    app.button(key="registry_register").click().run()
    goto(app, "predict")
    assert "has no alias any more" not in texts(app.warning)


def test_a_prediction_stays_shown_when_the_alias_moved_to_a_version_with_the_same_inputs(app):
    from core.data import datastore
    from core.registry import model_registry as registry
    from core.train import training

    iris, _ = _two_projects(app)
    goto(app, "predict")
    record = datastore.load_dataset(iris.data_run_id)
    run = training.train_model(iris.experiment_id, record, "logistic_regression", {"C": 0.5})
    registry.register(run.run_id, "iris-classifier")
    registry_setup.set_alias("iris-classifier", "production", "2")  # moved while the page is open
    app.button(key="predict_submit").click().run()
    no_exception(app)
    assert "(version 2," in texts(app.success)


def test_emptying_the_runs_to_compare_keeps_it_empty(app):
    from core.data import datastore
    from core.train import training

    iris, _ = _two_projects(app)
    training.train_model(iris.experiment_id, datastore.load_dataset(iris.data_run_id), "knn")
    goto(app, "compare")
    assert len(app.multiselect(key="compare_runs").value) == 2
    app.multiselect(key="compare_runs").set_value([]).run()
    no_exception(app)
    assert app.multiselect(key="compare_runs").value == []
