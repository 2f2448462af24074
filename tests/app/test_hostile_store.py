"""Every page, from a store full of hostile names (tests/hostile.py), draws nothing the app did not write.

Each text Streamlit renders as markdown (headings, captions, alerts, expander and tab labels, widget labels and
help) is parsed the way a CommonMark renderer does, HTML entities decoded; the app writes no markdown link, image
or HTML of its own, so any of them, a bare URL left to GFM's autolinks, or a hostile word drawn bold, came from
the store; and since no hostile text holds a backslash, one the reader would see means a text was escaped twice."""

from __future__ import annotations

import re

import pytest
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from core.compare.runs import training_runs
from core.ui import identity, keys
from tests.app.conftest import ROOT, goto, no_exception, texts
from tests.hostile import (
    ALIAS,
    EMPHASISED,
    EVIL,
    MARKUP,
    MODEL,
    REASON,
    UPLOAD_NAME,
    WHO,
    Seeded,
    fill_store,
    hostile_frame,
)

_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
# the element types whose "body" is markdown (st.text, st.code, st.json and a metric's value are plain text)
_MARKDOWN_BODIES = {"Markdown", "Alert", "Heading"}
_BARE_URL = re.compile(r"https?://|www\.", re.IGNORECASE)


def _markdown_texts(at: AppTest) -> list[tuple[str, str]]:
    """(element type, text) for every text of the page Streamlit renders as markdown."""
    found = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None and hasattr(proto, "DESCRIPTOR"):
            kind = type(proto).__name__
            for field in ("label", "help") + (("body",) if kind in _MARKDOWN_BODIES else ()):
                value = getattr(proto, field, None) if field in proto.DESCRIPTOR.fields_by_name else None
                if isinstance(value, str) and value:
                    found.append((kind, value))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return found


def offences(source: str) -> list[str]:
    """What in ``source`` a markdown renderer would turn into something other than the text itself."""
    found = []

    def visit(tokens, emphasis: int = 0) -> None:
        for token in tokens:
            if token.type == "image":
                found.append(f"image {token.attrGet('src')}")
            elif token.type == "link_open":
                found.append(f"link {token.attrGet('href')}")
            elif token.type in ("html_inline", "html_block"):
                found.append(f"HTML {token.content.strip()[:60]}")
            elif token.type in ("strong_open", "em_open"):
                emphasis += 1
            elif token.type in ("strong_close", "em_close"):
                emphasis -= 1
            elif token.type == "text":
                if emphasis and token.content.strip() in EMPHASISED:
                    found.append(f"emphasised {token.content!r}")
                if _BARE_URL.search(token.content) and EVIL in token.content:
                    found.append(f"bare URL {token.content[:60]!r}")
                if "\\" in token.content:  # no hostile text holds one: escaped twice, the reader sees the escapes
                    found.append(f"escaped twice {token.content[:60]!r}")
            if token.children:
                visit(token.children, emphasis)

    visit(_MARKDOWN.parse(source))
    return found


def assert_inert(at: AppTest, where: str) -> None:
    no_exception(at)
    bad = [(kind, text[:120], found) for kind, text in _markdown_texts(at) if (found := offences(text))]
    assert not bad, f"{where}: {bad}"


def test_the_checker_finds_what_a_renderer_would_draw():
    assert offences("![i](https&colon;&sol;&sol;example.com&sol;i.png)") == ["image https://example.com/i.png"]
    assert offences("`a`b ![i](x)`")[0].startswith("image")  # a backtick in a name ends the code span early
    assert offences("__bold__") == ["emphasised 'bold'"]
    assert offences("see http://example.com") == ["bare URL 'see http://example.com'"]
    assert offences("<b>x</b>")[0].startswith("HTML")
    assert offences("`models:/a@b` → **3**") == []
    assert offences("a \\\\\\*b") == ["escaped twice 'a \\\\*b'"]


@pytest.fixture
def seeded(store) -> Seeded:
    return fill_store()


@pytest.fixture
def hostile_app(seeded):
    """The app on the hostile store, the hostile model in focus."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.query_params["model"] = MODEL
    at.run()
    no_exception(at)
    return at


def test_every_page_shows_hostile_names_as_text(hostile_app):
    at = hostile_app
    assert_inert(at, "home")
    for page in ("question", "data", "train", "compare", "registry", "predict", "monitor"):
        goto(at, page)
        assert_inert(at, page)


def test_what_the_pages_make_of_hostile_data_is_text(hostile_app, seeded):
    """Actions and uploads: results, evidence, predictions, drift and retraining name the hostile columns and
    classes, and the uploaded file's hostile name."""
    at = hostile_app
    frame = hostile_frame()
    csv = frame.to_csv(index=False).encode()
    goto(at, "data")
    at.radio(key="data_source").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value((UPLOAD_NAME, csv, "text/csv")).run()
    assert_inert(at, "data-uploaded")
    assert 'onerror="window.__pwned=1"' in texts(at.selectbox)  # the hostile column, offered as the target
    goto(at, "train")
    at.button(key="train_run").click().run()
    assert_inert(at, "train-results")
    assert len(at.session_state[keys.TRAIN_RESULTS]) == 1
    goto(at, "compare")
    trained = list(training_runs(seeded.experiment_id, "accuracy")["run_id"])
    at.multiselect(key="compare_runs").set_value(trained[:4]).run()  # the new run is not evaluated yet
    at.button(key="compare_evaluate").click().run()
    assert_inert(at, "compare-evaluated")
    assert "Evaluated 1 run" in texts(at.success)
    goto(at, "registry")
    at.text_input(key=identity.NAME_KEY).set_value(WHO).run()  # who acts: a hostile name too
    assert_inert(at, "registry-identified")
    at.text_input(key="registry_description").set_value(f"Description {MARKUP}")
    at.text_area(key="registry_tags").set_value(f"note={MARKUP}")
    at.button(key="registry_register").click().run()  # the hostile model's third version
    assert_inert(at, "registry-registered")
    assert "version 3" in texts(at.success)
    at.selectbox(key="registry_version").set_value("3")
    at.selectbox(key="registry_alias").set_value(ALIAS).run()  # the hostile alias, moved again by the gate
    at.text_input(key="registry_reason").set_value(REASON)
    at.button(key="registry_set_alias").click().run()
    assert_inert(at, "registry-promoted")
    at.button(key="registry_card_log").click().run()
    assert_inert(at, "registry-card-logged")
    at.file_uploader(key="retrain_batch").set_value((UPLOAD_NAME, csv, "text/csv")).run()
    assert_inert(at, "registry-retrain-plan")
    assert not at.button(key="retrain_run").disabled  # the batch was read and planned
    at.button(key="retrain_run").click().run()
    assert_inert(at, "registry-retrained")
    goto(at, "predict")
    at.button(key="predict_submit").click().run()
    assert_inert(at, "predict-one-row")
    features = frame.drop(columns="species").to_csv(index=False).encode()
    at.file_uploader(key="predict_upload").set_value((UPLOAD_NAME, features, "text/csv")).run()
    assert_inert(at, "predict-file")
    assert at.get("download_button")  # the predictions, ready to download
    goto(at, "monitor")
    at.radio(key="monitor_source").set_value("Upload a batch").run()
    at.file_uploader(key="monitor_upload").set_value((UPLOAD_NAME, csv, "text/csv")).run()
    assert_inert(at, "monitor-batch")
    assert len(at.metric) >= 4  # the report's figures
