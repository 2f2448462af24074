"""The registry page's governance: the gate with override, the comparison with the current holder, the audit
trail with rollback, protected aliases, and the model card."""

from __future__ import annotations

from mlflow import MlflowClient

from core.compare import evaluation
from core.question import projects
from core.registry import governance
from core.registry import model_registry as registry
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_compare_evidence import _train
from tests.app.test_pages import example

MODEL = "iris-classifier"


def _registered(app, verdicts: tuple[str, ...]):
    """Versions 1.. of MODEL from evaluated runs whose KPI verdict is forced to ``verdicts``."""
    project = example(app)
    runs = []
    for verdict, algorithm in zip(verdicts, ("logistic_regression", "gaussian_nb", "knn"), strict=False):
        run = _train(project, algorithm)
        evaluation.evaluate_run(run.run_id, project.kpis)
        MlflowClient().set_tag(run.run_id, evaluation.TAG_VERDICT, verdict)
        registry.register(run.run_id, MODEL)
        runs.append(run)
    goto(app, "registry")
    app.text_input(key="identity_name").input("Ana").run()
    return runs


def _choose(app, alias: str, version: str):
    app.selectbox(key="registry_alias").set_value(alias)
    app.selectbox(key="registry_version").set_value(version).run()
    no_exception(app)
    return app


def test_promoting_through_the_gate_comparing_and_rolling_back(app):
    _registered(app, ("pass", "fail"))
    _choose(app, "production", "1")
    assert "version 1 passes its KPIs" in texts(app.success)
    app.button(key="registry_set_alias").click().run()
    assert "@production now points at version 1" in texts(app.success)
    # v2 fails its KPIs: the gate warns, the button waits for an override with a reason
    _choose(app, "production", "2")
    assert "not a pass" in texts(app.warning)
    assert app.button(key="registry_set_alias").disabled
    # the candidate against the current holder: metric changes, both paired tests, two confusion matrices
    assert any("v2 (candidate)" in df.value.columns and "change" in df.value.columns for df in app.dataframe)
    assert "held-out rows:" in texts(app.caption) and "CV folds:" in texts(app.caption)
    assert sum("predicted" in chart.proto.spec for chart in app.get("plotly_chart")) >= 2
    app.checkbox(key="registry_override").check().run()
    app.text_input(key="registry_reason").input("short").run()
    app.button(key="registry_set_alias").click().run()
    assert "at least 10 characters" in texts(app.error)
    assert registry.get_model(MODEL).aliases == {"production": "1"}
    app.checkbox(key="registry_override").check()
    app.text_input(key="registry_reason").input("Business accepts lower recall this week").run()
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    assert registry.get_model(MODEL).aliases == {"production": "2"}
    trail = next(df.value for df in app.dataframe if "who" in df.value.columns)
    assert trail["who"].tolist() == ["Ana", "Ana"] and trail["override"].tolist() == ["yes", "no"]
    # one click rolls back, and the rollback is itself in the trail
    app.button(key="registry_rollback_production").click().run()
    no_exception(app)
    assert "Rolled @production back from v2 to v1" in texts(app.success)
    assert registry.get_model(MODEL).aliases == {"production": "1"}
    assert [e.action for e in governance.history(MODEL)] == ["rollback", "set", "set"]
    # the Predict page says which version answers, who put it there and its verdict
    goto(app, "predict")
    assert "rolled back by Ana on" in texts(app.caption) and "KPI verdict: pass" in texts(app.caption)


def test_protection_is_configurable_and_a_stale_view_is_refused(app):
    _registered(app, ("fail", "fail"))
    _choose(app, "challenger", "1")
    assert "@challenger is not protected" in texts(app.success)
    app.multiselect(key="registry_protected").set_value(["production", "champion", "challenger"])
    app.button(key="registry_protected_save").click().run()
    assert "needs a written reason of at least 10 characters" in texts(app.error)  # changing the gate is audited
    assert governance.protected_aliases(MODEL) == ("production", "champion")
    app.multiselect(key="registry_protected").set_value(["production", "champion", "challenger"])
    app.text_input(key="registry_protected_reason").input("challenger serves the beta shop").run()
    app.button(key="registry_protected_save").click().run()
    assert governance.protected_aliases(MODEL) == ("production", "champion", "challenger")
    trail = next(df.value for df in app.dataframe if "who" in df.value.columns)
    assert trail["action"].tolist() == ["protect"] and trail["reason"].tolist() == ["challenger serves the beta shop"]
    _choose(app, "challenger", "1")
    assert "not a pass" in texts(app.warning)
    # someone else moves @staging while this person is deciding
    app.selectbox(key="registry_alias").set_value("other…").run()
    app.text_input(key="registry_alias_custom").input("staging").run()
    app.selectbox(key="registry_version").set_value("1").run()
    governance.move_alias(MODEL, "staging", "2", governance.Actor("ben"))
    app.button(key="registry_set_alias").click().run()
    assert "changed while you were deciding" in texts(app.error)
    assert registry.get_model(MODEL).aliases == {"staging": "2"}


def test_the_model_card_has_editable_sections_downloads_and_is_logged(app):
    runs = _registered(app, ("pass",))
    app.text_area(key="registry_card_use").input("Teaching: classify iris flowers in class exercises.")
    app.text_area(key="registry_card_limits").input("Only the three iris species; measured in cm.")
    next(b for b in app.button if "FormSubmitter" in b.id and "card" in b.id).click().run()
    no_exception(app)
    tags = registry.version_tags(MODEL, "1")
    assert tags["qua3ck.card.intended_use"] == "Teaching: classify iris flowers in class exercises."
    card = texts(app.markdown)
    assert "Only the three iris species" in card and "Question and KPIs" in card
    headings = [m.value for m in app.markdown if m.value.startswith(("# ", "## ", "\\#"))]
    assert "# iris-classifier v1" in headings and "## Question and KPIs" in headings  # headings, not "\#" text
    downloads = [d for d in app.get("download_button")]
    assert len(downloads) == 2
    app.button(key="registry_card_log").click().run()
    assert "Logged model_card/" in texts(app.success)
    logged = {a.path for a in MlflowClient().list_artifacts(runs[0].run_id, "model_card")}
    assert logged == {"model_card/iris-classifier-v1.md", "model_card/iris-classifier-v1.html"}


def test_a_model_registered_by_other_code_can_be_promoted_and_documented(app):
    import mlflow
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    example(app)
    X, y = load_iris(return_X_y=True, as_frame=True)
    with mlflow.start_run(run_name="notebook"):
        info = mlflow.sklearn.log_model(LogisticRegression(max_iter=500).fit(X, y), name="model")
    mlflow.register_model(info.model_uri, "notebook-model")
    goto(app, "registry")
    app.text_input(key="identity_name").input("Ana").run()
    app.selectbox(key="registry_model").set_value("notebook-model").run()
    no_exception(app)
    versions = next(df.value for df in app.dataframe if "version" in df.value.columns and "run" in df.value.columns)
    assert versions["algorithm"].tolist() == ["other code"] and versions["verdict"].tolist() == ["· not evaluated"]
    _choose(app, "production", "1")
    assert "'not evaluated', not a pass" in texts(app.warning)  # the gate treats it like any unevaluated version
    _choose(app, "challenger", "1")
    app.button(key="registry_set_alias").click().run()
    no_exception(app)
    assert registry.get_model("notebook-model").aliases == {"challenger": "1"}
    assert "registered by other code" in texts(app.markdown)  # the model card says what is not known


def test_a_rollback_to_a_deleted_version_is_not_offered_and_says_why(app):
    _registered(app, ("pass", "pass"))
    ana = governance.Actor("Ana")
    governance.move_alias(MODEL, "production", "1", ana, reason="first release")
    governance.move_alias(MODEL, "production", "2", ana, reason="second release")
    MlflowClient().delete_model_version(MODEL, "1")  # by other code, behind the workbench's back
    goto(app, "registry")
    button = app.button(key="registry_rollback_production")
    assert button.disabled
    assert "Version 1, which held the alias before, was deleted" in button.help
    assert registry.get_model(MODEL).aliases == {"production": "2"}


def test_kpis_that_judged_runs_change_only_with_a_name_and_a_reason_and_the_k_trail_shows_it(app):
    """Lowering the bar after a model failed it is the gate switched off by another door: audited like the gate."""
    _registered(app, ("fail",))
    app.session_state["actor_name"] = ""  # a new browser session: nobody said who they are yet
    goto(app, "question")
    app.number_input(key="question_threshold_accuracy").set_value(0.3).run()
    assert "they are the rules the promotion gate applies" in texts(app.info)
    assert app.button(key="question_save").disabled
    assert "Type your name above first" in texts(app.caption)
    app.text_input(key="identity_name").input("Ben").run()
    app.button(key="question_save").click().run()
    assert "needs a written reason" in texts(app.error)
    project = projects.find_project(projects.EXAMPLE_NAME)
    assert [str(k) for k in project.kpis] == ["accuracy > 0.95", "latency_ms < 500"]  # nothing changed
    app.text_input(key="question_kpis_reason").input("the pilot accepts a weaker model").run()
    app.button(key="question_save").click().run()
    no_exception(app)
    assert "accuracy > 0.3" in texts(app.success)
    assert "Changes to the KPIs (1)" in [e.label for e in app.expander]
    goto(app, "registry")
    trail = next(df.value for df in app.dataframe if "who" in df.value.columns)
    row = trail[trail["action"] == "change KPIs"].iloc[0]
    assert (row["who"], row["from_version"], row["to_version"]) == (
        "Ben", "accuracy > 0.95, latency_ms < 500", "accuracy > 0.3, latency_ms < 500",
    )  # fmt: skip
    assert row["reason"] == "the pilot accepts a weaker model"
