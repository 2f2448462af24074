"""Shared input widgets built from core descriptions."""

from __future__ import annotations

import streamlit as st

from core.algorithms import Param
from core.ui.common import plain

LOG_STEPS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def param_input(param: Param, key: str) -> object:
    """One hyperparameter's widget: a slider for integers, a log-scale slider or a number box for floats."""
    if param.kind == "int":
        return st.slider(param.label, int(param.low), int(param.high), int(param.default), key=key, help=param.help)
    if param.log:
        options = [v for v in LOG_STEPS if param.low <= v <= param.high]
        return st.select_slider(param.label, options=options, value=param.default, key=key, help=param.help)
    return st.number_input(
        param.label, float(param.low), float(param.high), float(param.default), key=key, help=param.help
    )


def feature_input(feature: str, stat: dict, key: str) -> object:
    """One model input: a slider over the training range (plus a margin, to try values outside it), a select
    box of the training categories, or a number box when the training data is unknown."""
    label = plain(feature)  # column names are data: shown literally, never as markdown
    if stat.get("kind") == "categorical":
        categories = stat["categories"]
        index = categories.index(stat["mode"]) if stat.get("mode") in categories else 0
        return st.selectbox(label, categories, index=index, key=key)
    if stat.get("kind") == "numeric":
        span = (stat["max"] - stat["min"]) or 1.0
        low, high = stat["min"] - 0.1 * span, stat["max"] + 0.1 * span
        return st.slider(label, float(low), float(high), float(stat["median"]), key=key)
    return st.number_input(label, value=0.0, key=key)
