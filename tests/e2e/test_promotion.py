"""Promotion by button in a real browser: the gate, the audit trail, and Predict serving the new version at once."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Server, register_two_passing_versions
from tests.e2e.test_lifecycle import PREDICT, REGISTRY, alert, assert_healthy, choose, open_app, open_page, screenshot

MODEL = "iris-classifier"


@pytest.fixture
def two_versions(server: Server, monkeypatch):
    """The example project with two evaluated runs registered as v1 and v2; @production on v1 (audited)."""
    from core.common import config
    from core.registry import governance

    monkeypatch.setenv(config.DATA_DIR_ENV, str(server.data_dir))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    config.activate_store()
    register_two_passing_versions(MODEL)
    governance.move_alias(MODEL, "production", "1", governance.Actor("setup"))
    return MODEL


@pytest.mark.e2e
def test_promoting_by_button_switches_predict_without_a_restart(page: Page, server: Server, two_versions) -> None:
    open_app(page, server.url)
    open_page(page, PREDICT)
    expect(page.get_by_text(re.compile(r"version 1 · source run"))).to_be_visible()

    open_page(page, REGISTRY)
    name = page.locator(".st-key-identity_name input")
    name.fill("Ana")
    name.press("Enter")
    choose(page, "Alias", "production")
    choose(page, "Version", "2")
    expect(alert(page, "version 2 passes its KPIs")).to_be_visible()
    page.locator(".st-key-registry_reason input").fill("Simpler model, same accuracy")
    page.locator(".st-key-registry_reason input").press("Enter")
    page.get_by_role("button", name="Point @production at v2").click()
    expect(alert(page, "@production now points at version 2 (moved from v1)")).to_be_visible()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile(r"Roll back @production to v1"))).to_be_visible()
    assert_healthy(page)
    screenshot(page, "registry-promoted")

    open_page(page, PREDICT)
    expect(page.get_by_text(re.compile(r"version 2 · source run"))).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"KPI verdict: pass · set by Ana on .* \(Simpler model, same accuracy\)"))
    ).to_be_visible()
    assert_healthy(page)
