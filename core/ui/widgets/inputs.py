"""Shared input widgets built from core descriptions."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import streamlit as st

from core.codegen import export
from core.common.errors import describe
from core.lifecycle import status
from core.registry import governance, model_registry
from core.serve.predict import InputSpec
from core.train.algorithms import Param, choice_text
from core.ui import cache, context
from core.ui.common import stop_on_error
from core.ui.i18n import t
from core.ui.text import plain

if TYPE_CHECKING:
    from core.registry.model_registry import VersionInfo

T = TypeVar("T")


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


def feature_input(feature: str, spec: InputSpec, key: str, values: dict[str, object]) -> object:
    """One model input, reading and writing ``values[feature]`` (a plain session dict, so the inputs survive
    leaving the page): a select box of the training categories, or a slider over the training range with a
    number box beside it to type any value (one outside the range is an extrapolation, said with the result)."""
    state = st.session_state
    label = plain(feature)  # column names are data: shown literally, never as markdown
    current = values.setdefault(feature, spec.default)

    def keep(widget_key: str) -> None:
        values[feature] = state[widget_key]

    if spec.kind == "choice":
        state[key] = current if current in spec.options else spec.default
        st.selectbox(label, spec.options, key=key, on_change=keep, args=(key,))
        return values[feature]
    if spec.kind == "free" or spec.low == spec.high:
        state[key] = current
        st.number_input(label, step=spec.step, key=key, on_change=keep, args=(key,))
        return values[feature]
    if isinstance(current, int | float):  # a slider refuses a value of the other numeric type
        current = values[feature] = int(current) if spec.integer else float(current)
    box = f"{key}_box"
    state[key] = spec.clamp(current)
    state[box] = current
    number_format = "%d" if spec.integer else f"%.{spec.decimals}f"
    slider_column, box_column = st.columns([3, 1], vertical_alignment="bottom")
    # "localized": the browser writes the slider's numbers with its own decimal sign (a year keeps no separator)
    slider_column.slider(
        label,
        spec.low,
        spec.high,
        step=spec.step,
        format=number_format if spec.integer else "localized",
        key=key,
        on_change=keep,
        args=(key,),
    )
    box_column.number_input(
        label,
        step=spec.step,
        format=number_format,
        key=box,
        on_change=keep,
        args=(box,),
        label_visibility="collapsed",
        help=t("widgets.type_a_value"),
    )
    return values[feature]


def export_button(run_id: str, key: str) -> None:
    """Download a run as a standalone Python script; the script is written only when clicked."""

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
    """Pick a registered model and one of its aliases and resolve it to its version. Opens on the lifecycle
    context's model (core.ui.context): the one in focus, else the selected project's newest model with an alias,
    and says so when the project has none of its own (other models stay selectable: models registered by other
    code work here too). Writes the choice back to the context, so the next page shows the same model and alias.
    Says what to do and stops the page when no model has an alias or the alias cannot be resolved.

    Returns (name, alias, version). Widget keys: ``<prefix>_model`` and ``<prefix>_alias``."""

    models = [m for m in model_registry.list_models() if m.aliases]
    if not models:
        st.info(t("widgets.no_alias"))
        st.page_link("pages/registry.py", label=t("widgets.go_to_registry"), icon="🏷️")
        st.stop()
    project = context.current_project()
    own_models = cache.project_models(project.experiment_id) if project else []
    own = [m.name for m in own_models]
    by_name = {m.name: m for m in models}
    ordered = [n for n in own if n in by_name] + [n for n in by_name if n not in own]
    focused = context.focused()
    if focused.get("alias") and focused["model"] not in by_name:  # it was served here, and its last alias went
        st.warning(t("widgets.model_lost_aliases", model=plain(focused["model"])))
    name = context.model_in_focus(ordered, own)
    stand_in = name is None  # shown for want of the project's own: not put in focus unless the person picks it
    if stand_in:
        name = ordered[0]
        if project is not None:
            without = [m.name for m in own_models if not m.aliases]
            if without:
                st.info(t("widgets.project_model_no_alias", project=plain(project.name), model=plain(without[0])))
            else:
                st.info(t("widgets.project_has_no_model", project=plain(project.name)))
            st.page_link("pages/registry.py", label=t("widgets.go_to_registry"), icon="🏷️")
    other = t("widgets.other_project")
    labels = {n: n if n in own else f"{n} · {other}" for n in ordered}
    model_key, alias_key = f"{prefix}_model", f"{prefix}_alias"
    state = st.session_state
    state[model_key] = name  # the widget mirrors the context; a person's pick goes back through on_change
    left, right = st.columns(2)
    left.selectbox(
        t("widgets.registered_model"),
        ordered,
        format_func=labels.get,
        key=model_key,
        on_change=lambda: context.focus_model(state[model_key]),
    )
    aliases = sorted(by_name[name].aliases)
    if focused.get("model") == name and focused.get("alias") and focused["alias"] not in aliases:
        # "no longer exists" only for an alias the model had (a link can name one it never had)
        had = any(e.alias == focused["alias"] for e in governance.history(name))
        key = "widgets.alias_gone" if had else "widgets.alias_unknown"
        st.warning(t(key, model=plain(name), alias=plain(focused["alias"])))
    alias = context.alias_in_focus(name, aliases, status.serving_alias(by_name[name]))
    state[alias_key] = alias
    right.selectbox(
        t("widgets.alias"),
        aliases,
        key=alias_key,
        on_change=lambda: context.focus_model(name, state[alias_key]),
    )
    if not stand_in:
        context.focus_model(name, alias)
    with stop_on_error():
        version = model_registry.resolve_alias(name, alias)
    return name, alias, version


def open_served(
    prefix: str,
    load: Callable[[str, str], T],
    caption: str,
    fields: Callable[[T], dict],
    tail: Callable[[T], str] = lambda _: "",
) -> tuple[str, str, VersionInfo, T]:
    """The shared opening of Predict and Monitor: the model and alias picked (``served_alias_picker``), what the
    page needs of that version loaded (``load(name, version)``; its error ends the page with a message), and the
    caption ``caption`` saying which version answers (name, alias, version, run_id and the page's own ``fields``, then
    ``tail``'s words).

    Returns (name, alias, version, loaded)."""
    name, alias, version = served_alias_picker(prefix)
    with stop_on_error():
        loaded = load(name, version.version)
    said = t(caption, name=name, alias=alias, version=version.version, run_id=version.run_id, **fields(loaded))
    st.caption(said + tail(loaded))
    return name, alias, version, loaded
