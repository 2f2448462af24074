"""The handout's Iris walk as a newcomer does it with the guided tour's *let me do it*: in a real browser, with the
real controls of each page, counting what a person spends — clicks, page visits and the time spent waiting for
the machine. Used by tests/e2e/test_journey.py (the walk must succeed) and bench/bench_journey.py (its figures)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from playwright.sync_api import Page, expect

IDLE_MS = 120_000
SEARCH_MS = 600_000  # the search takes seconds on an idle machine, minutes on a loaded one
QUESTION = "Which iris species is this flower, judged by its sepals and petals?"


@dataclass
class Tally:
    """What the walk cost the person: clicks and typed fields, pages read, and seconds waited for the machine."""

    clicks: int = 0
    pages: int = 0
    waited_s: float = 0.0
    steps: list[tuple[str, float]] = field(default_factory=list)  # (what, seconds waited for it)

    def person_s(self, per_click: float = 2.0, per_page: float = 5.0) -> float:
        """The walk at a person's pace: a few seconds per click, some more to read each page, plus the waits."""
        return self.clicks * per_click + self.pages * per_page + self.waited_s


class Walk:
    """A browser page with a tally: every click and wait of the walk goes through here."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.tally = Tally()

    def idle(self, what: str, timeout: float = IDLE_MS) -> None:
        """Wait until the app has finished its run (connected, script not running), and count the wait."""
        started = time.perf_counter()
        self.page.wait_for_timeout(150)  # let the click reach the server before asking whether it runs
        app = self.page.locator('[data-testid="stApp"]')
        expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
        expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
        self._waited(what, started)

    def _waited(self, what: str, started: float) -> None:
        seconds = time.perf_counter() - started
        self.tally.waited_s += seconds
        self.tally.steps.append((what, round(seconds, 2)))

    def click(self, locator, what: str, timeout: float = IDLE_MS) -> None:
        locator.click()
        self.tally.clicks += 1
        self.idle(what, timeout)

    def type(self, locator, text: str, what: str) -> None:
        locator.fill(text)
        locator.press("Tab" if locator.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
        self.tally.clicks += 1
        self.idle(what)

    def choose(self, label: str, option: str) -> None:
        """Pick an option of a select box: two clicks for a person (test_lifecycle's ``choose`` opens the list
        again when a rerun landing just after the first click closed it)."""
        from tests.e2e.test_lifecycle import choose

        started = time.perf_counter()
        choose(self.page, label, option)
        self.tally.clicks += 2
        self._waited(f"pick {option}", started)

    def box(self):
        return self.page.locator(".st-key-tour_box")

    def done(self, what: str, timeout: float = IDLE_MS) -> None:
        """The tour noticed the step in MLflow: its box says so (it looks every two seconds)."""
        started = time.perf_counter()
        expect(self.box().get_by_text("Done: here is what your click put into MLflow")).to_be_visible(timeout=timeout)
        expect(self.box().get_by_text("Where it is in MLflow")).to_be_visible()
        self._waited(f"{what} noticed", started)

    def next(self, title: str) -> None:
        self.click(self.box().get_by_role("button", name=f"Next step: {title}"), f"next: {title}")
        # the heading, not the button: until the rerun ends, the box may still hold "Next step: <title>"
        heading = self.box().get_by_text(re.compile(rf"step \d+ of \d+: {re.escape(title)}$"))
        expect(heading).to_be_visible(timeout=IDLE_MS)
        self.tally.pages += 1

    def button(self, name: str, exact: bool = True):
        return self.page.get_by_role("button", name=name, exact=exact)


def walk_tour(page: Page, url: str, name: str = "Ana") -> Tally:
    """The whole walk, from a fresh store's home page to a prediction of ``@production``; returns its tally.

    question and KPIs → the iris data → the handout's random forest → a search of 8 trials → evaluate and
    compare → register → @production → predict, each with the page's own controls, the tour saying which."""
    walk = Walk(page)
    started = time.perf_counter()
    page.goto(url)
    expect(page.get_by_role("heading", name="QUA³CK Workbench")).to_be_visible(timeout=IDLE_MS)
    walk.idle("first page")
    walk.tally.pages += 1
    walk.click(page.locator(".st-key-tour_offer").get_by_role("button", name="Let me do it"), "start the tour")
    expect(walk.box().get_by_text("step 1 of 8: Question and KPIs")).to_be_visible(timeout=IDLE_MS)
    walk.tally.pages += 1

    walk.type(page.locator(".st-key-question_text textarea"), QUESTION, "question typed")
    walk.click(walk.button("Save question and KPIs"), "save the question")
    walk.done("question and KPIs")

    walk.next("The data")
    walk.click(walk.button("✅ Use this data for the project"), "use the iris data", timeout=SEARCH_MS)
    walk.done("data run")

    walk.next("The handout's model")
    walk.click(page.locator(".st-key-train_run").get_by_role("button"), "train the handout's model", SEARCH_MS)
    walk.done("training run", SEARCH_MS)

    walk.next("A search")
    walk.click(page.get_by_role("tab", name=re.compile("Tune hyperparameters")), "the search tab")
    budget = page.locator(".st-key-train_search_trials input")
    walk.type(budget, "8", "trial budget")
    walk.click(walk.button("🎯 Start the search"), "start the search")
    walk.done("search", SEARCH_MS)

    walk.next("Compare on the held-out test set")
    walk.click(page.locator(".st-key-compare_evaluate").get_by_role("button"), "evaluate both", SEARCH_MS)
    walk.done("evaluation", SEARCH_MS)
    expect(walk.box().get_by_text("misses the accuracy KPI, and that is expected")).to_be_visible()

    walk.next("Register the model")
    walk.click(walk.button("📦 Register as a new version"), "register")
    walk.done("registered version")

    walk.next("Alias @production")
    walk.type(page.locator(".st-key-identity_name input"), name, "name typed")
    walk.choose("Alias", "production")
    walk.click(page.locator(".st-key-registry_set_alias").get_by_role("button"), "move @production")
    walk.done("@production")

    walk.next("Predict")
    walk.click(page.locator(".st-key-predict_submit").get_by_role("button"), "predict")
    walk.done("prediction")
    walk.click(walk.box().get_by_role("button", name="Finish the tour"), "finish")
    expect(page.get_by_text("The guided tour is complete")).to_be_visible(timeout=IDLE_MS)
    walk.tally.pages += 1
    walk.tally.steps.append(("wall clock of the whole walk", round(time.perf_counter() - started, 1)))
    return walk.tally
