"""Shared input widgets built from core descriptions."""

from __future__ import annotations

import streamlit as st

from core.algorithms import Param

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
