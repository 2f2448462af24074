"""Translations: the English and German catalogues, the language a message is wanted in, and numbers, percentages,
dates and plurals written as that language writes them (Babel's locale data and CLDR plural rules).

Catalogues live in ``core/locales/<language>/<area>.toml``; a key is ``<area>.<name>`` (nested tables add
dots). Texts are ``str.format`` templates with named fields. A number passed to a field is written for the
language: ``{rows}`` → 1,234 / 1.234, ``{score:.4f}`` → 0.9667 / 0,9667, ``{share:.0%}`` → 97% / 97 %,
``{p:.2g}``. A plural is chosen by the field's count with the language's rules: ``{rows:@# row|# rows}`` writes
"1 row" or "1,234 rows" (forms in CLDR order, ``#`` is the number; a form without ``#`` is a word that agrees,
``{count:@is|are}``). English is complete by definition; a key missing in another language falls back to
English (a unit test keeps the catalogues' keys and fields identical). Core stays Streamlit-free: the UI
installs a resolver that reads the person's choice from the session.
"""

from __future__ import annotations

import datetime
import math
import numbers
import re
import string
import tomllib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import format_decimal, format_percent, get_decimal_symbol, get_group_symbol

LANGUAGES = {"en": "English", "de": "Deutsch"}
DEFAULT_LANGUAGE = "en"
LOCALES = Path(__file__).resolve().parents[1] / "locales"
BABEL_LOCALES = {"en": "en_US", "de": "de_DE"}  # the conventions each catalogue's numbers and dates follow
PLURAL_ORDER = ("zero", "one", "two", "few", "many", "other")  # CLDR's order of plural categories

_resolver: list[Callable[[], str]] = [lambda: DEFAULT_LANGUAGE]
_spoken: ContextVar[str | None] = ContextVar("qua3ck_spoken", default=None)  # set by ``speaking``


def set_language_resolver(resolver: Callable[[], str]) -> None:
    """Where ``tr`` learns the current language (the UI: the session's choice; the CLI: English)."""
    _resolver[0] = resolver


@contextmanager
def speaking(language: str) -> Iterator[None]:
    """Messages in ``language`` inside this block, in this thread only: work done elsewhere for a reader, e.g. a
    batch's partitions checked in a worker process for a German page."""
    token = _spoken.set(language)
    try:
        yield
    finally:
        _spoken.reset(token)


def current_language() -> str:
    spoken = _spoken.get()
    if spoken in LANGUAGES:
        return spoken
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


def template(key: str, language: str) -> str:
    """The unfilled text for ``key`` in ``language`` (English when that language lacks it)."""
    text = catalogue(language).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE)[key]  # a KeyError here is a bug: the key is in no catalogue
    return text


def translate(key: str, language: str, /, **values: object) -> str:
    """The text for ``key`` in ``language`` (English when that language lacks it), filled with ``values`` (numbers
    and plurals written for ``language``)."""
    text = template(key, language)
    if not values:
        return text
    return Formatter(language).vformat(text, (), values)


# ---- numbers, percentages, dates and plurals ------------------------------------------------------------------

_SPEC = re.compile(r"^(?P<group>,)?(?:\.(?P<digits>\d+))?(?P<kind>[dfg%])?$")


def _locale(language: str | None):

    return Locale.parse(BABEL_LOCALES.get(language or current_language(), BABEL_LOCALES[DEFAULT_LANGUAGE]))


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(value: float, decimals: int | None = None, language: str | None = None, grouping: bool = True) -> str:
    """``value`` as the language writes it: 1,234.5 / 1.234,5. ``decimals``: exactly that many (None: up to three,
    trailing zeros dropped); integers get none."""

    whole = isinstance(value, numbers.Integral) or (decimals == 0)
    fraction = "" if whole else "." + ("0" * decimals if decimals is not None else "###")
    pattern = ("#,##0" if grouping else "0") + fraction
    return format_decimal(value, format=pattern, locale=_locale(language))


def percent(share: float, decimals: int = 0, language: str | None = None) -> str:
    """A share as a percentage with the language's sign and spacing: 97% / 97 %."""

    locale = _locale(language)
    pattern = locale.percent_formats[None].pattern
    if decimals:  # the locale's own pattern, with the decimals asked for
        pattern = re.sub(r"0(?![0#,])", "0." + "0" * decimals, pattern, count=1)
    return format_percent(share, format=pattern, locale=locale)


def significant(value: float, digits: int = 2, language: str | None = None) -> str:
    """``value`` to ``digits`` significant digits (as ``{:.2g}`` does), in the language's notation."""

    if value == 0:  # CLDR's significant-digit patterns write zero as "0.0"
        return "0"
    return format_decimal(value, format="@" + "#" * max(digits - 1, 0), locale=_locale(language))


def when(ms: float | None, language: str | None = None) -> str:
    """A moment (milliseconds since the epoch) as date and time in UTC, as the language writes them."""

    if ms is None:
        return "—"
    moment = datetime.datetime.fromtimestamp(float(ms) / 1000, tz=datetime.UTC)
    return format_datetime(moment, format="medium", tzinfo=datetime.UTC, locale=_locale(language)) + " UTC"


def plural_category(count: float, language: str | None = None) -> str:
    """The CLDR plural category of ``count`` in the language (``one``, ``other``, …): the suffix of a key pair
    such as ``trials_one`` / ``trials_other``."""
    return _locale(language).plural_form(abs(count))


def plural(count: float, forms: list[str], language: str | None = None) -> str:
    """The form for ``count`` among ``forms`` (one per plural category of the language, in CLDR order)."""
    rule = _locale(language).plural_form
    categories = [c for c in PLURAL_ORDER if c in rule.tags or c == "other"]
    category = rule(abs(count))
    form = forms[categories.index(category)] if len(forms) == len(categories) else forms[-1]
    return form.replace("#", number(count, language=language))


def chart_separators(language: str | None = None) -> str:
    """Plotly's ``layout.separators`` for the language: its decimal sign, then its thousands separator."""

    locale = _locale(language)
    return get_decimal_symbol(locale) + get_group_symbol(locale)


def format_value(value: object, spec: str, language: str) -> str:
    """One template field: numbers and plurals for ``language``, anything else as ``format`` writes it."""
    if not spec and callable(getattr(value, "shown", None)):  # an object that knows how a reader sees it (a KPI)
        return value.shown(language)
    if spec.startswith("@"):
        forms = spec[1:].split("|")
        if _is_number(value):
            return plural(value, forms, language)
        return forms[-1].replace("#", str(value))  # a count already written out: its plural form
    match = _SPEC.match(spec)
    if match is None:
        return format(value, spec)
    if _is_number(value) and not math.isfinite(value):  # Babel cannot write these; people read a dash or ∞
        return "—" if value != value else ("∞" if value > 0 else "−∞")
    if not _is_number(value):  # a number's spec given text (a column letter for a line): the text as it is
        return str(value)
    kind, digits, group = match["kind"], match["digits"], bool(match["group"])
    if kind == "d":
        return number(int(value), language=language, grouping=group)
    if kind == "%":
        return percent(value, int(digits) if digits is not None else 6, language)
    if kind == "g":
        return significant(value, int(digits) if digits is not None else 6, language)
    if kind == "f":
        return number(value, int(digits) if digits is not None else 6, language, grouping=group)
    return number(value, language=language)  # no spec, or only ",": grouped, as the language groups


class Formatter(string.Formatter):
    """Fills a catalogue text: each field written by ``format_value`` for the language."""

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE

    def format_field(self, value: object, format_spec: str) -> str:
        return format_value(value, format_spec, self.language)


@dataclass(frozen=True)
class Message:
    """A text for people kept as its catalogue key and fields, rendered in a language only where it is shown: a
    page renders it in its reader's language, the store and the CLI in English. A field may itself be a Message
    or a function of the language (a plural, a phrase of that language); anything else is filled in as it is."""

    key: str
    fields: dict[str, object] = field(default_factory=dict)

    def render(self, language: str | None = None) -> str:
        """The text in ``language`` (default: the current one)."""
        language = language or current_language()
        return translate(self.key, language, **{name: _rendered(v, language) for name, v in self.fields.items()})

    def __str__(self) -> str:
        return self.render()


def _rendered(value: object, language: str) -> object:
    if isinstance(value, Message):
        return value.render(language)
    if callable(value):
        return value(language)
    return value


def tr(key: str, /, **values: object) -> str:
    """``translate`` in the current language."""
    return translate(key, current_language(), **values)
