"""Shared input widgets built from core descriptions."""

from __future__ import annotations

import math

import streamlit as st

from core.algorithms import Param, choice_text
from core.errors import describe
from core.ui.common import plain


def log_steps(low: float, high: float) -> list[float]:
    """1-2-5 steps per decade from low to high, for a log-scale slider."""
    steps, decade = [], 10 ** math.floor(math.log10(low))
    while decade <= high:
        steps += [m * decade for m in (1, 2, 5) if low <= m * decade <= high]
        decade *= 10
    return [float(f"{v:.3g}") for v in steps]


def param_input(param: Param, key: str) -> object:
    """One hyperparameter's widget: a slider for integers, a log-scale slider, a number box or a choice."""
    if param.kind == "choice":
        return st.selectbox(
            param.label,
            list(param.choices),
            index=list(param.choices).index(param.default),
            format_func=choice_text,
            key=key,
            help=param.help,
        )
    if param.kind == "int":
        return st.slider(param.label, int(param.low), int(param.high), int(param.default), key=key, help=param.help)
    if param.log:
        options = sorted({*log_steps(param.low, param.high), param.default})
        return st.select_slider(
            param.label, options=options, value=param.default, key=key, help=param.help, format_func=lambda v: f"{v:g}"
        )
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


def export_button(run_id: str, key: str) -> None:
    """Download a run as a standalone Python script; the script is written only when clicked."""
    from core import export

    try:
        file_name = export.script_filename(run_id)
    except ValueError as exc:  # e.g. a run deleted in MLflow meanwhile
        st.caption(f"Export as Python script is not available: {plain(describe(exc))}")
        return
    st.download_button(
        "⬇️ Export as Python script",
        data=lambda: export.export_script(run_id),
        file_name=file_name,
        mime="text/x-python",
        key=key,
        on_click="ignore",
        help="A standalone script that rebuilds this run's model and CV score from the same MLflow store — "
        "the bridge to plain train.py code.",
    )


def served_alias_picker(prefix: str):
    """Pick a registered model and one of its aliases (default: the one Predict serves) and resolve it to its
    version; says what to do and stops the page when no model has an alias or the alias cannot be resolved.

    Returns (name, alias, version). Widget keys: ``<prefix>_model`` and ``<prefix>_alias``."""
    from core import registry, status
    from core.ui.common import error_message

    models = [m for m in registry.list_models() if m.aliases]
    if not models:
        st.info("No registered model has an alias yet. Register a version and give it an alias such as 'production'.")
        st.page_link("pages/registry.py", label="Go to the registry", icon="🏷️")
        st.stop()
    left, right = st.columns(2)
    by_name = {m.name: m for m in models}
    name = left.selectbox("Registered model", list(by_name), key=f"{prefix}_model")
    aliases = sorted(by_name[name].aliases)
    default_alias = status.serving_alias(by_name[name])
    alias = right.selectbox("Alias", aliases, index=aliases.index(default_alias), key=f"{prefix}_alias")
    try:
        version = registry.resolve_alias(name, alias)
    except ValueError as exc:
        st.error(plain(error_message(exc)))
        st.stop()
    return name, alias, version
