"""core.warmup: the server's start loads the served models ahead; the first page takes them."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from core import registry, training, warmup
from core.registry import ModelSummary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh(monkeypatch):
    """The module's once-per-process state, fresh for each test."""
    monkeypatch.setattr(warmup, "_started", False)
    monkeypatch.setattr(warmup, "_done", threading.Event())
    monkeypatch.setattr(warmup, "_models", {})
    return warmup


def test_warm_up_loads_the_served_version_once(fresh, iris_project):
    project, record = iris_project
    run = training.train_model(project.experiment_id, record, "random_forest", {"n_estimators": 10})
    registry.promote("iris-classifier", "production", run_id=run.run_id)

    fresh.start()
    fresh.start()  # once per process
    fresh.wait(timeout=120)
    model = fresh.take("iris-classifier", "1")
    assert model is not None and model.version == "1" and model.estimator is not None
    assert fresh.take("iris-classifier", "1") is None  # handed over once: the page's cache keeps it
    assert fresh.take("iris-classifier", "2") is None


def test_a_failing_warm_up_leaves_the_pages_to_load_themselves(fresh, store, monkeypatch):
    def broken():
        raise OSError("store unreachable")

    monkeypatch.setattr(registry, "list_models", broken)
    fresh.start()
    fresh.wait(timeout=60)
    assert fresh._done.is_set()
    assert fresh.take("anything", "1") is None


def test_wait_returns_at_once_without_a_warm_up(fresh):
    fresh.wait(timeout=0.01)  # nothing started: AppTest and scripts never block here


def test_served_versions_prefer_production_then_champion_and_are_bounded():
    models = [
        ModelSummary("a", {"champion": "2", "production": "1"}),
        ModelSummary("b", {"champion": "3"}),
        ModelSummary("c", {"staging": "1"}),
        *(ModelSummary(f"m{i}", {"production": "1"}) for i in range(10)),
    ]
    wanted = warmup.served_versions(models)
    assert wanted[:2] == [("a", "1"), ("b", "3")]
    assert ("c", "1") not in wanted
    assert len(wanted) == warmup.MAX_MODELS


def test_streamlit_run_finds_the_app_in_home_py():
    from streamlit.web.server.app_discovery import discover_asgi_app

    found = discover_asgi_app(ROOT / "Home.py")
    assert found.is_asgi_app and found.import_string == "Home:app"
