"""The English and German catalogues: same keys, same fields, every key the code asks for exists, and no page
or widget passes a text of its own (an untranslated literal) to Streamlit."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.common import i18n

ROOT = Path(__file__).resolve().parents[2]
UI_FILES = sorted([*ROOT.glob("pages/*.py"), *ROOT.glob("core/ui/**/*.py"), ROOT / "Home.py"])


def test_both_catalogues_have_the_same_keys_in_every_area():
    for area in sorted({p.stem for p in i18n.LOCALES.glob("*/*.toml")}):
        en = {k for k in i18n.catalogue("en") if k.split(".")[0] == area}
        de = {k for k in i18n.catalogue("de") if k.split(".")[0] == area}
        assert en - de == set(), f"{area}: not in German"
        assert de - en == set(), f"{area}: not in English"
    assert set(i18n.catalogue("en")) == set(i18n.catalogue("de"))


def test_translations_have_the_same_fields():
    en, de = i18n.catalogue("en"), i18n.catalogue("de")
    different = {key: (i18n.fields(en[key]), i18n.fields(de[key])) for key in en if key in de}
    assert {k: v for k, v in different.items() if v[0] != v[1]} == {}


def test_no_text_is_empty_and_german_is_not_a_copy_of_english():
    en, de = i18n.catalogue("en"), i18n.catalogue("de")
    assert [k for k, v in {**en, **de}.items() if not v.strip()] == []
    # identical texts are fine for names and symbols ("KPIs", "F1"), not for sentences
    copied = [k for k in en if en[k] == de.get(k) and len(re.findall(r"[a-z]{3,}", en[k])) >= 4]
    assert copied == []


def test_translate_fills_fields_and_falls_back_to_english(monkeypatch):
    assert i18n.translate("question.saved", "de", project="P", kpis="k") == "Im Experiment 'P' gespeichert: k"
    monkeypatch.setitem(i18n.catalogue("de"), "question.saved", None)
    monkeypatch.delitem(i18n.catalogue("de"), "question.saved")
    assert i18n.translate("question.saved", "de", project="P", kpis="k").startswith("Saved on experiment")
    with pytest.raises(KeyError):
        i18n.translate("question.no_such_key", "en")


def test_language_for_locale():
    assert i18n.language_for_locale("de-AT") == "de"
    assert i18n.language_for_locale("de_DE") == "de"
    assert i18n.language_for_locale("en-US") == "en"
    assert i18n.language_for_locale("fr-FR") == "en"
    assert i18n.language_for_locale(None) == "en"


def test_core_messages_follow_the_resolver_and_default_to_english():
    try:
        i18n.set_language_resolver(lambda: "de")
        assert i18n.tr("question.no_kpis") == "keine KPIs"
        i18n.set_language_resolver(lambda: 1 / 0)
        assert i18n.tr("question.no_kpis") == "no KPIs"
    finally:
        i18n.set_language_resolver(lambda: i18n.DEFAULT_LANGUAGE)


def _literal_keys() -> set[str]:
    keys = set()
    for path in [*ROOT.glob("pages/*.py"), *ROOT.glob("core/**/*.py"), ROOT / "Home.py"]:
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name | ast.Attribute)
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) in {"t", "tr"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                keys.add(node.args[0].value)
    return keys


def test_every_key_the_code_asks_for_exists():
    keys = _literal_keys()
    assert len(keys) > 10
    assert sorted(keys - set(i18n.catalogue("en"))) == []


# Streamlit calls that show text to a person, and the keyword arguments that carry text
TEXT_CALLS = {
    "title", "header", "subheader", "caption", "markdown", "write", "info", "warning", "error", "success",
    "button", "checkbox", "toggle", "selectbox", "multiselect", "radio", "slider", "select_slider",
    "number_input", "text_input", "text_area", "file_uploader", "expander", "form_submit_button",
    "download_button", "page_link", "metric", "toast", "spinner", "status", "segmented_control", "pills",
    "popover", "date_input", "progress", "tabs", "dialog",
}  # fmt: skip
TEXT_KEYWORDS = {"label", "help", "placeholder", "text", "body", "caption"}
WORDS = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}|[A-Z][a-z]{3,}")


def _has_words(node: ast.AST) -> bool:
    """A literal string, f-string or list of them with words in it (names in code spans excluded)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return bool(WORDS.search(re.sub(r"`[^`]*`", "", node.value)))
    if isinstance(node, ast.JoinedStr):
        return any(_has_words(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _has_words(node.left) or _has_words(node.right)
    if isinstance(node, ast.List | ast.Tuple):
        return any(_has_words(e) for e in node.elts)
    return False


@pytest.mark.parametrize("path", UI_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_passes_no_untranslated_text(path):
    untranslated = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in TEXT_CALLS:
            continue
        texts = node.args[:1] + [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
        untranslated += [f"line {node.lineno}: {ast.unparse(n)[:80]}" for n in texts if _has_words(n)]
    assert untranslated == []


def test_numbers_and_plurals_follow_the_language():
    assert i18n.translate("compare.wrong_rows", "en", count=1).startswith("One held-out row is misclassified")
    assert i18n.translate("compare.wrong_rows", "de", count=3).startswith("3 Zeilen der Testdaten sind")
    assert i18n.format_value(1234.5678, ".2f", "de") == "1234,57"
    assert i18n.format_value(1234, "", "de") == "1.234" and i18n.format_value(1234, "d", "de") == "1234"
    assert i18n.format_value(0.967, ".1%", "de") == "96,7\xa0%" and i18n.format_value(0.967, ".0%", "en") == "97%"
    assert i18n.format_value(2, "@# Zeile|# Zeilen", "de") == "2 Zeilen"
    assert i18n.format_value("1,234", "@# row|# rows", "en") == "1,234 rows"  # a count written out already


def test_numbers_that_are_not_finite_are_written_not_raised():
    for spec in ("", "g", ".2f", ".0%", "d", ","):
        assert i18n.format_value(float("inf"), spec, "de") == "∞"
        assert i18n.format_value(float("nan"), spec, "en") == "—"
