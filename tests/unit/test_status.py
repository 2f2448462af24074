"""core.lifecycle.status (and core.compare.runs): the lifecycle board of a project."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.compare import evaluation, runs
from core.lifecycle import status
from core.question import projects
from core.question.kpis import KPI, primary_metric
from core.registry import model_registry as registry
from core.train import training
from tests import registry_setup


def by_phase(board):
    return {card.phase: card for card in board}


def test_empty_project(store):
    project = projects.create_project("Empty")
    board = status.lifecycle_status(project, None)
    assert [c.phase for c in board] == ["Q", "U", "A³", "C", "K", "▶"]
    pages = Path(__file__).resolve().parents[2] / "pages"
    for card in board:
        assert (pages / card.page).is_file(), f"phase {card.phase} links to a missing page {card.page}"
    cards = by_phase(board)
    assert cards["Q"].done is False  # default KPIs but no question
    assert cards["Q"].summary.startswith("No question yet · KPIs: `accuracy > 0.95`")
    assert cards["Q"].next_step == "Write the question and set KPIs."
    assert not any(c.done for c in board)
    assert cards["U"].summary == "No data chosen yet"
    assert cards["A³"].summary == "No trained models yet"
    assert cards["A³"].next_step == "Choose data first."
    assert cards["C"].summary == "No run evaluated on the test set yet"
    assert cards["K"].summary == "No registered model yet"
    assert cards["▶"].summary == "Nothing is served yet"


def test_question_done_needs_question_and_kpis(store):
    project = projects.create_project("Q", "Which?", kpis=[])
    assert by_phase(status.lifecycle_status(project, None))["Q"].done is False
    project = projects.save_question_and_kpis(project.experiment_id, "Which?", [KPI("accuracy", ">=", 0.5)])
    card = by_phase(status.lifecycle_status(project, None))["Q"]
    assert card.done is True
    assert card.summary == "Which? · KPIs: `accuracy >= 0.5`"


def test_long_question_is_shortened(store):
    project = projects.create_project("Long", "word " * 200)
    summary = by_phase(status.lifecycle_status(project, None))["Q"].summary
    assert len(summary.split(" · KPIs")[0]) == 300
    assert "…" in summary


def test_full_lifecycle(iris_project):
    project, record = iris_project
    cards = by_phase(status.lifecycle_status(project, "iris · 150 rows"))
    assert [cards[p].done for p in ["Q", "U", "A³", "C", "K", "▶"]] == [True, True, False, False, False, False]
    assert cards["U"].summary == "iris · 150 rows"
    assert cards["A³"].next_step == "Train a first model."

    result = training.train_model(project.experiment_id, record, "logistic_regression")
    cards = by_phase(status.lifecycle_status(project, "iris"))
    assert cards["A³"].done
    assert cards["A³"].summary == f"1 run · best CV accuracy: {result.cv_metrics['cv_accuracy']:.3f}"
    assert not cards["C"].done

    ev = evaluation.evaluate_run(result.run_id, [KPI("accuracy", ">", 0.5)])
    cards = by_phase(status.lifecycle_status(project, "iris"))
    assert cards["C"].done
    assert f"Best test accuracy: {ev.metrics['accuracy']:.3f}" in cards["C"].summary
    assert cards["C"].summary.endswith("KPI verdict: pass")
    assert cards["C"].next_step == "Register the best passing run."

    registry.register(result.run_id, "iris-classifier")
    cards = by_phase(status.lifecycle_status(project, "iris"))
    assert cards["K"].done
    assert cards["K"].summary == "iris-classifier: no aliases"
    assert cards["K"].next_step == "Point 'production' at the version to serve."
    assert not cards["▶"].done

    registry_setup.set_alias("iris-classifier", "champion", "1")
    cards = by_phase(status.lifecycle_status(project, "iris"))
    assert cards["K"].summary == "iris-classifier: @champion→v1"
    assert cards["▶"].done
    assert cards["▶"].summary == "models:/iris-classifier@champion serves version 1"

    registry.register(result.run_id, "iris-classifier")
    registry_setup.set_alias("iris-classifier", "production", "2")
    board = status.lifecycle_status(project, "iris")
    assert all(c.done for c in board)
    assert by_phase(board)["▶"].summary == "models:/iris-classifier@production serves version 2"
    assert by_phase(board)["K"].next_step == "Keep aliases current."


def test_models_of_other_projects_are_not_shown(iris_project):
    project, record = iris_project
    result = training.train_model(project.experiment_id, record, "logistic_regression")
    registry.register(result.run_id, "iris-classifier")
    other = projects.create_project("Other", "q?")
    assert [m.name for m in registry.project_models(project.experiment_id)] == ["iris-classifier"]
    assert registry.project_models(other.experiment_id) == []
    assert by_phase(status.lifecycle_status(other, None))["K"].done is False


@pytest.mark.parametrize(
    ("aliases", "expected"),
    [
        ({"production": "1", "champion": "2"}, "production"),
        ({"champion": "2", "zeta": "1"}, "champion"),
        ({"zeta": "1", "alpha": "2"}, "alpha"),
        ({}, None),
    ],
)
def test_serving_alias(aliases, expected):
    assert status.serving_alias(registry.ModelSummary("m", aliases)) == expected


@pytest.mark.parametrize(
    ("kpis", "expected"),
    [
        ([KPI("latency_ms", "<", 5.0), KPI("f1_macro", ">", 0.5)], "f1_macro"),
        ([KPI("latency_ms", "<", 5.0)], "accuracy"),
        ([], "accuracy"),
    ],
)
def test_primary_metric(kpis, expected):
    assert primary_metric(kpis) == expected


def test_training_runs_excludes_data_runs(iris_project):
    project, record = iris_project
    assert runs.training_runs(project.experiment_id).empty
    result = training.train_model(project.experiment_id, record, "logistic_regression")
    table = runs.training_runs(project.experiment_id, "f1_macro")
    assert table["run_id"].tolist() == [result.run_id]
    row = table.iloc[0]
    assert (row["algorithm"], row["status"], row["verdict"], bool(row["has_model"])) == (
        "logistic_regression",
        "FINISHED",
        "not evaluated",
        True,
    )
    assert row["cv_score"] == pytest.approx(result.cv_metrics["cv_f1_macro"])
    assert row["data_digest"] == record.digest
    assert runs.run_params(result.run_id)["algorithm"] == "logistic_regression"


def test_board_and_core_messages_follow_the_language(store):
    from core.common import i18n
    from core.question.kpis import KPIError, parse_kpi

    try:
        i18n.set_language_resolver(lambda: "de")
        project = projects.create_project("Leer")
        cards = by_phase(status.lifecycle_status(project, None))
        assert cards["Q"].title == "Frage"
        assert cards["Q"].summary.startswith("Noch keine Frage · KPIs: `accuracy > 0,95`")
        assert cards["U"].summary == "Noch keine Daten gewählt"
        assert cards["▶"].next_step == "Geben Sie einer registrierten Version einen Alias wie 'production'."
        with pytest.raises(KPIError, match="außerhalb"):
            KPI("accuracy", ">=", 1.5)
        with pytest.raises(KPIError, match="nicht lesbar"):
            parse_kpi("accuracy")
        with pytest.raises(projects.ProjectError, match="bereits ein Projekt namens 'Leer'"):
            projects.create_project("Leer")
    finally:
        i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)
    assert by_phase(status.lifecycle_status(project, None))["Q"].title == "Question"
