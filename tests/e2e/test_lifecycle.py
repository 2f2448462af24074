"""The whole QUA³CK lifecycle in a real browser, as a person walks it, on a fresh empty store."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.e2e.conftest import SCREENS

# page titles as in Home.py's PAGES
HOME = "Home: lifecycle board"
QUESTION = "Q — Question & KPIs"
DATA = "U — Understand the data"
TRAIN = "A³ — Train & tune"
COMPARE = "C — Conclude & compare"
REGISTRY = "K — Registry"
PREDICT = "Predict"

EXAMPLE = "Iris Classification Experiment"
MODEL = "iris-classifier"
IDLE_TIMEOUT_MS = 60_000
TRAIN_TIMEOUT_MS = 120_000

IRIS_ROWS_CSV = b"""sepal length (cm),sepal width (cm),petal length (cm),petal width (cm)
5.1,3.5,1.4,0.2
4.9,3.0,1.4,0.2
7.0,3.2,4.7,1.4
6.4,3.2,4.5,1.5
6.3,3.3,6.0,2.5
5.8,2.7,5.1,1.9
"""


def wait_idle(page: Page, timeout: float = IDLE_TIMEOUT_MS) -> None:
    """Wait until the app is connected and its script has finished (the status widget is gone)."""
    # a click reaches the server over the websocket a moment later: let the run start before checking
    page.wait_for_timeout(200)
    app = page.locator('[data-testid="stApp"]')
    expect(app).to_have_attribute("data-test-connection-state", "CONNECTED", timeout=timeout)
    expect(app).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator('[data-testid="stStatusWidget"]')).to_be_hidden(timeout=timeout)


def assert_healthy(page: Page) -> None:
    """No exception box and no traceback text anywhere on the page."""
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def screenshot(page: Page, name: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENS / f"{name}.png"), full_page=True)


def open_app(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.get_by_role("heading", name="QUA³CK Workbench")).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    wait_idle(page)
    assert_healthy(page)


def open_page(page: Page, title: str) -> None:
    """Open a lifecycle page through the sidebar navigation, as a person does."""
    nav = page.locator('[data-testid="stSidebarNav"]')
    nav.get_by_role("link", name=title).click()
    wait_idle(page)
    assert_healthy(page)


def alert(page: Page, text: str | re.Pattern):
    return page.locator('[data-testid="stAlert"]').filter(has_text=text)


def choose(page: Page, label: str, option: str | re.Pattern) -> None:
    """Pick an option in the selectbox or multiselect with this label (a combobox with a listbox)."""
    box = page.get_by_role("combobox", name=label, exact=True)
    wanted = page.get_by_role("listbox").get_by_role("option", name=option, exact=True).first
    for _ in range(3):  # a rerun that lands just after the click closes the list again: open it once more
        box.evaluate("e => e.scrollIntoView({block: 'center'})")  # at the window's bottom edge it stays shut
        box.click()
        try:
            wanted.wait_for(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            box.press("Escape")
            wait_idle(page)
    wanted.click()
    if page.get_by_role("listbox").is_visible():  # a multiselect keeps its list open for more choices
        box.press("Escape")
    wait_idle(page)


@pytest.mark.e2e
def test_lifecycle(page: Page, server) -> None:
    # Home on an empty store: nothing to show yet, one button creates the handout's example
    open_app(page, server.url)
    expect(page.get_by_text("Start by creating the example project")).to_be_visible()
    page.get_by_role("button", name=f"Create the example '{EXAMPLE}'").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=f"Project: {EXAMPLE}")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "home")

    # Q: make the accuracy KPI stricter than the default, then save
    open_page(page, QUESTION)
    expect(page.get_by_role("heading", name="Q — Question & KPIs")).to_be_visible()
    threshold = page.locator(".st-key-question_threshold_accuracy input")
    expect(threshold).to_have_value("0.950")
    threshold.fill("0.9")
    threshold.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Save question and KPIs").click()
    wait_idle(page)
    expect(alert(page, f"Saved on experiment '{EXAMPLE}'")).to_be_visible()
    expect(alert(page, "accuracy > 0.9,")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "question")

    # U: the example's iris data is the default built-in set; confirm it for the project
    open_page(page, DATA)
    expect(alert(page, "Current project data: iris")).to_be_visible()
    page.get_by_role("button", name="Use this data for the project").click()
    wait_idle(page)
    expect(alert(page, "Stored as data run")).to_be_visible()
    expect(alert(page, "120 training rows, 30 held-out test rows")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "data")

    # A³: random forest is preselected; add logistic regression and train both
    open_page(page, TRAIN)
    selected = page.locator(".st-key-train_algorithms").get_by_role("group", name="Selected values")
    expect(selected.get_by_text("Random forest", exact=True)).to_be_visible()
    choose(page, "Algorithms", "Logistic regression")
    expect(selected.get_by_text("Logistic regression", exact=True)).to_be_visible()
    expect(page.get_by_text("Logistic regression — hyperparameters")).to_be_visible()
    expect(page.get_by_text("Random forest — hyperparameters")).to_be_visible()
    page.locator(".st-key-train_run").get_by_role("button", name="Train").click()
    expect(page.get_by_role("heading", name="Results of the last training")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page, TRAIN_TIMEOUT_MS)
    expect(alert(page, "Best CV accuracy")).to_be_visible()
    expect(alert(page, "failed")).to_have_count(0)
    assert_healthy(page)
    screenshot(page, "train")

    # C: both runs are chosen by default; evaluate them on the held-out rows against the KPIs
    open_page(page, COMPARE)
    evaluate = page.get_by_role("button", name=re.compile(r"Evaluate 2 runs? on the held-out test set"))
    evaluate.click()
    expect(page.get_by_role("heading", name="Held-out test results")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page, TRAIN_TIMEOUT_MS)
    expect(page.get_by_text("KPI verdict:")).to_have_count(2)
    # the KPI saved on the Q page is the one the runs are judged by
    expect(page.get_by_text("accuracy > 0.9", exact=True).first).to_be_visible()
    assert_healthy(page)
    screenshot(page, "compare")

    # K: register the best run and point @production at it
    open_page(page, REGISTRY)
    expect(page.locator(".st-key-registry_model_name input")).to_have_value(MODEL)
    page.get_by_role("button", name="Register as a new version").click()
    wait_idle(page)
    expect(alert(page, f"Registered '{MODEL}' version 1.")).to_be_visible()
    expect(page.get_by_role("heading", name="Versions and aliases")).to_be_visible()
    choose(page, "Alias", "production")
    expect(page.get_by_role("combobox", name="Alias", exact=True)).to_have_value("production")
    name = page.locator(".st-key-identity_name input")  # every alias change records who made it
    name.fill("Ana")
    name.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name="Point @production at v1").click()
    wait_idle(page)
    expect(alert(page, "@production now points at version 1")).to_be_visible()
    assert_healthy(page)
    screenshot(page, "registry")

    # Predict: the alias is what is served; one row from the sliders' defaults
    open_page(page, PREDICT)
    expect(page.get_by_text(f"models:/{MODEL}@production", exact=True)).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    page.get_by_role("button", name="Predict", exact=True).click()
    wait_idle(page)
    expect(alert(page, re.compile(r"Predicted class: (setosa|versicolor|virginica) \(version 1,"))).to_be_visible()
    expect(page.locator('.st-key-predict_proba_chart [data-testid="stPlotlyChart"]')).to_be_visible()
    assert_healthy(page)
    screenshot(page, "predict")

    # Predict: a whole CSV file of iris measurements without the species column
    page.get_by_role("tab", name="A whole CSV file").click()
    panel = page.get_by_role("tabpanel").filter(has=page.locator(".st-key-predict_upload"))
    panel.locator("input[type=file]").set_input_files(
        files=[{"name": "iris-rows.csv", "mimeType": "text/csv", "buffer": IRIS_ROWS_CSV}]
    )
    wait_idle(page)
    expect(alert(page, "Predicted 6 rows with version 1.")).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    expect(page.locator('.st-key-predict_counts_chart [data-testid="stPlotlyChart"]')).to_be_visible()
    assert_healthy(page)
    screenshot(page, "predict_csv")

    # back on the board: it opens cleanly with the finished project
    open_page(page, HOME)
    expect(page.get_by_role("heading", name=f"Project: {EXAMPLE}")).to_be_visible()
    screenshot(page, "home_done")


@pytest.mark.e2e
def test_data_page_rejects_a_file_that_is_not_csv(page: Page, server) -> None:
    open_app(page, server.url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_label("Name").fill("Bad input check")
    sidebar.get_by_role("button", name="Create project").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name="Project: Bad input check")).to_be_visible()

    open_page(page, DATA)
    page.locator(".st-key-data_source").get_by_text("Upload a file").click()
    wait_idle(page)
    uploader = page.locator(".st-key-data_upload input[type=file]")
    uploader.set_input_files(files=[{"name": "garbage.csv", "mimeType": "text/csv", "buffer": b"\x00\x01\x02garbage"}])
    wait_idle(page)
    expect(alert(page, "contains binary data (a NUL byte on line 1), so it is not a CSV text file.")).to_be_visible()
    expect(page.get_by_role("button", name="Use this data for the project")).to_have_count(0)
    assert_healthy(page)
    screenshot(page, "data_bad_upload")
