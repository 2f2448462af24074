"""Writing Python source: values as literals (the escaping of generated code), laid out as ruff format would,
and the Jinja2 environment the exported script's template renders in.

In that environment every ``{{ value }}`` is written as a Python literal unless it is already :class:`Code`, as
an HTML template escapes every value unless it is marked safe: a run name, a column or a URI from the store can
never break out of its string.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import jinja2

LINE = 120  # the repository's ruff line length; generated code passes ruff with the project's settings
TEMPLATES = Path(__file__).with_name("templates")


class Code(str):
    """Source text that a template writes as it is (not as a literal)."""


def literal(value: object) -> str:
    """Python source for a value, strings in double quotes as ruff format writes them."""
    if isinstance(value, str):
        text = repr(value)
        if text.startswith("'") and '"' not in value:
            text = '"' + text[1:-1].replace("\\'", "'") + '"'
        return text
    if isinstance(value, float):
        return repr(float(value))
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def assign(values: object, name: str) -> Code:
    """``NAME = [...]`` laid out as ruff format would: on one line when it fits, else one item per line."""
    lines = pretty(values, 0, f"{name} = ").split("\n")
    # a single string longer than a line cannot be split; say so rather than fail the lint
    return Code("\n".join(line + "  # noqa: E501" if len(line) > LINE else line for line in lines))


def pretty(value: object, indent: int, prefix: str = "", suffix: str = "") -> str:
    """A literal at this indent: flat when it fits, else its brackets exploded, recursively (black's rule)."""
    flat = " " * indent + prefix + literal(value) + suffix
    if len(flat) <= LINE or not isinstance(value, list | dict) or not value:
        return flat
    if isinstance(value, dict):
        items = [pretty(v, indent + 4, f"{literal(k)}: ", ",") for k, v in value.items()]
        opening, closing = "{", "}"
    else:
        items = [pretty(v, indent + 4, "", ",") for v in value]
        opening, closing = "[", "]"
    pad = " " * indent
    return "\n".join([pad + prefix + opening, *items, pad + closing + suffix])


def call(function: str, args: list[str], indent: int, prefix: str = "") -> Code:
    """``prefix function(a, b=1)`` on one line when it fits at this indent, else one argument per line."""
    one_line = f"{prefix}{function}({', '.join(args)})"
    if indent + len(one_line) <= LINE:
        return Code(one_line)
    function = prefix + function
    pad = " " * (indent + 4)
    return Code(f"{function}(\n" + "".join(f"{pad}{a},\n" for a in args) + " " * indent + ")")


def doc(text: object, limit: int = 80) -> Code:
    """Text as it may appear in a docstring or comment: printable, short, no backslash or triple quote."""
    text = "".join(ch for ch in str(text) if ch.isprintable()).replace("\\", "/").replace('"""', "'''")
    return Code(text if len(text) <= limit else text[: limit - 1] + "…")


def wrap(text: str, indent: int = 0) -> Code:
    """A line filled to the line length (less a docstring's indent), continued ``indent`` spaces in."""
    return Code(
        textwrap.fill(text, LINE - 4, subsequent_indent=" " * indent, break_long_words=False, break_on_hyphens=False)
    )


def _finalize(value: object) -> str:
    return value if isinstance(value, Code) else literal(value)


@functools.cache
def _environment():

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,  # a name the template expects and the caller forgot fails loudly
    )
    environment.filters.update(assign=assign, call=call, doc=doc, wrap=wrap, code=Code)
    return environment


def render(template: str, **context: object) -> str:
    """Python source from a template in core/codegen/templates, every value written as a literal."""
    return _environment().get_template(template).render(**context)
