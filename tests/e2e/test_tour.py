"""The guided tour's *show me* in a real browser on a fresh empty store: started from the home page, Next step by
Next step through every page, skipped half-way and resumed, finished on the home page, with everything it did in
MLflow (the *let me do it* walk is tests/e2e/test_journey.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_lifecycle import (
    HOME,
    IDLE_TIMEOUT_MS,
    TRAIN_TIMEOUT_MS,
    alert,
    assert_healthy,
    open_app,
    open_page,
    screenshot,
    wait_idle,
)

MODEL = "guided-tour-iris"  # the tour's own project "Guided tour (Iris)" suggests it
STEP_TIMEOUT_MS = 300_000  # a step runs before its page opens; the search takes minutes on a busy two-core machine
# step number, title in the box, URL path of the page it pauses on
STEPS = [
    (1, "Question and KPIs", "question"),
    (2, "The data", "data"),
    (3, "The handout's model", "train"),
    (4, "A search", "train"),
    (5, "Compare on the held-out test set", "compare"),
    (6, "Register the model", "registry"),
    (7, "Alias @production", "registry"),
    (8, "Predict", "predict"),
]


def expect_paused_at(page: Page, number: int) -> None:
    """The step's box at the top of its page, naming where its result is in MLflow."""
    _, title, path = STEPS[number - 1]
    expect(page).to_have_url(re.compile(rf"/{path}(\?|$)"), timeout=STEP_TIMEOUT_MS)
    box = page.locator(".st-key-tour_box")
    expect(box.get_by_text(f"step {number} of 8: {title}")).to_be_visible(timeout=STEP_TIMEOUT_MS)
    wait_idle(page, TRAIN_TIMEOUT_MS)
    expect(box.get_by_text("Where it is in MLflow")).to_be_visible()
    expect(box.locator('[data-testid="stAlert"]')).to_have_count(0)  # no error in the box
    assert_healthy(page)
    screenshot(page, f"tour-{number}-{path}")


def next_step(page: Page, number: int) -> None:
    """Click Next step (named after the step it performs) and wait for the page that step pauses on."""
    _, title, _ = STEPS[number - 1]
    page.locator(".st-key-tour_box").get_by_role("button", name=f"Next step: {title}").click()
    expect_paused_at(page, number)


@pytest.mark.e2e
def test_the_tour_walks_an_empty_store_to_a_prediction(page: Page, server: Server, monkeypatch) -> None:
    open_app(page, server.url)
    offer = page.locator(".st-key-tour_offer")
    expect(offer.get_by_text("The guided tour walks the handout's Iris example")).to_be_visible()
    screenshot(page, "tour-0-offer")
    offer.get_by_role("button", name="Show me").click()
    expect_paused_at(page, 1)
    next_step(page, 2)

    # skipped: the box goes; the home page offers to resume where the tour stopped
    page.locator(".st-key-tour_box").get_by_role("button", name="Skip the tour").click()
    wait_idle(page)
    expect(page.locator(".st-key-tour_box")).to_have_count(0)
    expect(alert(page, "Tour skipped")).to_be_visible()
    open_page(page, HOME)
    offer = page.locator(".st-key-tour_offer")
    expect(offer.get_by_text("stopped before step 3 of 8 (The handout's model)")).to_be_visible()
    screenshot(page, "tour-resume")
    offer.get_by_role("button", name="Resume the tour").click()
    expect_paused_at(page, 3)

    for number in (4, 5, 6, 7, 8):
        next_step(page, number)
        if number == 5:
            expect(page.locator(".st-key-tour_box").get_by_text("and that is expected")).to_be_visible()
    box = page.locator(".st-key-tour_box")
    expect(box.get_by_text(f"models:/{MODEL}@production", exact=True).first).to_be_visible()
    expect(box.get_by_text(re.compile(r"\b(setosa|versicolor|virginica)\b")).first).to_be_visible()

    box.get_by_role("button", name="Finish the tour").click()
    wait_idle(page)
    expect(alert(page, "The guided tour is complete")).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    expect(page.get_by_text(f"models:/{MODEL}@production serves version 1")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "tour-finished")

    # the server's store holds it all: one search, one version, @production set by the tour, one prediction
    from core.common import config
    from core.lifecycle import tour
    from core.registry import governance
    from core.registry import model_registry as registry
    from core.serve import prediction_log

    monkeypatch.setenv(config.DATA_DIR_ENV, str(server.data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config.activate_store()
    (project,) = tour.tour_projects()
    assert tour.survey(project.experiment_id).finished
    assert [v.version for v in registry.list_versions(MODEL)] == ["1"]
    assert registry.resolve_alias(MODEL, "production").version == "1"
    assert governance.history(MODEL, "production")[0].who == tour.ACTOR
    log = prediction_log.read_log(project.experiment_id, MODEL)
    assert list(log["source"]) == [tour.PREDICTION_SOURCE]
