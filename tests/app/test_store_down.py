"""A tracking server that does not answer: every page says so at once instead of hanging or showing a traceback."""

from __future__ import annotations

import socket
import time

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import ROOT, no_exception, texts


@pytest.fixture
def dead_server(store, monkeypatch):
    """MLFLOW_TRACKING_URI at a local port nobody listens on (with a password that must not show)."""
    from core.common import config
    from core.ui import shell

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"http://ana:s3cret@127.0.0.1:{port}")
    monkeypatch.setattr(config, "_active", None)
    monkeypatch.setattr(shell, "_answered_at", [float("-inf")])
    return port


@pytest.mark.parametrize("page", ["home", "data", "train", "compare", "registry", "predict", "monitor"])
def test_every_page_says_the_server_is_unreachable(dead_server, page):
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=60)
    started = time.monotonic()
    at.run()
    if page != "home":
        at.switch_page(f"pages/{page}.py").run()
    assert time.monotonic() - started < 30  # MLflow's own client would retry for minutes
    no_exception(at)
    shown = texts(at.error)
    assert f"127.0.0.1:{dead_server}" in shown and "is not reachable" in shown
    assert "s3cret" not in shown + texts(at.sidebar.caption)
    assert any(b.label == "Try again" for b in at.button)
