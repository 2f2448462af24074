"""The guided tour through AppTest: from an empty store, Next step by Next step, each page showing its step box
while the store fills up; skipped half-way and resumed from the home page; finished on the home page."""

from __future__ import annotations

from mlflow import MlflowClient

from core import i18n, prediction_log, projects, registry, tour
from tests.app.conftest import goto, no_exception, texts

MODEL = "iris-classifier"
SEARCH_TIMEOUT_S = 600  # the search step runs inside one script run; minutes on a busy two-core machine
# a widget only the page the step pauses on has (titles are translated, keys are not)
PAGE_MARK = {
    "question.py": ("button", "question_save"),
    "data.py": ("button", "data_use"),
    "train.py": ("button", "train_search_start"),
    "compare.py": ("multiselect", "compare_runs"),
    "registry.py": ("button", "registry_register"),
    "predict.py": ("toggle", f"predict_log_{MODEL}"),
}


def on_page(at, page: str) -> bool:
    kind, key = PAGE_MARK[page]
    try:
        getattr(at, kind)(key=key)
    except KeyError:
        return False
    return True


def click_on_step_page(at, key: str) -> None:
    """Click a tour button on the page the tour paused at. AppTest keeps requesting the page of its last
    ``switch_page()`` on every later run, even after the script switched pages itself, so the test first asks
    for the page the person is on, as the browser would."""
    at.switch_page(f"pages/{tour.step(at.session_state['tour_at']).page}")
    at.button(key=key).click().run()


def assert_paused_at(at, number: int) -> None:
    """The box of step ``number`` is drawn on that step's page, and the store holds that many steps."""
    no_exception(at)
    step = tour.STEPS[number - 1]
    shown = f"{texts(at.title)} | {texts(at.info)} | {texts(at.warning)}"
    assert on_page(at, step.page), f"step {number} should pause on {step.page}, not: {shown}"
    assert f"step {number} of 7: {i18n.translate(f'tour.{step.key}.title', 'en')}" in texts(at.markdown)
    assert "Where it is in MLflow" in texts(at.caption)
    assert not at.error, texts(at.error)
    assert tour.survey().done == number


def test_the_tour_walks_an_empty_store_to_a_prediction_and_resumes_after_a_skip(app):
    client = MlflowClient()
    assert "The guided tour walks the handout's Iris example" in texts(app.markdown)
    app.button(key="tour_start").click().run()
    assert_paused_at(app, 1)
    project = projects.find_project(projects.EXAMPLE_NAME)
    assert app.sidebar.selectbox(key="sidebar_project").value == project.experiment_id
    assert f"(id `{project.experiment_id}`)" in texts(app.markdown)

    app.button(key="tour_next").click().run()
    assert_paused_at(app, 2)
    assert projects.get_project(project.experiment_id).data_run_id

    # skipped: the box goes, the store keeps what was done, the home page offers to resume at step 3
    app.button(key="tour_skip").click().run()
    no_exception(app)
    assert "Tour skipped" in texts(app.info)
    assert not any(b.key in ("tour_next", "tour_skip") for b in app.button)
    goto(app, "home")
    assert "stopped before step 3 of 7 (A random-forest search)" in texts(app.markdown)
    app.button(key="tour_resume").click().run(timeout=SEARCH_TIMEOUT_S)
    assert_paused_at(app, 3)
    search = tour.survey().outcomes[2].facts["run_id"]
    trials = client.search_runs([project.experiment_id], filter_string=f"tags.`mlflow.parentRunId` = '{search}'")
    assert len(trials) == tour.SEARCH_TRIALS

    # another page while paused: a line leads back; the box is only on the step's page
    goto(app, "home")
    assert "paused at step 3 of 7" in texts(app.caption)
    assert not any(b.key == "tour_next" for b in app.button)
    goto(app, "train")
    assert_paused_at(app, 3)

    for number in (4, 5, 6, 7):
        click_on_step_page(app, "tour_next")
        assert_paused_at(app, number)

    assert "test_accuracy" in client.get_run(search).data.metrics
    version = registry.resolve_alias(MODEL, "production")
    assert (version.version, version.run_id) == ("1", search)
    assert [v.version for v in registry.list_versions(MODEL)] == ["1"]
    assert "models:/iris-classifier@production" in texts(app.markdown)
    label = tour.survey().outcomes[-1].facts["label"]
    assert list(prediction_log.read_log(project.experiment_id, MODEL)["prediction"]) == [label]

    click_on_step_page(app, "tour_finish")
    no_exception(app)
    assert "The guided tour is complete" in texts(app.success)
    assert not any(b.key in ("tour_start", "tour_resume", "tour_next") for b in app.button)
    # the board agrees: every phase done, served by the alias the tour set
    assert "models:/iris-classifier@production serves version 1" in texts(app.markdown)


def test_the_tour_speaks_german(app):
    app.session_state["ui_language"] = "de"
    app.run()
    assert "Die geführte Tour führt das Iris-Beispiel" in texts(app.markdown)
    app.button(key="tour_start").click().run()
    no_exception(app)
    assert "Geführte Tour · Schritt 1 von 7: Frage und KPIs" in texts(app.markdown)
    assert app.button(key="tour_next").label == "Nächster Schritt: Die Daten"


def test_a_failing_step_says_why_in_one_line_and_can_be_retried(app, monkeypatch):
    def unreachable(actor=None):
        raise registry.RegistryError("The registry did not answer.")

    with monkeypatch.context() as patched:
        patched.setattr(tour, "run_next", unreachable)
        app.button(key="tour_start").click().run()
        no_exception(app)
        assert texts(app.error).startswith("The step 'Question and KPIs' could not be done: The registry did not")
        assert "Traceback" not in texts(app.error)
    app.button(key="tour_start").click().run()  # still offered: nothing was lost, the tour starts
    assert_paused_at(app, 1)
