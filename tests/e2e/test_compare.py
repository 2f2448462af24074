"""Choosing runs on the compare page in a real browser: filters, a search's trials, evaluating, swapping runs."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server
from tests.e2e.test_lifecycle import (
    COMPARE,
    TRAIN_TIMEOUT_MS,
    assert_healthy,
    choose,
    open_app,
    open_page,
    screenshot,
    wait_idle,
)

RUNS_LABEL = "Runs to compare (up to four)"


@pytest.fixture
def project_with_runs(server: Server, monkeypatch):
    """The example project in the server's store with three trainings and a six-trial search, made with core."""
    from core.common import config
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import training
    from core.train.search_space import Dimension
    from core.train.tuning import SearchConfig, run_search

    monkeypatch.setenv(config.DATA_DIR_ENV, str(server.data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config.activate_store()
    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    for algorithm in ("knn", "gaussian_nb", "decision_tree"):
        training.train_model(project.experiment_id, record, algorithm)
    space = (Dimension("max_depth", "int", 1, 6), Dimension("min_samples_leaf", "int", 1, 5))
    run_search(project.experiment_id, record, SearchConfig("decision_tree", "random", space, max_trials=6, workers=1))
    return project


def _add_run(page: Page, text: str | re.Pattern) -> None:
    """Add the run whose label matches ``text`` to the runs being compared, as a person does."""
    choose(page, RUNS_LABEL, text)


def _evaluate(page: Page, count: int) -> None:
    page.get_by_role("button", name=re.compile(rf"Evaluate {count} runs? on the held-out test set")).click()
    expect(page.get_by_role("heading", name="Held-out test results")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page, TRAIN_TIMEOUT_MS)


@pytest.mark.e2e
def test_choosing_runs_to_compare(page: Page, server: Server, project_with_runs) -> None:
    open_app(page, server.url)
    open_page(page, COMPARE)
    heading = page.get_by_role("heading", name=re.compile(r"Runs of 'Iris Classification Experiment' \(4\)"))
    expect(heading).to_be_visible()
    # trials of the search appear beneath it when asked for
    page.get_by_text("Show each search's trials beneath it").click()
    wait_idle(page)
    expect(page.get_by_text(re.compile(r"4 runs shown, with their trials"))).to_be_visible()
    # inside the search: the trials across their hyperparameters
    page.get_by_text(re.compile(r"Inside a search \(1 search\)")).click()
    expect(page.get_by_text("finished trials of 6")).to_be_visible()
    expect(page.locator(".st-key-compare_search_parcoords")).to_be_attached()
    # the two best by CV are chosen; evaluate them, then add a third and evaluate it too
    _evaluate(page, 2)
    expect(page.get_by_text("KPI verdict:")).to_have_count(2)
    expect(page.get_by_role("heading", name="Is the difference real?")).to_be_visible()
    _add_run(page, re.compile(r"^decision_tree-"))
    _evaluate(page, 1)
    expect(page.get_by_text("KPI verdict:")).to_have_count(3)
    expect(page.get_by_role("heading", name="Is the difference real?")).to_have_count(0)  # two runs only
    assert_healthy(page)
    screenshot(page, "compare-runs")
