"""Translations: the English and German catalogues and the language a message is wanted in.

Catalogues live in ``core/locales/<language>/<area>.toml``; a key is ``<area>.<name>`` (nested tables add
dots). Texts are ``str.format`` templates with named fields. English is complete by definition; a key missing
in another language falls back to English (a unit test keeps the catalogues' keys and fields identical).
Core stays Streamlit-free: the UI installs a resolver that reads the person's choice from the session.
"""

from __future__ import annotations

import string
import tomllib
from collections.abc import Callable
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).parent / "locales"

_resolver: list[Callable[[], str]] = [lambda: DEFAULT_LANGUAGE]


def set_language_resolver(resolver: Callable[[], str]) -> None:
    """Where ``tr`` learns the current language (the UI: the session's choice; the CLI: English)."""
    _resolver[0] = resolver


def current_language() -> str:
    try:
        language = _resolver[0]()
    except Exception:  # noqa: BLE001 — outside a session (a thread, a test) messages are simply English
        return DEFAULT_LANGUAGE
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def language_for_locale(locale: str | None) -> str:
    """The catalogue for a browser locale such as ``de-AT`` or ``en-US`` (English for anything else)."""
    primary = (locale or "").replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT_LANGUAGE


@cache
def catalogue(language: str) -> dict[str, str]:
    """Every key of one language, from all its area files."""
    texts: dict[str, str] = {}
    for path in sorted((LOCALES / language).glob("*.toml")):
        with path.open("rb") as handle:
            _flatten(tomllib.load(handle), path.stem, texts)
    return texts


def _flatten(table: dict, prefix: str, into: dict[str, str]) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(value, key, into)
        else:
            into[key] = str(value)


def fields(text: str) -> set[str]:
    """The named ``{fields}`` of a template."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def translate(key: str, language: str, /, **values: object) -> str:
    """The text for ``key`` in ``language`` (English when that language lacks it), filled with ``values``."""
    text = catalogue(language).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]  # a KeyError here is a bug: the key is in no catalogue
    return text.format(**values) if values else text


def tr(key: str, /, **values: object) -> str:
    """``translate`` in the current language."""
    return translate(key, current_language(), **values)
