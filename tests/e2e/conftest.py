"""End-to-end fixtures: the real Streamlit server on a temporary store, and headless Debian Chromium."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
SCREENS = ARTIFACTS / "screens"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_TIMEOUT_S = 90


@dataclass(frozen=True)
class Server:
    """A running workbench: where it answers, which store it writes and where its output goes."""

    url: str
    data_dir: Path
    log_path: Path
    process: subprocess.Popen

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


@contextlib.contextmanager
def in_store(data_dir: Path) -> Iterator[None]:
    """This test process writes to (and reads from) the embedded store in ``data_dir`` inside the block."""
    from core.common import config

    saved = {k: os.environ.get(k) for k in (config.DATA_DIR_ENV, "MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")}
    os.environ[config.DATA_DIR_ENV] = str(data_dir)
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    try:
        config.activate_store()
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        config._active = None  # the next activation in this process reads the environment again


def register_two_passing_versions(model: str) -> None:
    """In the active store: the example project with two evaluated runs whose KPI verdict is a pass, registered as
    versions 1 and 2 of ``model`` (no alias yet)."""
    from mlflow import MlflowClient

    from core.compare import evaluation
    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.registry import model_registry
    from core.train import training

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    for algorithm in ("logistic_regression", "gaussian_nb"):
        run = training.train_model(project.experiment_id, record, algorithm)
        evaluation.evaluate_run(run.run_id, project.kpis)
        MlflowClient().set_tag(run.run_id, evaluation.TAG_VERDICT, "pass")
        model_registry.register(run.run_id, model)


@contextlib.contextmanager
def run_server(
    tmp_path: Path,
    *extra: str,
    port: int | None = None,
    env: dict[str, str] | None = None,
    prepare: Callable[[Path], None] | None = None,
) -> Iterator[Server]:
    """`streamlit run Home.py` on a free port (or ``port``) against a fresh embedded store in tmp_path, with
    ``extra`` command-line options (e.g. ``--secrets.files PATH``) and ``env`` variables; ``prepare(store)``
    writes the store before the server starts."""
    data_dir = tmp_path / "store"
    data_dir.mkdir()
    environment = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    environment["QUA3CK_DATA_DIR"] = str(data_dir)
    environment["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    environment["PYTHONUNBUFFERED"] = "1"
    environment.update(env or {})
    if prepare is not None:
        prepare(data_dir)
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "Home.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    running = Server(url=url, data_dir=data_dir, log_path=log_path, process=process)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(url):
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with code {process.returncode}:\n{running.log()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"streamlit did not answer {url}/_stcore/health within {STARTUP_TIMEOUT_S} s:\n{running.log()}"
                )
            time.sleep(0.25)
        yield running
    finally:
        _stop(process)


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    """`streamlit run Home.py` on a free port against a fresh embedded store in tmp_path."""
    with run_server(tmp_path) as running:
        yield running


@pytest.fixture(scope="session")
def browser():
    """One headless Debian Chromium for the session (never `playwright install`)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(request, browser, server):
    """A fresh browser page (own context) on the app; on failure a screenshot and the server log are kept."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(30_000)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        try:
            tab.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        except Exception as exc:  # noqa: BLE001 — a broken page must not hide the test's own failure
            (ARTIFACTS / f"{stem}.screenshot-error.txt").write_text(repr(exc))
        shutil.copy(server.log_path, ARTIFACTS / f"{stem}.server.log")
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Store each phase's report on the item (rep_setup, rep_call, rep_teardown) for the fixtures above."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
