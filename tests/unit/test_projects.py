"""core.question.projects: projects are MLflow experiments with the question and KPIs as tags."""

from __future__ import annotations

import json

import pytest

from core.question import projects
from core.question.kpis import DEFAULT_KPIS, KPI, KPIError
from core.question.projects import ProjectError


def fresh_client():
    from mlflow import MlflowClient

    from core.common.config import active_store

    return MlflowClient(tracking_uri=active_store().tracking_uri)


def test_empty_store_lists_no_projects(store):
    assert projects.list_projects() == []  # the built-in empty 'Default' experiment is hidden


def test_create_get_find_and_list(store):
    created = projects.create_project("  Churn  ", "Will they leave?", [KPI("f1_macro", ">=", 0.8)])
    assert created.name == "Churn"
    assert created.question == "Will they leave?"
    assert created.kpis == [KPI("f1_macro", ">=", 0.8)]
    assert created.kpis_set is True
    assert created.data_run_id is None
    assert projects.get_project(created.experiment_id) == created
    assert projects.find_project("Churn") == created
    assert projects.find_project("Nope") is None

    second = projects.create_project("Second")
    assert [p.name for p in projects.list_projects()] == ["Second", "Churn"]  # newest first
    assert second.kpis == list(DEFAULT_KPIS)
    assert second.question == ""


def test_created_experiment_uses_embedded_artifact_folder(store):
    project = projects.create_project("Artifacts")
    location = fresh_client().get_experiment(project.experiment_id).artifact_location
    assert location == (store / "artifacts").as_uri()


@pytest.mark.parametrize("name", ["", "   ", None])
def test_empty_names_are_refused(store, name):
    with pytest.raises(ProjectError, match="name"):
        projects.create_project(name)


def test_too_long_name_is_refused(store):
    with pytest.raises(ProjectError, match="at most 200"):
        projects.create_project("x" * 201)
    assert projects.create_project("x" * 200).name == "x" * 200


@pytest.mark.parametrize("again", ["Taken", "  Taken "])
def test_duplicate_names_are_refused(store, again):
    projects.create_project("Taken")
    with pytest.raises(ProjectError, match="already one named 'Taken'"):
        projects.create_project(again)
    assert len(projects.list_projects()) == 1


def test_deleted_project_name_is_refused_and_hidden(store):
    project = projects.create_project("Gone")
    fresh_client().delete_experiment(project.experiment_id)
    assert projects.find_project("Gone") is None
    assert projects.list_projects() == []
    with pytest.raises(ProjectError, match="deleted one"):
        projects.create_project("Gone")


def test_duplicate_kpi_metrics_are_refused(store):
    with pytest.raises(KPIError):
        projects.create_project("Dup KPIs", kpis=[KPI("accuracy", ">", 0.5), KPI("accuracy", ">", 0.6)])
    assert projects.find_project("Dup KPIs") is None


def test_get_missing_project(store):
    with pytest.raises(ProjectError, match="does not exist"):
        projects.get_project("987654")


def test_example_project_has_question_and_default_kpis(store):
    example = projects.ensure_example_project()
    assert example.name == projects.EXAMPLE_NAME == "Iris Classification Experiment"
    assert example.question == projects.EXAMPLE_QUESTION
    assert example.kpis == [KPI("accuracy", ">", 0.95), KPI("latency_ms", "<", 500.0)]
    assert example.kpis_set
    assert projects.ensure_example_project() == example  # idempotent
    assert len(projects.list_projects()) == 1


def test_save_question_and_kpis_persists(store):
    project = projects.create_project("Persist")
    new_kpis = [KPI("balanced_accuracy", ">=", 0.9), KPI("latency_ms", "<=", 100.0)]
    saved = projects.save_question_and_kpis(project.experiment_id, "  Which class?  ", new_kpis)
    assert saved.question == "Which class?"
    assert saved.kpis == new_kpis

    tags = fresh_client().get_experiment(project.experiment_id).tags
    assert tags[projects.TAG_QUESTION] == "Which class?"
    assert json.loads(tags[projects.TAG_KPIS]) == [
        {"metric": "balanced_accuracy", "op": ">=", "threshold": 0.9},
        {"metric": "latency_ms", "op": "<=", "threshold": 100.0},
    ]
    note = tags["mlflow.note.content"]
    assert "**Question:** Which class?" in note
    assert "- `balanced_accuracy >= 0.9`" in note
    assert "- `latency_ms <= 100`" in note
    assert "accuracy > 0.95" not in note


def test_save_empty_kpis_keeps_them_empty(store):
    project = projects.create_project("No KPIs")
    saved = projects.save_question_and_kpis(project.experiment_id, "", [])
    assert saved.kpis == []
    assert saved.kpis_set is True
    assert "_not set yet_" in fresh_client().get_experiment(project.experiment_id).tags["mlflow.note.content"]


def test_save_refuses_duplicate_metrics_and_changes_nothing(store):
    project = projects.create_project("Keep", "q", [KPI("accuracy", ">", 0.9)])
    with pytest.raises(KPIError):
        projects.save_question_and_kpis(project.experiment_id, "new", [KPI("accuracy", ">", 0.5)] * 2)
    assert projects.get_project(project.experiment_id) == project


def test_experiment_without_kpi_tag_gets_default_kpis(store):
    experiment_id = fresh_client().create_experiment("Made elsewhere")
    project = projects.get_project(experiment_id)
    assert project.kpis == list(DEFAULT_KPIS)
    assert project.kpis_set is False
    assert project.question == ""


def test_set_data_run(store):
    project = projects.create_project("Data")
    projects.set_data_run(project.experiment_id, "abc123")
    assert projects.get_project(project.experiment_id).data_run_id == "abc123"


@pytest.mark.parametrize(
    ("question", "kpis", "expected"),
    [
        ("Q?", [KPI("accuracy", ">", 0.95)], "**Question:** Q?\n\n**KPIs:**\n- `accuracy > 0.95`"),
        ("  ", [], "**Question:** _not set yet_\n\n**KPIs:**\n- _none_"),
    ],
)
def test_describe(question, kpis, expected):
    assert projects.describe(question, kpis) == expected


def test_artifacts_of_a_new_project_stay_in_the_embedded_data_folder(store):
    import mlflow

    from core.common import config

    config.activate_store(config.resolve_store())  # as on every app rerun, after mlflow exported its URI
    project = projects.create_project("artifacts-here")
    location = mlflow.get_experiment(project.experiment_id).artifact_location
    assert location == (store / "artifacts").as_uri()
