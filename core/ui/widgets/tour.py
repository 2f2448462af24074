"""The guided tour's panel, drawn by the shell above every page: the offer to start (*show me* or *let me do it*) or
resume it on the home page and in the sidebar, and while a tour runs the box of the step it is at, on that step's
page. *Show me* performs each step and explains it; *let me do it* says which control of the page to use, waits
until the step's effect is in MLflow (the box is filled after the page ran, so it sees the person's click), then
explains it and moves on."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import streamlit as st

from core.lifecycle import tour
from core.question import projects
from core.registry import model_registry
from core.registry.governance import Actor
from core.ui import context
from core.ui.common import error_message
from core.ui.i18n import language, t
from core.ui.identity import auth_configured, current_actor
from core.ui.text import plain

if TYPE_CHECKING:
    from streamlit.navigation.page import StreamlitPage

ACTIVE = "tour_active"  # plain session key: this session follows a tour
MODE = "tour_mode"  # tour.SHOW or tour.DO
PROJECT = "tour_project"  # experiment id of the tour's own project
AT = "tour_at"  # the key of the step the tour is at
OUTCOMES = "tour_outcomes"  # step key -> tour.Outcome, what each step held when the tour reached it
PREVIOUS = "tour_previous_project"  # the person's project before the tour, selected again after a skip
FINISHED = "tour_finished"  # show the closing message once on the home page
SKIPPED = "tour_skipped"  # show the skip notice once
HOME = "home.py"
SEEN = "tour_seen"  # (step key, its outcome or None) as the last look at the store found it
HINTS = "tour_hints"  # (project id, the instructions' facts): read once per tour
AFTER_PAGE = "tour_after_page"  # the box to draw once the page has run (let me do it): it sees the page's click


def render_tour_panel(navigation: StreamlitPage, deferred: bool = False) -> None:
    """The tour's part of the page ``navigation`` (the page ``st.navigation`` selected) is about to run.

    ``deferred``: the caller runs the page and then ``after_page()``; a *let me do it* box is then drawn at the top
    but filled after the page ran, so that it sees what the person's click on the page just put into MLflow (it
    does not poll: a rerun every few seconds would close the select box the person has open)."""
    page = (getattr(navigation, "url_path", "") or "home") + ".py"
    state = st.session_state
    state.pop(AFTER_PAGE, None)
    if state.pop(SKIPPED, False):
        st.info(t("tour.skipped"))
    if state.get(ACTIVE) and state.get(AT) in tour.STEP_KEYS and state.get(PROJECT):
        _step_box(page, deferred)
    elif page == HOME:
        _offer()


def waits_for(key: str) -> bool:
    """Whether a *let me do it* tour waits for the person to do step ``key`` (a page whose action reruns only a
    fragment asks, to rerun the whole app so that the tour's box sees the action)."""
    state = st.session_state
    return bool(state.get(ACTIVE)) and state.get(MODE) == tour.DO and state.get(AT) == key


def after_page() -> None:
    """Fill the *let me do it* box the panel left at the top of the page, now that the page has run."""
    fill = st.session_state.pop(AFTER_PAGE, None)
    if fill is not None:
        fill()


def sidebar_launcher(where=st.sidebar) -> None:
    """Start the tour from any page, at any time: a small menu in the sidebar."""
    if st.session_state.get(ACTIVE):
        return
    with where.popover(t("tour.sidebar_label"), width="stretch"):
        st.caption(t("tour.sidebar_caption"))
        _start_buttons("sidebar")


def _start_buttons(where: str) -> None:
    left, right = st.columns(2)
    left.button(
        t("tour.start_show"),
        key=f"tour_start_show_{where}",
        type="primary",
        on_click=_begin,
        args=(tour.SHOW,),
        help=t("tour.start_show_help"),
        width="stretch",
    )
    right.button(
        t("tour.start_do"),
        key=f"tour_start_do_{where}",
        on_click=_begin,
        args=(tour.DO,),
        help=t("tour.start_do_help"),
        width="stretch",
    )


def _title(step: tour.Step) -> str:
    return t(f"tour.{step.key}.title")


def _actor() -> Actor:
    """Who moves @production in *show me*: the signed-in person when authentication is configured (the gate's
    approver list then applies to the tour too), else the tour itself."""

    if auth_configured():
        return current_actor()
    return Actor(tour.ACTOR)


def _hints(project_id: str) -> dict[str, object]:
    """What the *let me do it* instructions name: the handout's values and the names the pages will show (read
    once per tour and language)."""

    cached = st.session_state.get(HINTS)
    if cached and cached[0] == (project_id, language()):
        return cached[1]
    hints = _read_hints(project_id)
    st.session_state[HINTS] = ((project_id, language()), hints)
    return hints


def _read_hints(project_id: str) -> dict[str, object]:
    try:
        name = projects.get_project(project_id).name
    except projects.ProjectError:
        name = tour.TOUR_NAME
    return {
        "trees": tour.HANDOUT_PARAMS["n_estimators"],
        "depth": tour.HANDOUT_PARAMS["max_depth"],
        "trials": tour.SEARCH_TRIALS,
        "folds": tour.SEARCH_FOLDS,
        "model": model_registry.suggested_model_name(name),
        "alias": tour.ALIAS,
        "question": plain(projects.EXAMPLE_QUESTION),
        # the controls' own labels, so that the instructions always name what the page shows
        "save_question": t("question.save"),
        "use_data": t("data.use"),
        "tab_train": t("train.tab_train"),
        "train": t("train.train"),
        "tab_search": t("train.tab_search"),
        "start_search": t("train.start_search"),
        "choose_runs": t("compare.choose_runs"),
        "evaluate": t("compare.evaluate_button", count=2),
        "register_header": t("registry.register_header"),
        "register": t("registry.register_button"),
        "promote_header": t("registry.promote_header"),
        "predict": t("predict.predict"),
    }


def _begin(mode: str) -> None:
    """Start a new tour on its own project (a button callback: the page then opens on the first step)."""
    state = st.session_state
    try:
        project = tour.start(mode)
    except Exception as exc:  # noqa: BLE001 — one clear line; nothing was begun
        state["tour_error"] = t("tour.cannot_start", error=error_message(exc))
        return
    state[PREVIOUS] = context.project_id()
    state.update({ACTIVE: True, MODE: mode, PROJECT: project.experiment_id, AT: tour.STEPS[0].key, OUTCOMES: {}})
    context.set_project(project.experiment_id)
    state["tour_go"] = True  # _offer or _step_box performs the first step (show me) and opens its page


def _go_to(step: tour.Step) -> None:
    state = st.session_state
    state[AT] = step.key
    context.set_project(state[PROJECT])  # every page shows the tour's project while the tour walks through it
    st.switch_page(f"pages/{step.page}")


def _advance(step: tour.Step) -> None:
    """*Show me*: perform ``step`` (the first one the store lacks), then open the page it pauses on."""
    state = st.session_state
    with st.spinner(t(f"tour.{step.key}.working", trials=tour.SEARCH_TRIALS, folds=tour.SEARCH_FOLDS)):
        try:
            outcome = tour.run_next(state[PROJECT], _actor())
        except Exception as exc:  # noqa: BLE001 — one clear line; the store keeps what was done, so it resumes
            st.error(t("tour.failed", title=_title(step), error=plain(error_message(exc))))
            return
    if outcome is None:  # every step is in the store already (someone finished it meanwhile)
        _finish()
        return
    state.setdefault(OUTCOMES, {})[outcome.key] = outcome
    _go_to(outcome.step)


def _start_pending() -> None:
    """After a start or resume button: *show me* does its step now, *let me do it* opens the step's page."""
    state = st.session_state
    if not state.pop("tour_go", False):
        return
    step = tour.step(state[AT])
    if state[MODE] == tour.SHOW:
        _advance(step)
    else:
        _go_to(step)


def _finish() -> None:
    state = st.session_state
    for key in (ACTIVE, AT, OUTCOMES, MODE, PREVIOUS):
        state.pop(key, None)
    state[FINISHED] = True
    st.switch_page(f"pages/{HOME}")


def _skip() -> None:
    state = st.session_state
    project_id, previous = state.get(PROJECT), state.get(PREVIOUS)
    for key in (ACTIVE, AT, OUTCOMES, MODE, PREVIOUS):
        state.pop(key, None)
    state[SKIPPED] = True
    if previous:
        context.set_project(previous)  # back to the person's own work
    # the mark only changes how the home page words its offer: skipping must work even if the store fails
    with contextlib.suppress(Exception):
        tour.skip(project_id)


def _resume(survey: tour.Survey) -> None:
    state = st.session_state
    with contextlib.suppress(Exception):
        tour.resume(survey.project.experiment_id)
    state[PREVIOUS] = context.project_id()
    following = survey.next_step
    state.update(
        {ACTIVE: True, MODE: survey.mode, PROJECT: survey.project.experiment_id, AT: following.key, OUTCOMES: {}}
    )
    context.set_project(survey.project.experiment_id)
    state["tour_go"] = True


def _offer() -> None:
    """On the home page: start a tour (from any state of the store), or resume the newest unfinished one."""
    state = st.session_state
    if state.pop(FINISHED, False):
        st.success(t("tour.finished"))
    if error := state.pop("tour_error", None):
        st.error(plain(error))
    try:
        survey = tour.resumable()
    except Exception:  # noqa: BLE001 — the home page itself says when the store cannot be read
        return
    with st.container(border=True, key="tour_offer"):
        if survey is not None:
            total = len(tour.STEPS)
            following = survey.next_step
            st.markdown(
                t(
                    "tour.resume_intro",
                    project=plain(survey.project.name),
                    number=following.number,
                    total=total,
                    title=_title(following),
                    mode=t(f"tour.mode_{survey.mode}"),
                )
            )
            st.button(
                t("tour.resume"),
                key="tour_resume",
                type="primary" if survey.state == tour.STARTED else "secondary",
                on_click=_resume,
                args=(survey,),
            )
            st.caption(t("tour.or_new"))
        else:
            st.markdown(t("tour.intro", trials=tour.SEARCH_TRIALS))
        _start_buttons("home")


def _step_box(page: str, deferred: bool = False) -> None:
    """The box of the step the tour is at, on its page; elsewhere a short line leading back to it."""
    state = st.session_state
    _start_pending()
    if state.get(MODE) == tour.DO:
        _pending()
    step = tour.step(state[AT])
    total = len(tour.STEPS)
    if page != step.page:
        with st.container(border=True, key="tour_paused"):
            st.caption(t("tour.paused", number=step.number, total=total, title=_title(step)))
            st.page_link(f"pages/{step.page}", label=t("tour.back"), icon="🧭")
        return
    if state.get(MODE) == tour.DO:
        with st.container(key="tour_box"):
            slot = st.empty()
        if not deferred:
            with slot.container():
                _do_box(step.key)
            return
        with slot.container():  # shown if the page stops early; replaced once it has run
            _do_box(step.key, "_before")

        def fill() -> None:
            with slot.container():
                _do_box(step.key)

        state[AFTER_PAGE] = fill
        return
    outcome = state.get(OUTCOMES, {}).get(step.key) or _outcome(step)
    with st.container(border=True, key="tour_box"):
        st.markdown(f"#### {t('tour.box_title', number=step.number, total=total, title=_title(step))}")
        if outcome is not None:
            _explain(outcome)
        _buttons(step, lambda following: _advance(following))


def _outcome(step: tour.Step) -> tour.Outcome | None:
    try:
        return tour.outcome(st.session_state[PROJECT], step.key)
    except Exception:  # noqa: BLE001 — a store that does not answer: the step is simply not seen as done yet
        return None


def _explain(outcome: tour.Outcome) -> None:
    facts = outcome.facts
    st.markdown(t(f"tour.{outcome.key}.done", **facts))
    for note in outcome.notes:
        st.markdown(t(note, **facts))
    st.caption(t("tour.where", path=outcome.mlflow_path))
    if not outcome.performed and st.session_state.get(MODE) == tour.SHOW:
        st.caption(t("tour.reused"))


def _buttons(step: tour.Step, advance) -> None:
    total = len(tour.STEPS)
    following = tour.STEPS[step.number] if step.number < total else None
    left, right = st.columns([3, 1])
    if following is not None:
        if left.button(t("tour.next", title=_title(following)), key="tour_next", type="primary"):
            advance(following)
    elif left.button(t("tour.finish"), key="tour_finish", type="primary"):
        _finish()
    right.button(t("tour.skip"), key="tour_skip", on_click=_skip)


def _chosen(action: str) -> None:
    """A *let me do it* button: what to do is done by the panel before the next page run (``_pending``), so that
    a click counts even when the page stops early and its box is not drawn again."""
    st.session_state["tour_pending"] = action


def _pending() -> None:
    state = st.session_state
    action = state.pop("tour_pending", None)
    if action is None or not state.get(ACTIVE):
        return
    step = tour.step(state[AT])
    if action == "do":
        _do_for_me(step)
    elif action == "next" and step.number < len(tour.STEPS):
        _go_to(tour.STEPS[step.number])
    elif action == "finish":
        _finish()


def _do_box(key: str, suffix: str = "") -> None:
    """*Let me do it*: which control to use; once its effect is in the store, what landed in MLflow and Next.
    ``suffix`` tells the widget keys of a first draw, replaced after the page ran, from the final one: the first
    draw shows what the last look at the store found (it reads nothing), the final one looks again."""
    state = st.session_state
    if not state.get(ACTIVE) or state.get(AT) != key:
        return
    step = tour.step(key)
    if suffix:
        seen = state.get(SEEN)
        outcome = seen[1] if seen and seen[0] == key else None
    else:
        outcome = _outcome(step)
        state[SEEN] = (key, outcome)
    with st.container(border=True):
        total = len(tour.STEPS)
        st.markdown(f"#### {t('tour.box_title', number=step.number, total=total, title=_title(step))}")
        if outcome is None:
            st.markdown(t(f"tour.{key}.do", **_hints(state[PROJECT])))
            st.caption(t("tour.waiting"))
            left, right = st.columns([3, 1])
            left.button(t("tour.do_for_me"), key=f"tour_do_for_me{suffix}", on_click=_chosen, args=("do",))
            right.button(t("tour.skip"), key=f"tour_skip{suffix}", on_click=_skip)
            return
        st.success(t("tour.you_did_it"))
        _explain(outcome)
        following = tour.STEPS[step.number] if step.number < total else None
        left, right = st.columns([3, 1])
        if following is not None:
            label, action = t("tour.next", title=_title(following)), "next"
        else:
            label, action = t("tour.finish"), "finish"
        left.button(label, key=f"tour_{action}{suffix}", type="primary", on_click=_chosen, args=(action,))
        right.button(t("tour.skip"), key=f"tour_skip{suffix}", on_click=_skip)


def _do_for_me(step: tour.Step) -> None:
    """A person stuck on a step of *let me do it* can have it done, as *show me* would."""
    with st.spinner(t(f"tour.{step.key}.working", trials=tour.SEARCH_TRIALS, folds=tour.SEARCH_FOLDS)):
        try:
            tour.run_step(st.session_state[PROJECT], step.key, _actor())
        except Exception as exc:  # noqa: BLE001 — one clear line; the person can still do it by hand
            st.error(t("tour.failed", title=_title(step), error=plain(error_message(exc))))
            return
    st.rerun(scope="app")
