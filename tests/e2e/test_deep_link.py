"""A bookmarked page opened as the very first request of a fresh server gets the full app and its clicks.

Streamlit routes that first request through its legacy ``pages/`` router; the shell must still appear and the
first click must not be lost.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_lifecycle import IDLE_TIMEOUT_MS, alert, assert_healthy, wait_idle

pytestmark = pytest.mark.e2e


def test_deep_link_on_a_fresh_server(page: Page, server) -> None:
    page.goto(f"{server.url}/question")
    expect(page.get_by_role("heading", name="Q — Question & KPIs")).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    wait_idle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link", name="Q — Question & KPIs")).to_be_visible()
    expect(page.get_by_text("Pick or create a project in the sidebar first.")).to_be_visible()
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("button", name="Create the example 'Iris Classification Experiment'").click()
    wait_idle(page)
    expect(alert(page, "Created 'Iris Classification Experiment'")).to_be_visible()
    page.get_by_role("button", name="Save question and KPIs").click()
    wait_idle(page)
    expect(alert(page, "Saved on experiment 'Iris Classification Experiment'")).to_be_visible()
    assert_healthy(page)
