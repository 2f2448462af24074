"""Text from the store or from people, shown through Streamlit's markdown: escaped on one path.

Every catalogue text the UI shows goes through ``fill`` (``t()``): each field is escaped where it lands, outside
code spans with ``plain``, inside them by a fence longer than any backtick run in the value, so that a model
name, a column name, a tag or a note reads as written and can neither format the page nor load or link anything.
What the UI itself wrote as markdown (a translated text, an escaped value, a list it built) is a ``Markdown``
and goes in as it is."""

from __future__ import annotations

import re
from collections.abc import Iterable

from core.common.i18n import Formatter


class Markdown(str):
    """Markdown the UI wrote itself (a filled catalogue text, escaped text): a field that is one is not escaped.
    Joined with other text by ``+``, it escapes that text and stays Markdown (as markupsafe's Markup does)."""

    __slots__ = ()

    def __add__(self, other: object) -> Markdown:
        if not isinstance(other, str):
            return NotImplemented
        return Markdown(str.__add__(self, other if isinstance(other, Markdown) else plain(other)))

    def __radd__(self, other: object) -> Markdown:
        if not isinstance(other, str):
            return NotImplemented
        return Markdown(str.__add__(other if isinstance(other, Markdown) else plain(other), self))


# Characters markdown, Streamlit or HTML give a meaning to anywhere in a line, and a colon that starts a
# directive or an emoji/icon code (:red[…], :material/home:, :smile:); "_" inside a word
# (model_card, feature_1) cannot emphasise anything and stays as it is
_MARKDOWN_SPECIAL = re.compile(r"[\\`*{}\[\]<>|~$&]|(?<![^\W_])_|_(?![^\W_])|:(?=[A-Za-z])")
# Characters that only mean something at the start of a line: headings, list items, ordered lists, setext rules.
# Left alone elsewhere, so that messages stay readable in tests and logs ("iris-classifier", "0.95", "(cm)");
# "!" and "(" need no escape once "[" and "]" are escaped (no image, no link can form)
_LINE_START = re.compile(r"^([ \t]*)([#+=-]|\d+(?=[.)]))", re.MULTILINE)
# A CommonMark code span: a run of backticks, the shortest text, the same run again (not part of a longer run)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.DOTALL)


def plain(text: object, code: bool = False) -> Markdown:
    """Text shown through st.markdown-based elements exactly as written: no markdown, no HTML, no links.

    Every character markdown, Streamlit's directives (``:red[…]``), GFM autolinks or HTML give a meaning to is
    backslash-escaped, so names, labels and notes written by people can neither format the page nor load or
    link anything. With ``code=True`` backtick code spans stay code spans (they render literally anyway), for
    messages that wrap our own identifiers in backticks around user text; everything outside them is escaped.
    A ``Markdown`` (a text of ours, or one escaped already) comes back as it is.
    """
    if isinstance(text, Markdown):  # ours, escaped already
        return text
    text = str(text)
    if not code:
        return Markdown(_escape(text))
    out, position = [], 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(_escape(text[position:]))
    return Markdown("".join(out))


# GFM turns bare http://…, www.… and a@b.c into links *after* parsing, in the text that escapes produce, so
# backslashes cannot stop it; an invisible word joiner inside the pattern does (the text reads the same)
_AUTOLINK = re.compile(r"(?<=http)(?=s?://)|(?<=\bwww)(?=\.)|(?<=[\w.+-]@)(?=[\w-]+\.[\w-])", re.IGNORECASE)
WORD_JOINER = "\u2060"


def _escape(text: str, starts_line: bool = True) -> str:
    """``text`` escaped; ``starts_line`` False: it goes on after other text, so its first line starts no block."""
    text = _AUTOLINK.sub(WORD_JOINER, text)
    text = _MARKDOWN_SPECIAL.sub(lambda match: "\\" + match.group(0), text)
    if not starts_line:  # "1.200 rows" mid-sentence is a number, not an ordered list
        first, newline, rest = text.partition("\n")
        return first + newline + _LINE_START.sub(_escape_line_start, rest)
    # an ordered-list number keeps its digits and escapes its "." or ")": "1\. one"
    return _LINE_START.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match) -> str:
    indent, marker = match.groups()
    if marker.isdigit():
        return f"{indent}{marker}\\"
    return f"{indent}\\{marker}"


def joined(items: Iterable[object], separator: str = ", ") -> Markdown:
    """Each item escaped, then joined: a list of names for a text's field."""
    return Markdown(separator.join(plain(item) for item in items))


def code_span(content: str) -> Markdown:
    """``content`` as one code span, whatever it holds: a fence longer than its longest backtick run (padded where
    it starts or ends with one), line breaks as spaces (a blank line would end the span and the paragraph)."""
    content = " ".join(content.splitlines()) if "\n" in content or "\r" in content else content
    longest = max((len(run) for run in re.findall(r"`+", content)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if content.startswith("`") or content.endswith("`") else ""
    return Markdown(f"{fence}{pad}{content}{pad}{fence}")


def fill(template: str, language: str, values: dict[str, object]) -> Markdown:
    """A catalogue text with its fields filled for ``language``, each escaped for where it lands (see the module)."""
    if not values:
        return Markdown(template)
    out, position = [], 0
    for match in _CODE_SPAN.finditer(template):
        out.append(_filled(template[position : match.start()], language, values, "".join(out)))
        out.append(code_span(_filled(match.group(2), language, values, None)))
        position = match.end()
    out.append(_filled(template[position:], language, values, "".join(out)))
    return Markdown("".join(out))


def _filled(template: str, language: str, values: dict[str, object], before: str | None) -> str:
    """``template`` filled after the text ``before``, its fields escaped (``before`` None: inside a code span, raw)."""
    formatter = Formatter(language)
    out: list[str] = []
    for literal, field, spec, conversion in formatter.parse(template):
        out.append(literal)
        if field is None:
            continue
        value = formatter.convert_field(formatter.get_field(field, (), values)[0], conversion)
        written = formatter.format_field(value, spec or "")
        if before is not None and not isinstance(value, Markdown):
            line = (before + "".join(out)).rsplit("\n", 1)[-1]
            written = _escape(written, starts_line=not line.strip())
        out.append(written)
    return "".join(out)
