"""Promotion requests in a real browser with real sign-in: Streamlit's st.login against a running OpenID Connect
provider (oidc-provider-mock), configured through secrets.toml exactly as a team configures its own provider.

A guest asks for @production → v2 and for @champion → v1 on K; the approver signs in in another browser, finds
both waiting on the home board, approves one (the alias moves) and rejects the other with a comment."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from core.ui.text import WORD_JOINER
from tests.e2e.conftest import Server, free_port, in_store, register_two_passing_versions, run_server
from tests.e2e.test_lifecycle import HOME, REGISTRY, alert, assert_healthy, choose, open_page, screenshot, wait_idle

MODEL = "iris-classifier"
GUEST, ANA = "guest@example.org", "ana@example.org"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    """A running OpenID Connect provider that signs in whoever types their subject, with their e-mail claim."""
    import httpx
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread() as running:
        issuer = f"http://localhost:{running.server_port}"
        for email in (GUEST, ANA):
            answer = httpx.put(f"{issuer}/users/{urllib.parse.quote(email)}", json={"email": email, "name": email})
            assert answer.status_code == 204, answer.text
        yield issuer


def _store_with_two_versions(store: Path) -> None:
    """The example project with two runs that pass their KPIs, registered as v1 and v2 (no alias yet)."""
    with in_store(store):
        register_two_passing_versions(MODEL)


@pytest.fixture
def signed_in_server(tmp_path, provider) -> Iterator[Server]:
    """The app with OIDC sign-in (secrets.toml's [auth]) and ana as the only approver."""
    port = free_port()
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(
        f"""[auth]
redirect_uri = "http://localhost:{port}/oauth2callback"
cookie_secret = "a-long-random-cookie-secret-for-the-e2e-test"
client_id = "qua3ck-workbench"
client_secret = "not-checked-by-the-test-provider"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[qua3ck]
approvers = ["{ANA}"]
"""
    )
    with run_server(tmp_path, "--secrets.files", str(secrets), port=port, prepare=_store_with_two_versions) as running:
        yield running


def _sign_in(browser: Browser, server: Server, email: str) -> Page:
    """A browser of its own (own cookies) signed in as ``email`` through the provider's form."""
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    context.set_default_timeout(30_000)
    page = context.new_page()
    url = server.url.replace("127.0.0.1", "localhost")  # the redirect URI's host: the sign-in cookie's
    page.goto(url)
    wait_idle(page)
    open_page(page, REGISTRY)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(url)))
    wait_idle(page)
    open_page(page, REGISTRY)  # sign-in returns to the home page
    expect(page.get_by_text(f"Signed in as {shown(email)}")).to_be_visible()
    return page


def shown(email: str) -> str:
    """An e-mail as the pages write it: a word joiner after the @, so Markdown does not make it a link."""
    return email.replace("@", "@" + WORD_JOINER)


def _ask(page: Page, alias: str, version: str, reason: str) -> None:
    choose(page, "Alias", alias)
    choose(page, "Version", version)
    expect(alert(page, f"You may not move @{alias} yourself")).to_be_visible()
    field = page.locator(".st-key-registry_request_reason input")
    field.fill(reason)
    field.press("Enter")
    wait_idle(page)
    page.get_by_role("button", name=f"Ask for @{alias} → v{version}").click()
    expect(alert(page, re.compile(rf"Asked for @{alias} → v{version} \(request \w+\)"))).to_be_visible()


@pytest.mark.e2e
def test_a_guest_asks_and_the_signed_in_approver_approves_one_request_and_rejects_the_other(
    browser: Browser, signed_in_server: Server
) -> None:
    from core.registry import requests

    guest = _sign_in(browser, signed_in_server, GUEST)
    expect(guest.get_by_text("not an approver")).to_be_visible()
    _ask(guest, "production", "2", "gaussian nb is as accurate and faster")
    _ask(guest, "champion", "1", "logistic regression as the champion")
    expect(guest.get_by_role("button", name="Withdraw my request")).to_have_count(2)
    expect(guest.get_by_role("button", name=re.compile("^Approve"))).to_have_count(0)
    screenshot(guest, "requests-asked")

    ana = _sign_in(browser, signed_in_server, ANA)
    open_page(ana, HOME)
    expect(ana.get_by_text("Waiting for you (2)")).to_be_visible()
    expect(ana.get_by_text(f"{shown(GUEST)} asks").first).to_be_visible()
    ana.get_by_role("button", name="Open on K").first.click()
    wait_idle(ana)
    expect(ana.get_by_text("Promotion requests (2)")).to_be_visible()
    screenshot(ana, "requests-waiting")
    ana.get_by_role("button", name="Approve @production → v2").click()
    expect(alert(ana, "Approved: @production now points at v2.")).to_be_visible()

    with in_store(signed_in_server.data_dir):
        (champion,) = requests.requests_of(MODEL, requests.OPEN)
    comment = ana.locator(f".st-key-registry_request_{champion.id}_comment input")
    comment.fill("the champion slot stays empty this quarter")
    comment.press("Enter")
    wait_idle(ana)
    ana.get_by_role("button", name="Reject").click()
    expect(alert(ana, f"Request {champion.id} rejected: nothing moved.")).to_be_visible()
    expect(ana.get_by_text("No request waits for a decision.")).to_be_visible()
    assert_healthy(ana)

    from core.registry import model_registry as registry

    with in_store(signed_in_server.data_dir):
        assert registry.get_model(MODEL).aliases == {"production": "2"}
        states = {r.alias: (r.state, r.who, r.approved_by) for r in requests.requests_of(MODEL)}
    assert states == {"production": ("approved", GUEST, (ANA,)), "champion": ("rejected", GUEST, ())}
    open_page(guest, HOME)
    expect(guest.get_by_text("Waiting for you")).to_have_count(0)  # nothing is the guest's to decide
    for tab in (guest, ana):
        tab.context.close()
