"""Shared input widgets built from core descriptions."""

from __future__ import annotations

import math

import streamlit as st

from core.algorithms import Param, choice_text
from core.errors import describe
from core.ui.common import plain
from core.ui.i18n import t


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
        st.caption(t("widgets.export_unavailable", error=plain(describe(exc))))
        return
    st.download_button(
        t("widgets.export"),
        data=lambda: export.export_script(run_id),
        file_name=file_name,
        mime="text/x-python",
        key=key,
        on_click="ignore",
        help=t("widgets.export_help"),
    )


def served_alias_picker(prefix: str):
    """Pick a registered model and one of its aliases (default: the one Predict serves) and resolve it to its
    version; says what to do and stops the page when no model has an alias or the alias cannot be resolved.

    Returns (name, alias, version). Widget keys: ``<prefix>_model`` and ``<prefix>_alias``."""
    from core import registry, status
    from core.ui.common import error_message

    models = [m for m in registry.list_models() if m.aliases]
    if not models:
        st.info(t("widgets.no_alias"))
        st.page_link("pages/registry.py", label=t("widgets.go_to_registry"), icon="🏷️")
        st.stop()
    by_name = {m.name: m for m in models}
    before = st.session_state.get(f"{prefix}_model"), st.session_state.get(f"{prefix}_alias")
    if before[0] and before[0] not in by_name:  # its last alias went (version deleted, alias removed) meanwhile
        st.warning(t("widgets.model_lost_aliases", model=plain(before[0])))
    left, right = st.columns(2)
    name = left.selectbox(t("widgets.registered_model"), list(by_name), key=f"{prefix}_model")
    aliases = sorted(by_name[name].aliases)
    if name == before[0] and before[1] and before[1] not in aliases:
        st.warning(t("widgets.alias_gone", model=plain(name), alias=plain(before[1])))
    default_alias = status.serving_alias(by_name[name])
    alias = right.selectbox(t("widgets.alias"), aliases, index=aliases.index(default_alias), key=f"{prefix}_alias")
    try:
        version = registry.resolve_alias(name, alias)
    except ValueError as exc:
        st.error(plain(error_message(exc)))
        st.stop()
    return name, alias, version
