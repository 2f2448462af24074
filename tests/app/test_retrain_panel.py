"""The retrain panel (core.ui.widgets.retrain) through AppTest, in a tiny script that shows the identity box and
the panel for one model, against the test's temporary store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.registry import model_registry as registry
from tests.app.conftest import no_exception, texts
from tests.unit.test_retrain import MODEL, iris, make_champion, shifted_batch


def _script() -> None:
    import os

    from core.ui.identity import identity_box
    from core.ui.widgets.retrain import retrain_panel

    identity_box()
    retrain_panel(os.environ["RETRAIN_PANEL_MODEL"])


@pytest.fixture
def panel(store, monkeypatch):
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    monkeypatch.setenv("RETRAIN_PANEL_MODEL", MODEL)

    def start() -> AppTest:
        at = AppTest.from_function(_script, default_timeout=180)
        at.run()
        no_exception(at)
        return at

    return start


def said(elements) -> str:
    """What the elements say, without the escaping core.ui.text.plain adds for markdown."""
    return texts(elements).replace("\\", "")


def upload(at: AppTest, frame, name: str = "batch.csv") -> AppTest:
    at.file_uploader(key="retrain_batch").set_value((name, frame.to_csv(index=False).encode(), "text/csv")).run()
    no_exception(at)
    return at


def test_without_the_model_the_panel_says_so(panel):
    at = panel()
    assert f"There is no registered model named '{MODEL}'" in said(at.error)


def test_empty_state_and_bad_batches_are_explained_and_retraining_stays_disabled(panel):
    make_champion()
    at = panel()
    assert "Upload a labelled batch of at least 20 rows" in said(at.info)
    assert at.button(key="retrain_run").disabled
    at.text_input(key="identity_name").input("Ana").run()
    other = iris().rename(columns={"species": "label"})
    upload(at, other, "other.csv")
    assert "missing 'species'" in said(at.error) and "'label'" in said(at.error)
    assert at.button(key="retrain_run").disabled
    upload(at, iris().head(12), "few.csv")
    assert "12 labelled rows" in said(at.error)
    assert at.button(key="retrain_run").disabled


def test_retrain_compare_and_promote_through_the_gate(panel):
    make_champion()
    at = panel()
    upload(at, shifted_batch(), "shifted.csv")
    assert "Retrain ct-iris@champion (v1) on 300 rows" in said(at.success)
    assert at.button(key="retrain_run").disabled  # nobody said who they are yet
    at.text_input(key="identity_name").input("Ana").run()
    at.button(key="retrain_run").click().run()
    no_exception(at)
    assert "Challenger v2 beats champion v1" in said(at.success)
    table = at.dataframe[0].value
    assert list(table.columns) == ["metric", "champion v1", "challenger v2", "change"]
    assert registry.get_model(MODEL).aliases == {"champion": "1", "challenger": "2"}
    assert "passes its KPIs" in said(at.success)
    promote = at.button(key="retrain_promote")
    assert not promote.disabled
    promote.click().run()
    no_exception(at)
    assert "@champion now points at challenger v2 (moved from v1)" in said(at.success)
    assert registry.get_model(MODEL).aliases == {"champion": "2", "challenger": "2"}
