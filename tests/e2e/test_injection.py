"""Hostile names in a real browser: markdown, HTML and script in user text stay inert on every page.

Every field MLflow holds and the pages show (tests/hostile.py: project, question, data, column names, class
labels, run names, params and tags, model name, alias, descriptions, who and why) carries markup that would run
script, load remote content or draw links if any page rendered it as HTML or markdown. They are stored through
the core functions (fast, no clicking), then every page is opened, the profile report is built, and the DOM is
searched for anything the hostile text could have created.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from core.ui.text import WORD_JOINER
from tests.e2e.conftest import Server, in_store, run_server
from tests.e2e.test_lifecycle import (
    COMPARE,
    DATA,
    PREDICT,
    QUESTION,
    REGISTRY,
    TRAIN,
    assert_healthy,
    open_app,
    open_page,
    screenshot,
    wait_idle,
)
from tests.hostile import EMPHASISED, EVIL, PROJECT, UPLOAD_NAME, fill_store, hostile_frame

MONITOR = "CM — Monitor"

# Everything user text could have turned into: script, handlers, frames, links, remote images, styles.
DOM_PROBE = """
() => {
  const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'xlink:href', 'action', 'formaction', 'poster', 'data', 'style'];
  const found = [];
  if (window.__pwned !== undefined) found.push('window.__pwned=' + window.__pwned);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.tagName.toLowerCase();
    const where = (el.closest('[data-testid]') || el).getAttribute('data-testid');
    for (const attr of el.getAttributeNames()) {
      const value = el.getAttribute(attr) || '';
      if (attr.startsWith('on')) found.push(`${tag}[${attr}] in ${where}`);
      if (URL_ATTRIBUTES.includes(attr) && value.includes('EVIL')) {
        found.push(`${tag}[${attr}=${value.slice(0, 60)}] in ${where}`);
      }
    }
    if (tag === 'script' && (el.textContent || '').includes('__pwned')) found.push('script with __pwned');
    if (tag === 'b' && el.textContent === 'x') found.push(`<b>x</b> as HTML in ${where}`);
    if ((tag === 'strong' || tag === 'em') && EMPHASISED.includes(el.textContent)) {
      found.push(`**${el.textContent}** as bold in ${where}: ${el.parentElement.textContent.slice(0, 80)}`);
    }
  }
  // every frame in the page is either Streamlit's own (no src from user text) or the sandboxed report
  for (const frame of document.querySelectorAll('iframe')) {
    const src = frame.getAttribute('src') || '';
    if (src.startsWith('http')) found.push('iframe src=' + src.slice(0, 80));
  }
  return found;
}
""".replace("EVIL", EVIL).replace("EMPHASISED", json.dumps(list(EMPHASISED)))


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """One server for the whole module, on a store filled with hostile names before it starts."""
    tmp = tmp_path_factory.mktemp("injection")
    with run_server(tmp, env={"QUA3CK_PREDICTION_LOG": "off"}, prepare=_fill_store) as running:
        yield running


def _fill_store(data_dir) -> None:
    """The hostile store (tests/hostile.py) in ``data_dir``, written before the server starts."""
    with in_store(data_dir):
        fill_store()


def assert_inert(page: Page, where: str) -> None:
    """No element, attribute or script that hostile text could have produced, and no exception box."""
    wait_idle(page)
    assert_healthy(page)
    found = page.evaluate(DOM_PROBE)
    if found:
        screenshot(page, f"injection-{where}")
    assert not found, f"{where}: {found}"


@pytest.mark.e2e
def test_hostile_names_stay_plain_text_on_every_page(page: Page, server: Server) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    open_app(page, server.url)
    heading = page.get_by_role("heading", name=re.compile(r"^Project: P"))
    expect(heading).to_be_visible()
    assert heading.inner_text().replace(WORD_JOINER, "").startswith(f"Project: {PROJECT}")  # shown literally
    assert_inert(page, "home")

    for title in (QUESTION, TRAIN, COMPARE, REGISTRY, PREDICT, MONITOR):
        open_page(page, title)
        assert_inert(page, title.split()[0])
        if title == COMPARE:
            # the compare page's evidence for the chosen runs: confusion matrices and tables name the classes
            button = page.get_by_role("button", name="Evaluate 2 runs on the held-out test set")
            if button.count():
                button.click()
                assert_inert(page, "compare-evaluated")
        if title == PREDICT:
            page.get_by_role("button", name="Predict", exact=True).click()
            assert_inert(page, "predict-one-row")

    # U: the hostile data uploaded through the browser (the upload carries the XSRF token), every tab, the report
    open_page(page, DATA)
    page.locator(".st-key-data_source").get_by_text("Upload a file").click()
    wait_idle(page)
    page.locator(".st-key-data_upload input[type=file]").set_input_files(
        files=[{"name": UPLOAD_NAME, "mimeType": "text/csv", "buffer": hostile_frame().to_csv(index=False).encode()}]
    )
    assert_inert(page, "data-uploaded")
    expect(page.get_by_role("tab", name="Profile report")).to_be_visible()
    for tab in ("Class balance", "Distributions", "Correlations", "Scatter matrix", "Rows", "Profile report"):
        page.get_by_role("tab", name=tab).click()
        assert_inert(page, f"data-{tab}")
    page.get_by_role("button", name="Build the profile report").click()
    outer = page.locator('iframe[title="Profile report"]')
    report = page.frame_locator('iframe[title="Profile report"]').frame_locator("iframe")
    expect(report.get_by_role("heading", name="Overview")).to_be_visible(timeout=120_000)  # the report works
    expect(report.get_by_text("Number of observations")).to_be_visible()
    assert_inert(page, "data-profile")
    inner = "frame => frame.contentDocument.querySelector('iframe').getAttribute('sandbox')"
    assert outer.evaluate(inner) == "allow-scripts"  # scripts only: no same-origin, forms, popups, navigation
    screenshot(page, "injection-profile")

    # CSRF: an upload without the session's XSRF token is refused by the server itself
    request = urllib.request.Request(f"{server.url}/_stcore/upload_file/session/file", data=b"x", method="PUT")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403

    remote = [url for url in requests if EVIL in url]
    assert not remote, f"the page requested remote content named in user text: {remote}"
