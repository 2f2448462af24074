"""Registry-page blocks: promotion through the gate (with the candidate against the current holder), removal,
the audit timeline with rollback, and which aliases are protected."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st

from core.codegen.snippets import registry as snippets
from core.common.i18n import number, significant, when
from core.registry import governance, model_card, model_registry
from core.registry.governance import Actor
from core.ui import cache, context
from core.ui.actions import run_action, show_outcome
from core.ui.charts import compare as compare_charts
from core.ui.charts import registry as registry_charts
from core.ui.common import error_message, guarded_button, inert_chart, show_code, show_table
from core.ui.i18n import t
from core.ui.text import plain
from core.ui.widgets import requests as requests_widgets

OTHER = "other…"  # the option's value (the label is translated)


def _alias_choice(aliases: dict[str, str]) -> str:
    choices = list(dict.fromkeys([*model_registry.STANDARD_ALIASES, *sorted(aliases), OTHER]))
    other = t("registry.other_alias")  # computed here: format_func may be called outside the script run
    if (
        st.selectbox(
            t("registry.alias"),
            choices,
            format_func=lambda a: other if a == OTHER else a,
            key="registry_alias",
        )
        == OTHER
    ):
        st.text_input(t("registry.alias_name"), key="registry_alias_custom", placeholder=t("registry.alias_example"))
    return _chosen_alias()


def _chosen_alias() -> str:
    state = st.session_state
    alias = state.get("registry_alias", "")
    return state.get("registry_alias_custom", "").strip() if alias == OTHER else alias


def _promote(name: str, actor: Actor, seen: dict[str, str]) -> str:
    """Move the chosen alias (read at click time) from the holder the page showed (``seen``) to the version."""
    state = st.session_state
    alias, version = _chosen_alias(), state["registry_version"]
    holder = seen.get(alias)
    entry = governance.move_alias(
        name,
        alias,
        version,
        actor,
        reason=state.get("registry_reason", ""),
        override=state.get("registry_override", False),
        expected_from=holder,
    )
    state["registry_reason"] = ""
    state["registry_override"] = False
    cache.forget_models()
    context.focus_model(name, alias)  # Predict and Monitor open on the alias just moved
    moved = t("registry.moved_from", version=entry.from_version) if entry.from_version else ""
    return t("registry.alias_set", alias=alias, version=version, moved=moved)


def _comparison(
    version_runs: dict[str, str | None], version: str, holder: str, metric: str, where: str = "registry"
) -> None:
    """The candidate ``version`` against ``holder``: metrics, both paired tests, confusion matrices (their widget
    keys start with ``where``, as the promotion form and the version diff may show the same pair)."""
    candidate_run, current_run = version_runs.get(version), version_runs.get(holder)
    if not candidate_run or not current_run:
        st.caption(t("registry.no_comparison"))
        return
    found = cache.promotion_comparison(candidate_run, current_run, metric)
    frame = found.metrics.rename(
        columns={
            "candidate": t("registry.col_candidate", version=version),
            "current": t("registry.col_current", version=holder),
        }
    )
    show_table(frame.round(4), hide_index=True, width="stretch")
    for said, what in ((found.held_out, t("registry.held_out_rows")), (found.folds, t("registry.cv_folds"))):
        text = said if isinstance(said, str) else said.shown
        st.caption(f"**{what}:** {plain(text)}")
    pair = ((f"v{version}", found.candidate), (f"v{holder}", found.current))
    for column, (label, ev) in zip(st.columns(2), pair, strict=True):
        if ev is not None:
            inert_chart(
                column,
                compare_charts.confusion_heatmap(ev.labels, ev.confusion, title=label),
                key=f"{where}_cm_{label}",
            )


def promotion_form(name: str, versions: list[dict], aliases: dict[str, str], actor: Actor, metric: str) -> None:
    """Assign or move an alias: the gate's decision, the candidate against the current holder, then confirm."""
    st.markdown(f"**{t('registry.promote_header')}**")
    alias = _alias_choice(aliases)
    version = st.selectbox(t("registry.version"), [v["version"] for v in versions], key="registry_version")
    if not alias or version is None:
        return
    try:
        decision = governance.check_gate(name, alias, version, actor)
    except model_registry.RegistryError as exc:
        st.error(plain(str(exc)))
        return
    holder = aliases.get(alias)
    (st.success if decision.allowed else st.warning)(plain(decision.message))
    if holder and holder != version:
        with st.expander(
            t("registry.against_holder", version=version, holder=holder, alias=alias), expanded=decision.protected
        ):
            _comparison({v["version"]: v["run"] or None for v in versions}, version, holder, metric)
    if decision.request_instead:  # the gate does not let this person move it: they ask, approvers decide
        requests_widgets.ask_form(name, alias, str(version), decision, actor)
        show_code(snippets.set_alias(name, alias, version))
        return
    needs_override = decision.approver_ok and not decision.verdict_ok
    if needs_override:
        st.checkbox(t("registry.override"), key="registry_override")
    st.text_input(
        t("registry.reason_required") if needs_override else t("registry.reason_optional"),
        key="registry_reason",
        max_chars=governance.MAX_REASON,
    )
    blocked = (
        t("registry.who_first")
        if not actor.name
        else decision.message
        if not decision.approver_ok
        else t("registry.tick_override")
        if needs_override and not st.session_state.get("registry_override")
        else None
    )
    guarded_button(
        t("registry.set_alias_button", alias=alias, version=version),
        type="primary",
        key="registry_set_alias",
        blocked=t("registry.already_there", alias=alias, version=version) if holder == version else blocked,
        on_click=run_action,
        args=(lambda: _promote(name, actor, dict(aliases)), "alias"),
    )
    show_outcome(slot="alias")
    show_code(snippets.set_alias(name, alias, version))


def _audited_button(
    label: str, key: str, actor: Actor, action: Callable[[], str], slot: str, outcome: bool = True
) -> None:
    """A button for an audited registry action, pressable once the person said who they are; its outcome below
    (``outcome`` False: the caller shows it, e.g. outside an expander whose label the action changes)."""
    blocked = None if actor.name else t("registry.who_first")
    guarded_button(label, key=key, blocked=blocked, on_click=run_action, args=(action, slot))
    if outcome:
        show_outcome(slot=slot)


def remove_form(name: str, aliases: dict[str, str], actor: Actor) -> None:
    st.markdown(f"**{t('registry.remove_header')}**")
    if not aliases:
        st.caption(t("registry.no_aliases"))
        return
    chosen = st.selectbox(t("registry.alias_to_remove"), sorted(aliases), key="registry_remove_alias")
    st.text_input(t("registry.reason"), key="registry_remove_reason", max_chars=governance.MAX_REASON)

    def remove() -> str:
        alias = st.session_state["registry_remove_alias"]
        reason = st.session_state.get("registry_remove_reason", "")
        governance.remove_alias(name, alias, actor, reason, expected_from=aliases.get(alias))
        return t("registry.alias_removed", alias=alias, version=aliases[alias])

    _audited_button(t("registry.remove_button"), "registry_remove", actor, remove, "remove")
    if chosen:
        show_code(snippets.remove_alias(name, chosen))


def _rollback_blocked(
    entry: governance.AuditEntry, existing: set[str], actor: Actor, rule: governance.Rule | None
) -> str | None:
    """Why a rollback of ``entry`` cannot be pressed: the version it restores is gone, the alias moves only through
    requests, or nobody said who they are."""
    if entry.from_version and entry.from_version not in existing:
        return t("registry.rollback_deleted", version=entry.from_version)
    if rule is not None and rule.approvals > 0:
        back = f"v{entry.from_version}" if entry.from_version else t("registry.rollback_to_nothing")
        return t("governance.rollback_needs_request", alias=entry.alias, count=rule.approvals, back=back)
    return None if actor.name else t("registry.who_first")


def version_history(name: str, versions: list[dict], kpis) -> None:
    """Every evaluated version's held-out scores over time with the alias moves marked; a word while none is."""
    figure = registry_charts.model_history(versions, governance.history(name), kpis)
    if figure is None:
        st.caption(t("registry.history_none"))
        return
    inert_chart(st, figure, key="registry_history_chart")
    waiting = [f"v{v['version']}" for v in versions if v.get("test_accuracy") is None]
    if waiting:
        st.caption(t("registry.history_not_evaluated", versions=", ".join(waiting)))


def version_diff_section(name: str, versions: list[dict], aliases: dict[str, str], metric: str) -> None:
    """Any two versions side by side (default: the one @production serves, or the oldest, against the newest):
    data, recipe, code, results and the held-out rows one gets right and the other wrong."""
    numbers = [str(v["version"]) for v in versions]  # newest first
    if len(numbers) < 2:
        return
    with st.expander(t("registry.diff_header"), icon=":material/difference:"):
        served = aliases.get("production") if aliases.get("production") in numbers else numbers[-1]
        newest = next((n for n in numbers if n != served), numbers[0])
        left, right = st.columns(2)
        a = left.selectbox(t("registry.diff_a"), numbers, index=numbers.index(served), key="registry_diff_a")
        b = right.selectbox(t("registry.diff_b"), numbers, index=numbers.index(newest), key="registry_diff_b")
        if a == b:
            st.caption(t("registry.diff_same"))
            return
        try:
            diff = cache.version_diff(name, a, b, metric)
        except ValueError as exc:
            st.error(plain(error_message(exc)))
            return
        va, vb = f"v{a}", f"v{b}"
        named = {"a": va, "b": vb}
        st.markdown(f"**{t('registry.diff_data')}**")
        facts = diff.data.assign(
            aspect=diff.data["aspect"].map(lambda k: t(f"registry.diff_fact_{k.replace(' ', '_').replace('-', '_')}")),
            a=diff.data["a"].map(_cell),
            b=diff.data["b"].map(_cell),
        )
        show_table(facts.rename(columns=named | {"aspect": t("registry.diff_aspect")}), hide_index=True)
        if diff.columns_added or diff.columns_dropped:
            st.caption(
                plain(
                    t(
                        "registry.diff_columns",
                        added=", ".join(diff.columns_added) or "—",
                        dropped=", ".join(diff.columns_dropped) or "—",
                        a=va,
                        b=vb,
                    )
                )
            )
        if diff.same_data:
            st.caption(t("registry.diff_same_data"))
        else:
            st.caption(t("registry.diff_shift_caption", a=va, b=vb))
            shift = diff.shift.assign(
                a=diff.shift["a"].map(_cell),
                b=diff.shift["b"].map(_cell),
                kind=diff.shift["kind"].map(lambda k: t(f"registry.diff_kind_{k}")),
                verdict=diff.shift["verdict"].map(lambda v: t(f"registry.diff_shift_{v}")),
            )
            headers = {c: t(f"registry.diff_col_{c}") for c in ("feature", "kind", "statistic", "verdict")}
            show_table(shift.rename(columns=named | headers), hide_index=True, width="stretch")
        st.markdown(f"**{t('registry.diff_recipe')}**")
        if diff.recipe.empty:
            st.caption(t("registry.diff_recipe_same"))
        else:
            show_table(diff.recipe.rename(columns=named | {"setting": t("registry.diff_col_setting")}), hide_index=True)
        st.markdown(f"**{t('registry.diff_code')}**")
        if diff.code.empty:
            st.caption(t("registry.diff_code_same"))
        else:
            show_table(diff.code.rename(columns=named | {"what": t("registry.diff_col_what")}), hide_index=True)
        st.markdown(f"**{t('registry.diff_results')}**")
        _comparison({b: diff.b.run_id, a: diff.a.run_id}, b, a, metric, where="registry_diff")
        st.markdown(f"**{t('registry.diff_rows')}**")
        rows = diff.disagreements
        if isinstance(rows, str):
            st.caption(plain(rows))
        elif rows.empty:
            st.caption(t("registry.diff_rows_none"))
        else:
            st.caption(t("registry.diff_rows_caption", count=len(rows), a=va, b=vb))
            renamed = {
                "a predicts": t("registry.diff_predicts", version=va),
                "b predicts": t("registry.diff_predicts", version=vb),
            }
            shown = rows.assign(right=rows["right"].map(named)).rename(columns=renamed)
            show_table(shown, hide_index=True, width="stretch")


def _cell(value: object) -> str:
    """A value of a side-by-side column as the reader writes it: numbers and text may share a column."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, int):
        return number(value)
    return significant(float(value), 4) if isinstance(value, float) else str(value)


def audit_timeline(name: str, actor: Actor, versions: list[dict]) -> None:
    """The model's alias changes and its project's KPI changes, newest first, with a one-click rollback per alias."""
    trail = governance.trail(name)
    st.subheader(t("registry.audit_header"))
    if not trail:
        st.caption(t("registry.no_audit"))
        return
    rollbacks = {}
    for entry in trail:
        if entry.alias not in rollbacks and entry.applied and entry.action in governance.MOVES:
            rollbacks[entry.alias] = entry
    existing = {str(v["version"]) for v in versions}  # the page's versions table: no second listing per rerun
    rules = governance.approval_rules(name) if rollbacks else {}
    columns = st.columns(max(len(rollbacks), 1))
    for column, (alias, entry) in zip(columns, rollbacks.items(), strict=False):
        back = f"v{entry.from_version}" if entry.from_version else t("registry.rollback_to_nothing")
        guarded_button(
            t("registry.rollback_button", alias=alias, back=back),
            where=column,
            key=f"registry_rollback_{alias}",
            blocked=_rollback_blocked(entry, existing, actor, rules.get(alias)),
            on_click=run_action,
            args=(lambda a=alias: _rollback(name, a, actor), "rollback"),
        )
    show_outcome(slot="rollback")
    frame = pd.DataFrame([e.as_dict() for e in trail])
    frame["when"] = frame["when"].map(when)
    # an alias that had no holder before (or none after a removal) is a dash, not a raw None
    for column in ("from_version", "to_version"):
        frame[column] = frame[column].map(lambda v: f"v{v}" if v not in (None, "") and v == v else "—")
    rules = frame["action"].isin([*governance.RULES, "rule"])  # a change of the rules: what they were and became
    none = t("question.no_kpis")
    frame.loc[rules, "from_version"] = frame.loc[rules, "before"].map(lambda text: text or none)
    frame.loc[rules, "to_version"] = frame.loc[rules, "after"].map(lambda text: text or none)
    frame.loc[frame["action"].isin(governance.RULES), "alias"] = "—"  # the KPIs are the project's, of no alias
    frame["who"] = frame["who"].map(lambda who: who or "—")
    frame["reason"] = frame["reason"].map(lambda reason: reason or "")
    yes, no = t("common.yes"), t("common.no")
    for column in ("override", "applied"):
        frame[column] = frame[column].map(lambda flag: yes if flag else no)
    actions = {
        "set": t("registry.action_set"),
        "remove": t("registry.action_remove"),
        "rollback": t("registry.action_rollback"),
        "protect": t("registry.action_protect"),
        "unprotect": t("registry.action_unprotect"),
        "kpis": t("registry.action_kpis"),
        **{action: t(f"registry.action_{action}") for action in (*governance.REQUESTS, "rule")},
    }
    frame["action"] = frame["action"].map(lambda a: actions.get(a, a))
    frame["verdict"] = frame["verdict"].map(governance.verdict_word)
    shown = ["when", "who", "action", "alias", "from_version", "to_version", "verdict", "override", "reason", "applied"]
    frame = frame[shown].rename(columns={column: t(f"registry.audit_{column}") for column in shown})
    show_table(frame, hide_index=True, width="stretch")


def _rollback(name: str, alias: str, actor: Actor) -> str:
    entry = governance.rollback(name, alias, actor)
    to = f"v{entry.to_version}" if entry.to_version else t("registry.rolled_back_to_nothing")
    return t("registry.rolled_back", alias=alias, version=entry.from_version, to=to)


def protection_settings(name: str, actor: Actor) -> None:
    protected = governance.protected_aliases(name)
    listed = ", ".join("@" + a for a in protected) or t("registry.none")
    with st.expander(t("registry.protected_expander", aliases=listed)):
        st.caption(t("registry.protected_caption"))
        options = list(dict.fromkeys([*model_registry.STANDARD_ALIASES, *protected]))
        st.multiselect(
            t("registry.protected"),
            options,
            default=list(protected),
            key="registry_protected",
            accept_new_options=True,
            placeholder=t("common.choose"),
        )

        st.text_input(t("registry.protected_reason"), key="registry_protected_reason", max_chars=governance.MAX_REASON)

        def save() -> str:
            state = st.session_state
            chosen, reason = state["registry_protected"], state.get("registry_protected_reason", "")
            saved = governance.set_protected_aliases(name, chosen, actor, reason)
            listed = ", ".join("@" + a for a in saved) or t("registry.none")
            return t("registry.protected_saved", name=name, aliases=listed)

        _audited_button(t("registry.save"), "registry_protected_save", actor, save, "protect", outcome=False)
        st.divider()
        requests_widgets.rules_settings(name, actor)
    show_outcome(slot="protect")  # outside: the expander's label names the aliases, so saving them closes it


def model_card_section(name: str, versions: list[dict], aliases: dict[str, str]) -> None:
    """The K phase's documentation for one version: edit intended use and limitations, read, download, log."""

    st.subheader(t("registry.card_header"))
    numbers = [v["version"] for v in versions]
    preferred = next((aliases[a] for a in ("production", "champion") if a in aliases), numbers[0])
    version = st.selectbox(
        t("registry.card_version"), numbers, index=numbers.index(preferred), key="registry_card_version"
    )
    history = [e.as_dict() for e in governance.trail(name)]
    card = model_card.build_card(name, version, history)
    tags = model_registry.version_tags(name, version)
    with st.form(f"registry_card_form_{version}"):
        for words, tag, key in (
            ("registry.card_intended_use", model_card.TAG_INTENDED_USE, "registry_card_use"),
            ("registry.card_limitations", model_card.TAG_LIMITATIONS, "registry_card_limits"),
        ):
            st.text_area(
                t(words), value=tags.get(tag, ""), key=key, help=t(f"{words}_help"), max_chars=model_card.MAX_SECTION
            )

        def save() -> str:
            state = st.session_state
            model_card.save_card_sections(name, version, state["registry_card_use"], state["registry_card_limits"])
            return t("registry.card_saved", name=name, version=version)

        st.form_submit_button(t("registry.card_save"), on_click=run_action, args=(save, "card"))
    show_outcome(slot="card")
    left, middle, right = st.columns(3)
    downloads = (("markdown", "md", card.markdown, "text/markdown"), ("html", "html", card.html, "text/html"))
    for column, (label, suffix, render, mime) in zip((left, middle), downloads, strict=True):
        column.download_button(
            t(f"registry.card_{label}"),
            render(),
            model_card.filename(name, version, suffix),
            mime=mime,
            key=f"registry_card_{suffix}",
        )

    def log() -> str:
        paths = model_card.log_card(name, version, model_card.build_card(name, version, history))
        return t("registry.card_logged", paths=", ".join(paths))

    right.button(t("registry.card_log"), key="registry_card_log", on_click=run_action, args=(log, "card_log"))
    show_outcome(slot="card_log")
    with st.container(border=True, height=600):
        show_card(card)


def show_card(card) -> None:
    """The card as the page shows it: our headings and labels, every value (names, descriptions, notes, reasons)
    as literal text and tables as data grids, so text people wrote can neither format nor link nor load anything."""
    for i, section in enumerate(card.sections):
        st.markdown(f"{'#' if i == 0 else '##'} {plain(section.title)}")  # "## " + plain(…) would escape the "##"
        for block in section.blocks:
            if isinstance(block, dict):
                st.markdown("\n".join(f"- **{plain(k)}:** {plain(' '.join(str(v).split()))}" for k, v in block.items()))
            elif isinstance(block, str):
                st.markdown(plain(block))
            else:  # a table
                if block.caption:
                    st.markdown(f"**{plain(block.caption)}**")
                frame = pd.DataFrame([[str(c) for c in row] for row in block.rows], columns=list(block.columns))
                show_table(frame, hide_index=True, width="stretch")
