"""English and German in the browser: the sidebar switch, kept across pages and a reload, and the browser's
own language as the default."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from core.common import i18n
from tests.e2e.test_lifecycle import IDLE_TIMEOUT_MS, assert_healthy, open_app, open_page, wait_idle

pytestmark = pytest.mark.e2e


def _de(key: str) -> str:
    return i18n.translate(key, "de")


def test_switch_to_german_keeps_it_across_pages_and_a_reload(page: Page, server) -> None:
    open_app(page, server.url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_role("radio", name="Deutsch").click()
    wait_idle(page)
    nav = page.locator('[data-testid="stSidebarNav"]')
    expect(nav.get_by_role("link", name=_de("shell.page_question"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"lang=de"))
    open_page(page, _de("shell.page_question"))
    expect(page.get_by_role("heading", name=_de("shell.page_question"))).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name=_de("shell.page_question"))).to_be_visible(timeout=IDLE_TIMEOUT_MS)
    wait_idle(page)
    page.get_by_text(_de("shell.phase_expander")).click()
    expect(page.get_by_text(_de("shell.phase_decide"))).to_be_visible()
    sidebar.get_by_role("radio", name="English").click()
    wait_idle(page)
    expect(page.get_by_role("heading", name=i18n.translate("shell.page_question", "en"))).to_be_visible()
    assert_healthy(page)


def test_a_german_browser_gets_german(browser, server) -> None:
    context = browser.new_context(locale="de-DE", viewport={"width": 1400, "height": 1000})
    try:
        tab = context.new_page()
        tab.goto(f"{server.url}/question")
        expect(tab.get_by_role("heading", name=_de("shell.page_question"))).to_be_visible(timeout=IDLE_TIMEOUT_MS)
        wait_idle(tab)
        assert_healthy(tab)
    finally:
        context.close()
