"""The A³ page: feature steps, starting a search, watching it, stopping it, and refusing bad set-ups."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from core.train import jobs
from tests.app.conftest import goto, no_exception, texts


@pytest.fixture
def train_page(app, iris_project):
    project, _ = iris_project
    app.session_state["project_id"] = project.experiment_id
    goto(app, "train")
    return app, project


def _job(at) -> jobs.SearchJob:
    job = jobs.get_job(at.session_state["search_job"])
    assert job is not None
    return job


def _runs(experiment_id: str, status: str | None = None):
    query = f"attributes.status = '{status}'" if status else ""
    return MlflowClient().search_runs([experiment_id], filter_string=query)


def test_search_runs_in_the_background_and_shows_its_trials(train_page):
    at, project = train_page
    at.radio(key="train_search_method").set_value("random")
    at.number_input(key="train_search_trials").set_value(3)
    at.slider(key="train_cv_folds").set_value(3)
    at.button(key="train_search_start").click().run()
    no_exception(at)
    job = _job(at)
    assert job.wait(180)
    at.run()
    no_exception(at)
    view = job.view()
    assert view.status == "finished"
    assert len(view.trials) == 3
    assert "Best: trial" in texts(at.success)
    parent = MlflowClient().get_run(view.run_id)
    assert parent.info.status == "FINISHED"
    assert parent.data.params["search.method"] == "random"
    assert parent.data.params["cv_folds"] == "3"
    children = [r for r in _runs(project.experiment_id) if r.data.tags.get("mlflow.parentRunId") == view.run_id]
    assert len(children) == 3
    assert not _runs(project.experiment_id, "RUNNING")


def test_stop_ends_the_search_and_keeps_the_trials_done(train_page):
    at, project = train_page
    at.number_input(key="train_search_trials").set_value(500)
    at.button(key="train_search_start").click().run()
    job = _job(at)
    for _ in range(600):  # wait for the first trial to be logged
        if job.view().trials:
            break
        job.wait(0.2)
    at.run()
    at.button(key=f"train_stop_{job.job_id}").click().run()
    no_exception(at)
    assert job.wait(120)
    view = job.view()
    assert view.status == "stopped"
    assert 1 <= len(view.trials) < 500
    assert view.result.model_uri  # the best so far was refit and logged
    at.run()
    assert "stopped on request" in texts(at.success)
    assert not _runs(project.experiment_id, "RUNNING")


def test_navigating_away_and_back_shows_the_running_search(train_page):
    at, _ = train_page
    at.number_input(key="train_search_trials").set_value(500)
    at.button(key="train_search_start").click().run()
    job = _job(at)
    try:
        goto(at, "data")
        goto(at, "train")
        assert at.button(key=f"train_stop_{job.job_id}")  # the live view with its Stop button is back
        assert at.button(key="train_search_start").disabled
    finally:
        job.stop()
        assert job.wait(120)


def test_a_search_without_any_budget_is_refused_before_anything_runs(train_page):
    at, project = train_page
    before = len(_runs(project.experiment_id))
    at.radio(key="train_search_method").set_value("optuna")
    at.number_input(key="train_search_trials").set_value(0).run()
    no_exception(at)
    assert "Give a trial budget, a time budget or both." in texts(at.error)
    assert at.button(key="train_search_start").disabled
    at.number_input(key="train_search_minutes").set_value(0.5).run()  # a time budget alone is enough
    assert not at.error
    assert not at.button(key="train_search_start").disabled
    assert len(_runs(project.experiment_id)) == before


def test_feature_steps_reach_the_logged_run(train_page):
    at, project = train_page
    at.selectbox(key="train_prep_scaling").set_value("robust")
    at.selectbox(key="train_prep_poly").set_value(2)
    at.number_input(key="train_prep_pca").set_value(3)
    at.multiselect(key="train_algorithms").set_value(["logistic_regression"]).run()
    at.button(key="train_run").click().run()
    no_exception(at)
    result = at.session_state["train_results"][0]
    params = MlflowClient().get_run(result.run_id).data.params
    assert (params["prep.scaling"], params["prep.poly_degree"], params["prep.pca"]) == ("robust", "2", "3")
