"""The language switch on every page: German everywhere once picked in the sidebar, kept across pages."""

from __future__ import annotations

import pytest

from core.common import i18n
from core.ui.shell import PAGES
from tests import registry_setup
from tests.app.conftest import goto, no_exception
from tests.app.test_pages import _trained, example

AREAS = {"question": "question", "data": "data", "train": "train", "compare": "compare", "registry": "registry",
         "predict": "predict", "monitor": "monitor"}  # fmt: skip


def _german(app) -> None:
    app.sidebar.segmented_control(key="ui_language_picker").set_value("de").run()
    no_exception(app)


@pytest.fixture
def served_app(app):
    project = example(app)
    registry_setup.promote("iris-classifier", "production", run_id=_trained(project).run_id)
    return app


def test_the_sidebar_switches_every_page_to_german_and_back(served_app):
    app = served_app
    _german(app)
    assert app.session_state["ui_language"] == "de"
    assert app.query_params.get("lang") in ("de", ["de"])
    for page, area in AREAS.items():
        goto(app, page)
        title = i18n.translate(f"shell.page_{area}", "de")  # the sidebar's label is the heading
        assert [t.value.split(" ", 1)[1] for t in app.title][:1] == [title], page
        assert app.expander[0].label == i18n.translate("shell.phase_expander", "de")
        english = {i18n.translate(f"shell.page_{area}", "en"), i18n.translate("shell.phase_expander", "en")}
        english -= {title}  # "K — Registry" is the same in both
        shown = {t.value.split(" ", 1)[1] for t in app.title} | {e.label for e in app.expander}
        assert not shown & english, page
    app.sidebar.segmented_control(key="ui_language_picker").set_value("en").run()
    assert app.title[0].value == "📈 " + i18n.translate("shell.page_monitor", "en")


def test_the_home_page_and_the_navigation_speak_german(served_app):
    app = served_app
    _german(app)
    goto(app, "home")
    shown = " ".join(m.value for m in app.markdown) + " ".join(c.value for c in app.caption)
    assert "Projekt" in shown or "Frage" in shown
    titles = [i18n.translate(key, "de") for _, key, _ in PAGES]
    assert len(set(titles)) == len(PAGES)


def test_core_messages_follow_the_language(served_app):
    """A message raised in core (a KPI that makes no sense) reaches the page in German."""
    app = served_app
    _german(app)
    goto(app, "question")
    app.text_area(key="question_text").set_value("").run()
    app.button(key="question_save").click().run()
    no_exception(app)
    assert app.error[0].value.startswith(i18n.translate("question.no_question", "de")[:20])
