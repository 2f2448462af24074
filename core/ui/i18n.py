"""The UI's language: picked in the sidebar, remembered in the session and in the address (``?lang=de``), with
the browser's language as the default; ``t(key)`` is the text of a catalogue key in that language."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.common import i18n
from core.ui.text import Markdown, fill

LANGUAGE_KEY = "ui_language"  # plain session key: the chosen language
_PICKER_KEY = "ui_language_picker"
_PARAM = "lang"
_CHOSEN_KEY = "ui_language_chosen"  # the person picked the language (it then goes into the address)


_last_seen = [i18n.DEFAULT_LANGUAGE]


def language() -> str:
    """The session's language: its choice, else ``?lang=``, else the browser's locale, else English."""

    if get_script_run_ctx(suppress_warning=True) is None:
        # outside a script run (AppTest formats options in the test's thread) the session is unknown: the
        # language last seen is the best answer; a real server formats options only inside the run
        return _last_seen[0]
    chosen = st.session_state.get(LANGUAGE_KEY)
    if chosen in i18n.LANGUAGES:
        _last_seen[0] = chosen
        return chosen
    from_address = st.query_params.get(_PARAM)
    if from_address in i18n.LANGUAGES:
        chosen = from_address
        st.session_state[_CHOSEN_KEY] = True
    else:
        try:
            chosen = i18n.language_for_locale(st.context.locale)
        except Exception:  # noqa: BLE001 — no browser context (AppTest, bare mode)
            chosen = i18n.DEFAULT_LANGUAGE
    st.session_state[LANGUAGE_KEY] = chosen
    _last_seen[0] = chosen
    return chosen


def t(key: str, /, **values: object) -> Markdown:
    """The text for ``key`` in the session's language, its fields escaped for Streamlit's markdown (core.ui.text):
    pass text of the UI's own markdown as a ``Markdown``."""
    chosen = language()
    return fill(i18n.template(key, chosen), chosen, values)


def labeller(labels: dict[str, str]) -> Callable[[str], str]:
    """A ``format_func`` for options whose labels are catalogue keys (``labels``: option -> key), bound to this
    run's language: Streamlit's test harness calls it again outside the script run, where no session is read."""
    chosen = language()
    return lambda option: i18n.translate(labels[option], chosen)


def _language_of_run() -> str:
    """Core's messages: the session's language inside a script run; English elsewhere (search threads write
    their messages into the store, which stays English)."""

    return language() if get_script_run_ctx(suppress_warning=True) is not None else i18n.DEFAULT_LANGUAGE


def install() -> None:
    """Let core's messages follow the session's language, and keep the choice in the address across pages."""
    i18n.set_language_resolver(_language_of_run)
    current = language()
    # only a choice made here goes into the address (a page switch drops it: put it back); the browser's own
    # language needs no parameter, and writing one on a deep link's first request would reroute it
    if st.session_state.get(_CHOSEN_KEY) and st.query_params.get(_PARAM) != current:
        st.query_params[_PARAM] = current  # survives a reload and a shared link


def _picked() -> None:
    choice = st.session_state[_PICKER_KEY] or language()  # clicking the selected option deselects it: keep it
    st.session_state[LANGUAGE_KEY] = choice
    st.session_state[_CHOSEN_KEY] = True
    st.query_params[_PARAM] = choice


def language_picker(where=st.sidebar) -> None:
    """English / Deutsch, switched at once on every page."""
    st.session_state[_PICKER_KEY] = language()
    where.segmented_control(
        "🌐",
        list(i18n.LANGUAGES),
        format_func=i18n.LANGUAGES.get,
        key=_PICKER_KEY,
        on_change=_picked,
        label_visibility="collapsed",
        selection_mode="single",
    )
