"""Hostile names in a real browser: markdown, HTML and script in user text stay inert on every page.

A project, its question, its data (a column name and class labels), a registered model's description, the
person who moved an alias and the reason they gave all carry markup that would run script, load remote content
or draw links if any page rendered it as HTML or markdown. They are stored through the core functions (fast,
no clicking), then every page is opened, the profile report is built, and the DOM is searched for anything the
hostile text could have created.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from core.ui.common import WORD_JOINER
from tests.e2e.conftest import ROOT, STARTUP_TIMEOUT_S, Server, _free_port, _healthy, _stop
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

MONITOR = "CM — Monitor"
EVIL = "example.com"  # every remote reference below points here; no attribute of the page may name it
MARKUP = (
    '**bold** [link](http://example.com) <b>x</b> <iframe src="http://example.com/f"></iframe> '
    "![img](http://example.com/i.png) http://example.com <a href=http://example.com>a</a> :red[red]"
)
COLUMN = '<img src=x onerror="window.__pwned=1"> ![c](http://example.com/c.png)'
LABEL_SCRIPT = "<script>window.__pwned=2</script>"
LABEL_LINK = '[l](http://example.com) **b** <a href="http://example.com">a</a> <b>x</b>'
PROJECT = f"P {MARKUP}"
# registered model names may not contain '/', ':' or '%' (MLflow), which rules out absolute URLs
MODEL = '<img src=x onerror="window.__pwned=3"> **m** [l](x) <b>y'
REASON = f"Because {MARKUP} <img src=x onerror=window.__pwned=4>"
WHO = "<b>Eve</b> [x](http://example.com)"
UPLOAD_NAME = 'up <img src=x onerror="window.__pwned=5"> **f** [l](http:example.com).csv'

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
    if (tag === 'strong' && ['bold', 'm', 'b'].includes(el.textContent)) {
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
""".replace("EVIL", EVIL)


def hostile_frame(rows_per_class: int = 20) -> pd.DataFrame:
    """Three classes, two of them hostile labels; one hostile feature name, one ordinary one."""
    rng = np.random.default_rng(7)
    labels = [LABEL_SCRIPT, LABEL_LINK, "plain"]
    y = np.repeat(labels, rows_per_class)
    centre = np.repeat(np.arange(3.0), rows_per_class)
    return pd.DataFrame(
        {
            COLUMN: centre + rng.normal(0, 0.3, len(y)),
            "width": centre * 2 + rng.normal(0, 0.3, len(y)),
            "species": y,
        }
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Server:
    """One server for the whole module, on a store filled with hostile names before it starts."""
    tmp = tmp_path_factory.mktemp("injection")
    data_dir = tmp / "store"
    data_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    env.update(
        QUA3CK_DATA_DIR=str(data_dir),
        MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false",
        PYTHONUNBUFFERED="1",
        QUA3CK_PREDICTION_LOG="off",
    )
    _fill_store(data_dir)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command = [sys.executable, "-m", "streamlit", "run", "Home.py", "--server.headless", "true"]
    command += ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.fileWatcherType", "none"]
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    running = Server(url=url, data_dir=data_dir, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start:\n{running.log()}")
            time.sleep(0.25)
        yield running
    finally:
        _stop(process)


def _fill_store(data_dir) -> None:
    """Project, question, data, two evaluated runs, a registered version with an audited alias move."""
    from mlflow import MlflowClient

    from core.common import config
    from core.compare import evaluation
    from core.data import datastore
    from core.question import projects
    from core.question.kpis import KPI
    from core.registry import governance, model_card
    from core.registry import model_registry as registry
    from core.train import training

    saved = {k: os.environ.get(k) for k in (config.DATA_DIR_ENV, "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    os.environ[config.DATA_DIR_ENV] = str(data_dir)
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    try:
        config.activate_store()
        kpis = [KPI("accuracy", ">", 0.5)]
        project = projects.create_project(PROJECT, f"Question {MARKUP}", kpis)
        record = datastore.record_dataset(project.experiment_id, hostile_frame(), f"data {MARKUP}", "species")
        projects.set_data_run(project.experiment_id, record.run_id)
        for algorithm in ("logistic_regression", "gaussian_nb"):
            run = training.train_model(project.experiment_id, record, algorithm)
            evaluation.evaluate_run(run.run_id, kpis)
            MlflowClient().set_tag(run.run_id, evaluation.TAG_VERDICT, "pass")
            registry.register(run.run_id, MODEL, description=f"Description {MARKUP}", tags={"note": MARKUP})
        model_card.save_card_sections(MODEL, "1", f"Use {MARKUP}", f"Limits {MARKUP}")
        governance.move_alias(MODEL, "production", "1", governance.Actor(WHO), reason=REASON)
        governance.move_alias(MODEL, "champion", "2", governance.Actor(WHO), reason=REASON)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config._active = None  # the next activation in this process reads the environment again


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
