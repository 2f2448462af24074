"""The guided tour against a temporary store: each step's effect in MLflow, progress read from the store, a step
done twice writing nothing, and a tour resumed after a skip or a partial walk continuing at the right step."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from core import governance, i18n, prediction_log, projects, registry, tour
from core.evaluation import TAG_VERDICT

MODEL = "iris-classifier"


def _footprint() -> dict[str, int]:
    """How much the store holds: runs of every experiment, model versions, audit entries, logged predictions."""
    client = MlflowClient()
    experiments = [e.experiment_id for e in client.search_experiments()]
    models = client.search_registered_models()
    footprint = {
        "experiments": len(experiments),
        "runs": len(client.search_runs(experiments, max_results=5000)),
        "versions": len(client.search_model_versions(max_results=1000)),
        "audit": sum(k.startswith(governance.AUDIT_PREFIX) for m in models for k in (m.tags or {})),
    }
    project = projects.find_project(projects.EXAMPLE_NAME)
    if project is not None and models:
        footprint["predictions"] = len(prediction_log.read_log(project.experiment_id, MODEL))
    return footprint


def _explains(outcome: tour.Outcome) -> None:
    """The outcome fills its texts in both languages (every field the catalogues ask for is a fact)."""
    for language in i18n.LANGUAGES:
        for key in (f"tour.{outcome.key}.done", *outcome.notes):
            assert i18n.translate(key, language, **outcome.facts)


def test_the_steps_walk_the_lifecycle_and_have_their_texts():
    assert tour.STEP_KEYS == ("question", "data", "search", "compare", "register", "alias", "predict")
    assert [s.page for s in tour.STEPS] == [
        "question.py",
        "data.py",
        "train.py",
        "compare.py",
        "registry.py",
        "registry.py",
        "predict.py",
    ]
    assert [s.number for s in tour.STEPS] == list(range(1, 8))
    for language in i18n.LANGUAGES:
        texts = i18n.catalogue(language)
        for key in tour.STEP_KEYS:
            assert {f"tour.{key}.title", f"tour.{key}.working", f"tour.{key}.done"} <= set(texts)


def test_an_empty_store_offers_the_tour_and_nothing_runs_out_of_order(store):
    survey = tour.survey()
    assert (survey.done, survey.state, survey.store_empty, survey.next_step.key) == (0, None, True, "question")
    assert tour.offer().store_empty
    with pytest.raises(tour.TourError, match="Question and KPIs"):
        tour.run_step("search")
    assert projects.list_projects() == []  # refused before anything was written


def test_a_store_with_other_projects_and_no_tour_offers_nothing(iris_project):
    # the example made by hand (sidebar) is no begun tour: the home page stays quiet
    assert tour.offer() is None
    assert tour.survey().done == 2  # yet the tour would reuse its question, KPIs and data
    projects.create_project("Churn")
    assert tour.offer() is None


def test_every_step_leaves_its_effect_in_mlflow_once(store, monkeypatch):
    client = MlflowClient()

    # 1: question and KPIs
    outcome = tour.run_next()
    assert outcome.key == "question" and outcome.performed
    project = projects.find_project(projects.EXAMPLE_NAME)
    assert project.question == projects.EXAMPLE_QUESTION and project.kpis_set
    assert outcome.mlflow_path == f"#/experiments/{project.experiment_id}"
    assert client.get_experiment(project.experiment_id).tags[tour.TAG_TOUR] == tour.STARTED
    _explains(outcome)
    before = _footprint()
    again = tour.run_step("question")
    assert not again.performed and again.facts == outcome.facts
    assert _footprint() == before

    # 2: data — then the tour is skipped; it is resumable from the store alone
    outcome = tour.run_next()
    assert outcome.key == "data"
    project = projects.get_project(project.experiment_id)
    data_run = client.get_run(project.data_run_id)
    assert outcome.facts["run_id"] == data_run.info.run_id and outcome.facts["rows"] == "150"
    assert data_run.data.tags["qua3ck.kind"] == "data"
    _explains(outcome)
    before = _footprint()
    assert not tour.run_step("data").performed
    assert _footprint() == before
    tour.skip()
    survey = tour.offer()
    assert (survey.state, survey.done, survey.next_step.key, survey.store_empty) == (tour.SKIPPED, 2, "search", False)

    # 3: the random-forest search, resumed as a new session would: from the store
    outcome = tour.run_next()
    assert outcome.key == "search" and outcome.performed
    search = client.get_run(outcome.facts["run_id"])
    assert search.data.tags["qua3ck.search"] == "1" and search.data.tags["qua3ck.algorithm"] == "random_forest"
    assert search.data.tags["qua3ck.model_uri"] and search.info.status == "FINISHED"
    trials = client.search_runs(
        [project.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{search.info.run_id}'"
    )
    assert len(trials) == tour.SEARCH_TRIALS == int(outcome.facts["trials"])
    assert outcome.mlflow_path == f"#/experiments/{project.experiment_id}/runs/{search.info.run_id}"
    assert client.get_experiment(project.experiment_id).tags[tour.TAG_TOUR] == tour.STARTED
    _explains(outcome)
    before = _footprint()
    assert not tour.run_step("search").performed
    assert _footprint() == before

    # 4: the held-out comparison, logged on the search run
    outcome = tour.run_next()
    assert outcome.key == "compare"
    search = client.get_run(search.info.run_id)
    assert "test_accuracy" in search.data.metrics and search.data.tags[TAG_VERDICT] == outcome.facts["verdict"]
    assert outcome.facts["verdict"] == "pass"  # the handout's example meets its KPIs, so the gate lets it through
    _explains(outcome)
    before = _footprint()
    assert not tour.run_step("compare").performed
    assert _footprint() == before

    # 5: register
    outcome = tour.run_next()
    assert outcome.key == "register"
    versions = registry.list_versions(MODEL)
    assert [(v.version, v.run_id) for v in versions] == [("1", search.info.run_id)]
    assert outcome.mlflow_path == f"#/models/{MODEL}/versions/1"
    _explains(outcome)
    before = _footprint()
    assert not tour.run_step("register").performed
    assert _footprint() == before

    # 6: @production through the gate; a refusal leaves the tour where it was, ready to resume
    def refused(*args, **kwargs):
        raise governance.GovernanceError("The registry did not answer.")

    with monkeypatch.context() as patched:
        patched.setattr(tour.governance, "move_alias", refused)
        with pytest.raises(governance.GovernanceError):
            tour.run_next()
    assert tour.survey().next_step.key == "alias"
    outcome = tour.run_next()
    assert outcome.key == "alias"
    assert registry.resolve_alias(MODEL, "production").version == "1"
    entry = governance.history(MODEL, "production")[0]
    assert (entry.who, entry.to_version, entry.verdict, entry.override) == (tour.ACTOR, "1", "pass", False)
    assert outcome.facts["uri"] == f"models:/{MODEL}@production" and outcome.facts["who"] == tour.ACTOR
    _explains(outcome)
    before = _footprint()
    assert not tour.run_step("alias").performed
    assert _footprint() == before

    # 7: one prediction with what @production serves, on the version and in the prediction log
    outcome = tour.run_next()
    assert outcome.key == "predict"
    assert outcome.facts["label"] in {"setosa", "versicolor", "virginica"}
    assert tour.TAG_PREDICTION in registry.version_tags(MODEL, "1")
    log = prediction_log.read_log(project.experiment_id, MODEL)
    assert list(log["source"]) == [tour.PREDICTION_SOURCE] and list(log["prediction"]) == [outcome.facts["label"]]
    assert outcome.notes == ("tour.predict.logged",) and outcome.facts["log_path"].startswith("#/experiments/")
    _explains(outcome)
    assert client.get_experiment(project.experiment_id).tags[tour.TAG_TOUR] == tour.FINISHED

    # done: nothing is left, nothing is done twice, the home page offers nothing more
    before = _footprint()
    assert tour.run_next() is None
    for key in tour.STEP_KEYS:
        assert not tour.run_step(key).performed
    assert _footprint() == before
    survey = tour.survey()
    assert survey.finished and survey.next_step is None
    assert tour.offer() is None

    # a step undone in the store (someone removed @production) is where a resumed tour continues
    governance.remove_alias(MODEL, "production", governance.Actor("Ana"), reason="Checking the rollback drill.")
    assert tour.survey().done == 5
    outcome = tour.run_next()
    assert outcome.key == "alias" and registry.resolve_alias(MODEL, "production").version == "1"
    assert tour.survey().finished  # the version kept the tour's prediction: nothing more to do
    assert _footprint()["versions"] == 1 and _footprint()["predictions"] == 1
