"""A hyperparameter search in a real browser: trials stream in, Stop ends it, MLflow holds every run."""

from __future__ import annotations

import re
import time

import pytest
from mlflow import MlflowClient
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, _stop
from tests.e2e.test_lifecycle import (
    DATA,
    EXAMPLE,
    TRAIN,
    TRAIN_TIMEOUT_MS,
    alert,
    assert_healthy,
    open_app,
    open_page,
    screenshot,
    wait_idle,
)


def _client(server: Server) -> MlflowClient:
    uri = f"sqlite:///{server.data_dir / 'mlflow.db'}"
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def _runs(server: Server, status: str | None = None):
    client = _client(server)
    experiment = client.get_experiment_by_name(EXAMPLE)
    query = f"attributes.status = '{status}'" if status else ""
    return client.search_runs([experiment.experiment_id], filter_string=query)


def _prepare_project(page: Page, server: Server) -> None:
    open_app(page, server.url)
    page.get_by_role("button", name=f"Create the example '{EXAMPLE}'").click()
    wait_idle(page)
    open_page(page, DATA)
    page.get_by_role("button", name="Use this data for the project").click()
    wait_idle(page)
    expect(alert(page, "Stored as data run")).to_be_visible()
    open_page(page, TRAIN)
    page.get_by_role("tab", name=re.compile("Tune hyperparameters")).click()
    wait_idle(page)


def _start_search(page: Page, trials: int) -> None:
    budget = page.locator(".st-key-train_search_trials input")
    budget.fill(str(trials))
    budget.press("Enter")
    wait_idle(page)
    page.locator(".st-key-train_search_start").get_by_role("button").click()


@pytest.mark.e2e
def test_search_streams_trials_and_stops_cleanly(page: Page, server: Server) -> None:
    _prepare_project(page, server)
    _start_search(page, 300)
    # trials stream in while the search runs: the progress line counts them and the table fills
    expect(page.get_by_text(re.compile(r"\b[2-9]\d* of 300 trials"))).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"best CV accuracy 0\.\d+"))).to_be_visible()
    expect(page.locator('[data-testid="stPlotlyChart"]').first).to_be_visible()
    screenshot(page, "search-running")
    page.get_by_role("button", name="Stop the search").click()
    expect(alert(page, "stopped on request")).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    wait_idle(page, TRAIN_TIMEOUT_MS)
    assert_healthy(page)
    expect(page.get_by_role("button", name="Export as Python script")).to_be_visible()
    screenshot(page, "search-stopped")

    # MLflow has the search as a parent run with its model and a finished child run per trial
    runs = _runs(server)
    parents = [r for r in runs if r.data.tags.get("qua3ck.search")]
    assert len(parents) == 1
    parent = parents[0]
    assert parent.info.status == "FINISHED"
    assert parent.data.tags["qua3ck.search_status"] == "stopped"
    assert parent.data.tags.get("qua3ck.model_uri")
    children = [r for r in runs if r.data.tags.get("mlflow.parentRunId") == parent.info.run_id]
    assert len(children) >= 2
    assert all(c.info.status == "FINISHED" and "cv_accuracy" in c.data.metrics for c in children)
    assert not _runs(server, "RUNNING")


@pytest.mark.e2e
def test_a_closed_tab_lets_the_search_finish_and_a_server_stop_leaves_nothing_running(
    page: Page, server: Server
) -> None:
    _prepare_project(page, server)
    _start_search(page, 4)
    expect(page.get_by_text(re.compile(r"of 4 trials"))).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    page.close()  # the person closes the tab: the search goes on in the server and finishes
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and _runs(server, "RUNNING"):
        time.sleep(1)
    parents = [r for r in _runs(server) if r.data.tags.get("qua3ck.search")]
    assert [p.info.status for p in parents] == ["FINISHED"]
    assert len([r for r in _runs(server) if r.data.tags.get("qua3ck.kind") == "trial"]) == 4

    # a second, long search is running when the server is stopped: its run ends KILLED, not RUNNING
    page = page.context.new_page()
    open_app(page, server.url)
    open_page(page, TRAIN)
    page.get_by_role("tab", name=re.compile("Tune hyperparameters")).click()
    wait_idle(page)
    _start_search(page, 500)
    expect(page.get_by_text(re.compile(r"of 500 trials"))).to_be_visible(timeout=TRAIN_TIMEOUT_MS)
    _stop(server.process)
    assert not _runs(server, "RUNNING"), server.log()[-3000:]
    killed = [r for r in _runs(server) if r.data.tags.get("qua3ck.search") and r.info.status == "KILLED"]
    assert len(killed) == 1, [(r.info.status, r.data.tags.get("qua3ck.search_status")) for r in _runs(server)]
