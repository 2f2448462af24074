"""The compare page's evidence: per-class report, curves, wrong rows, and whether two runs really differ."""

from __future__ import annotations

import mlflow
from mlflow import MlflowClient

from core.compare import evaluation
from core.data import datastore
from core.data import sets as data
from core.train import training
from tests.app.conftest import goto, no_exception, texts
from tests.app.test_pages import example


def _train(project, algorithm: str, record=None):
    record = record or datastore.load_dataset(project.data_run_id)
    params = {"n_estimators": 20} if algorithm == "random_forest" else {}
    return training.train_model(project.experiment_id, record, algorithm, params)


def _compare(app, run_ids: list[str]):
    goto(app, "compare")
    app.multiselect(key="compare_runs").set_value(run_ids).run()
    if [b for b in app.button if b.key == "compare_evaluate"]:
        app.button(key="compare_evaluate").click().run()
    no_exception(app)
    return app


def test_two_runs_get_per_class_evidence_and_a_plain_words_verdict(app):
    project = example(app)
    first, second = _train(project, "random_forest"), _train(project, "gaussian_nb")
    _compare(app, [first.run_id, second.run_id])
    subheaders = texts(app.subheader)
    assert "Evidence on the held-out rows" in subheaders and "Is the difference real?" in subheaders
    verdict = texts(app.success) + texts(app.info)
    assert "No significant difference" in verdict or "is more accurate than" in verdict
    assert "McNemar" in texts(app.caption) and "Nadeau–Bengio" in texts(app.caption)
    assert len(app.success) + len(app.info) >= 2  # one verdict from the held-out rows, one from the CV folds
    assert "cross-validation folds" in verdict or verdict.count("No significant difference") == 2
    tables = [df.value for df in app.dataframe]
    reports = [t for t in tables if "precision" in t.columns and "support" in t.columns]
    assert len(reports) == 2 and set(reports[0]["class"]) >= {"setosa", "versicolor", "virginica"}
    assert "Macro AUC" in texts(app.caption)
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    assert sum("(AUC " in spec for spec in specs) == 2  # one ROC chart per run, with a curve per class
    assert sum("(AP " in spec for spec in specs) == 2
    stored = evaluation.load_evaluation(first.run_id)
    assert len(stored.predictions) == 30 and len(stored.probabilities) == 30
    assert "evaluation/per_class.json" in {a.path for a in MlflowClient().list_artifacts(first.run_id, "evaluation")}


def test_runs_on_different_data_sets_are_not_paired(app):
    project = example(app)
    iris_run = _train(project, "random_forest")
    wine = datastore.record_dataset(
        project.experiment_id, data.load_builtin("wine"), "wine", data.BUILTIN_DATASETS["wine"][1]
    )
    wine_run = _train(project, "random_forest", wine)
    _compare(app, [iris_run.run_id, wine_run.run_id])
    assert "trained on different data sets" in texts(app.warning)
    assert len([t for t in (df.value for df in app.dataframe) if "support" in t.columns]) == 2


def test_an_evaluation_without_per_row_predictions_can_be_renewed(app):
    project = example(app)
    run = _train(project, "logistic_regression")
    old = evaluation.evaluate_run(run.run_id, project.kpis)
    legacy = {"metrics": old.metrics, "labels": old.labels, "confusion": old.confusion, "test_rows": old.test_rows}
    MlflowClient().log_dict(run.run_id, legacy, evaluation.EVALUATION_ARTIFACT)  # as stored by earlier versions
    _compare(app, [run.run_id])
    assert "evaluated before the workbench stored predictions per test row" in texts(app.caption)
    app.button(key="compare_reevaluate").click().run()
    no_exception(app)
    assert evaluation.load_evaluation(run.run_id).predictions is not None
    assert not [b for b in app.button if b.key == "compare_reevaluate"]
    assert mlflow.get_run(run.run_id).data.metrics["test_accuracy"] == old.metrics["accuracy"]


def test_a_recorded_conclusion_is_a_run_tag_shown_in_the_registry(app):
    from core.registry import model_registry as registry

    project = example(app)
    run = _train(project, "random_forest")
    _compare(app, [run.run_id])
    specs = [chart.proto.spec for chart in app.get("plotly_chart")]
    assert any("CV mean" in spec for spec in specs)  # metric bars carry the CV error bars
    app.radio(key="compare_conclusion_verdict").set_value("use")
    app.text_area(key="compare_conclusion_note").set_value("Meets both KPIs; simplest model.")
    next(b for b in app.button if "FormSubmitter" in b.id).click().run()  # the form's submit button
    no_exception(app)
    assert "Conclusion recorded" in texts(app.success)
    tags = MlflowClient().get_run(run.run_id).data.tags
    assert tags["qua3ck.conclusion"] == "use" and tags["qua3ck.conclusion_note"] == "Meets both KPIs; simplest model."
    registry.register(run.run_id, "iris-classifier")
    row = registry.versions_table("iris-classifier")[0]
    assert row["conclusion"] == "Good enough: use it — Meets both KPIs; simplest model."
