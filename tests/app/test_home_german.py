"""Home, the sidebar and the identity box in German: every text from the German catalogue, nothing breaks."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from core.question import projects
from tests.app.conftest import ROOT, goto, new_project_button, no_exception, texts


def test_home_and_sidebar_speak_german(store):
    import streamlit as st

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.session_state["ui_language"] = "de"
    at.run()
    no_exception(at)
    assert at.title[0].value == "🦆 QUA³CK Workbench"
    assert "Legen Sie zunächst" in texts(at.info)
    assert "Dieser Speicher enthält noch keine Projekte." in texts(at.sidebar.info)
    assert "Eingebetteter SQLite-Speicher" in texts(at.sidebar.caption)
    assert at.sidebar.button(key="sidebar_example").label.startswith("➕ Beispiel")

    at.sidebar.button(key="sidebar_example").click().run()
    no_exception(at)
    assert "mit Frage, KPIs und den Iris-Daten angelegt" in texts(at.sidebar.success)
    markdown = texts(at.markdown)
    assert "Q — Frage" in markdown and "U — Daten verstehen" in markdown
    assert "iris: 150 Zeilen" in markdown
    assert "Noch keine trainierten Modelle" in markdown and "**Nächster Schritt:**" in markdown
    assert at.sidebar.selectbox(key="sidebar_project").label == "Projekt (MLflow-Experiment)"

    at.sidebar.text_input(key="sidebar_new_name").input(projects.EXAMPLE_NAME)
    new_project_button(at).click().run()
    assert "Es gibt bereits ein Projekt namens" in texts(at.sidebar.error)


def test_identity_box_in_german(store):
    import streamlit as st

    from core.ui.identity import NAME_KEY

    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.session_state["ui_language"] = "de"
    at.run()
    at.sidebar.button(key="sidebar_example").click().run()
    goto(at, "registry")
    box = at.text_input(key=NAME_KEY)
    assert box.label == (
        "Ihr Name (wird bei jeder Änderung eines Alias oder der Regeln der Freigabeprüfung festgehalten)"
    )
    assert "Es ist keine Anmeldung eingerichtet" in texts(at.caption)
