"""Shared page helpers: "show the code", error display, buttons that say why they are
blocked, and making charts from data inert (text: core.ui.text)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.common.errors import describe
from core.common.i18n import chart_separators
from core.ui.i18n import t
from core.ui.text import plain


def show_code(code: str, where=st) -> None:
    """A collapsed "Show the code" box with the plain mlflow/sklearn lines equivalent to what the page did."""

    with where.expander(t("shell.show_code"), expanded=False, icon=":material/code:"):
        st.caption(t("shell.show_code_caption"))
        st.code(code, language="python")


def guarded_button(label: str, *, blocked: str | None, where=st, **kwargs) -> bool:
    """A button that cannot be pressed while ``blocked`` names a reason, with that reason next to it (a disabled
    button's tooltip is easy to miss, and a greyed-out control must always say why)."""
    pressed = where.button(label, disabled=blocked is not None, help=blocked, **kwargs)
    if blocked is not None:
        where.caption(f"🔒 {plain(blocked, code=True)}")
    return pressed


def localized_columns(frame, given: dict | None = None) -> dict:
    """A ``column_config`` that writes the frame's decimal numbers as the reader's browser writes them (0,967 in
    German); whole-number columns (versions, counts, years) and columns configured in ``given`` stay as they are."""

    config = dict(given or {})
    for column in frame.columns:
        if column not in config and pd.api.types.is_float_dtype(frame[column]):
            config[column] = st.column_config.NumberColumn(format="localized")
    return config


def show_table(frame, where=st, **kwargs):
    """``where.dataframe(frame, …)`` with decimal numbers in the reader's notation (see localized_columns)."""
    kwargs["column_config"] = localized_columns(frame, kwargs.get("column_config"))
    return where.dataframe(frame, **kwargs)


@contextmanager
def stop_on_error(
    kinds: type[BaseException] | tuple[type[BaseException], ...] = ValueError, sentence: str | None = None
) -> Iterator[None]:
    """Run the block; when it raises one of ``kinds``, show the error in one box (inside the translated
    ``sentence``'s {error} when given) and end the page's run there, so nothing below draws on a missing value."""
    try:
        yield
    except kinds as exc:
        message = plain(error_message(exc))
        st.error(t(sentence, error=message) if sentence else message)
        st.stop()


def error_message(exc: BaseException) -> str:
    """One readable line for an exception: our own messages as they are, others with their type."""
    return describe(exc)


# Plotly draws a small set of HTML tags inside chart text (<a href>, <b>, <span style>, <sup>, …). Every "<"
# except our own line breaks and hover <extra> boxes becomes "&lt;", which plotly shows as a literal "<".
_PLOTLY_TAG = re.compile(r"<(?!(?:br\s*/?|/?extra)>)", re.IGNORECASE)


def inert_figure(figure):
    """A copy of a plotly figure in which names and labels from data (column names, class labels, run names) are
    text: they can draw no link, markup or styled span in the chart. Our ``<br>`` and ``<extra>`` stay."""

    # the input figure was validated when it was built; validating the copy again cost ~11 ms per chart
    inert = go.Figure(_inert_value(figure.to_plotly_json()), _validate=False)
    if inert.layout.separators is None:  # axis ticks and hover numbers as the reader's language writes them
        inert.layout.separators = chart_separators()
    return inert


def _inert_value(value):

    if isinstance(value, str):
        return _PLOTLY_TAG.sub("&lt;", value) if "<" in value else value
    if isinstance(value, dict):
        return {key: _inert_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_inert_value(item) for item in value)
    if isinstance(value, np.ndarray) and value.dtype.kind in "OUS":
        return np.array([_inert_value(item) for item in value.ravel()], dtype=object).reshape(value.shape)
    return value


def inert_chart(where, figure, **kwargs):
    """``where.plotly_chart(figure, **kwargs)`` (``where``: st, a column, the sidebar) with the figure made inert."""
    return where.plotly_chart(inert_figure(figure), **kwargs)
