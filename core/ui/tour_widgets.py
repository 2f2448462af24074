"""The guided tour's panel, drawn by the shell above every page: the offer to start or resume it on the home page,
and while a tour runs the box of the step it paused on, with Next step and Skip."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import streamlit as st

from core import projects, tour
from core.governance import Actor
from core.ui import keys
from core.ui.common import error_message, plain
from core.ui.i18n import t

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

ACTIVE = "tour_active"  # plain session key: this session follows the tour
AT = "tour_at"  # the key of the step the tour paused at
OUTCOMES = "tour_outcomes"  # step key -> tour.Outcome, what each step held when the tour reached it
FINISHED = "tour_finished"  # show the closing message once on the home page
SKIPPED = "tour_skipped"  # show the skip notice once
HOME = "home.py"
# facts shown inside code spans in the catalogue texts (ids, URIs, paths): a backtick would end the span early
CODE_FACTS = {"experiment_id", "run_id", "digest", "model", "uri", "path", "log_path", "alias"}


def render_tour_panel(navigation: StreamlitPage) -> None:
    """The tour's part of the page ``navigation`` (the page ``st.navigation`` selected) is about to run."""
    page = (getattr(navigation, "url_path", "") or "home") + ".py"
    state = st.session_state
    if state.pop(SKIPPED, False):
        st.info(t("tour.skipped"))
    if state.get(ACTIVE) and state.get(AT) in tour.STEP_KEYS:
        _step_box(page)
    elif page == HOME:
        _offer()


def _safe(facts: dict[str, str]) -> dict[str, str]:
    return {k: (str(v).replace("`", "'") if k in CODE_FACTS else plain(v)) for k, v in facts.items()}


def _title(step: tour.Step) -> str:
    return t(f"tour.{step.key}.title")


def _actor() -> Actor:
    """Who moves @production: the signed-in person when authentication is configured (the gate's approver list
    then applies to the tour too), else the tour itself."""
    from core.ui.identity import auth_configured, current_actor

    if auth_configured():
        return current_actor()
    return Actor(tour.ACTOR)


def _advance(step: tour.Step) -> None:
    """Perform ``step`` (the first one the store lacks), then open the page it pauses on; an error is one line."""
    state = st.session_state
    with st.spinner(t(f"tour.{step.key}.working", trials=tour.SEARCH_TRIALS, folds=tour.SEARCH_FOLDS)):
        try:
            outcome = tour.run_next(_actor())
        except Exception as exc:  # noqa: BLE001 — one clear line; the store keeps what was done, so it resumes
            st.error(t("tour.failed", title=_title(step), error=plain(error_message(exc))))
            return
    if outcome is None:  # someone finished it meanwhile (another session): nothing left to do
        _finish()
        return
    state[ACTIVE] = True
    state[AT] = outcome.key
    state.setdefault(OUTCOMES, {})[outcome.key] = outcome
    project = projects.find_project(projects.EXAMPLE_NAME)
    if project is not None:  # every page shows the example while the tour walks through it
        state[keys.PROJECT_ID] = project.experiment_id
    st.switch_page(f"pages/{outcome.step.page}")


def _finish() -> None:
    state = st.session_state
    for key in (ACTIVE, AT, OUTCOMES):
        state.pop(key, None)
    state[FINISHED] = True
    st.switch_page(f"pages/{HOME}")


def _skip() -> None:
    state = st.session_state
    for key in (ACTIVE, AT, OUTCOMES):
        state.pop(key, None)
    state[SKIPPED] = True
    # the mark only changes how the home page words its offer: skipping must work even if the store fails
    with contextlib.suppress(Exception):
        tour.skip()


def _offer() -> None:
    """On the home page: start the tour on an empty store, or resume one that was begun and not finished."""
    state = st.session_state
    if state.pop(FINISHED, False):
        st.success(t("tour.finished"))
    try:
        survey = tour.offer()
    except Exception:  # noqa: BLE001 — the home page itself says when the store cannot be read
        return
    if survey is None:
        return
    following = survey.next_step
    with st.container(border=True, key="tour_offer"):
        if survey.store_empty:
            st.markdown(t("tour.intro"))
            clicked = st.button(t("tour.start"), key="tour_start", type="primary")
        else:
            total = len(tour.STEPS)
            st.markdown(t("tour.resume_intro", number=following.number, total=total, title=_title(following)))
            kind = "secondary" if survey.state == tour.SKIPPED else "primary"
            clicked = st.button(t("tour.resume"), key="tour_resume", type=kind)
        if clicked:
            _advance(following or tour.STEPS[0])


def _step_box(page: str) -> None:
    """The box of the step the tour paused at, on its page; elsewhere a short line leading back to it."""
    state = st.session_state
    step = tour.step(state[AT])
    total = len(tour.STEPS)
    if page != step.page:
        with st.container(border=True, key="tour_paused"):
            st.caption(t("tour.paused", number=step.number, total=total, title=_title(step)))
            st.page_link(f"pages/{step.page}", label=t("tour.back"), icon="🧭")
        return
    outcome = state.get(OUTCOMES, {}).get(step.key)
    with st.container(border=True, key="tour_box"):
        st.markdown(f"#### {t('tour.box_title', number=step.number, total=total, title=_title(step))}")
        if outcome is not None:
            facts = _safe(outcome.facts)
            st.markdown(t(f"tour.{step.key}.done", **facts))
            for note in outcome.notes:
                st.markdown(t(note, **facts))
            st.caption(t("tour.where", path=outcome.mlflow_path.replace("`", "'")))
            if not outcome.performed:
                st.caption(t("tour.reused"))
        following = tour.STEPS[step.number] if step.number < total else None
        left, right = st.columns([3, 1])
        if following is not None:
            if left.button(t("tour.next", title=_title(following)), key="tour_next", type="primary"):
                _advance(following)
        elif left.button(t("tour.finish"), key="tour_finish", type="primary"):
            _finish()
        right.button(t("tour.skip"), key="tour_skip", on_click=_skip)
