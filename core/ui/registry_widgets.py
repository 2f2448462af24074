"""Registry-page blocks: promotion through the gate (with the candidate against the current holder), removal,
the audit timeline with rollback, and which aliases are protected."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core import charts, governance, registry
from core.governance import Actor
from core.ui import cache
from core.ui.actions import run_action, show_outcome
from core.ui.common import inert_chart, plain

OTHER = "other…"


def _alias_choice(aliases: dict[str, str]) -> str:
    choices = list(dict.fromkeys([*registry.STANDARD_ALIASES, *sorted(aliases), OTHER]))
    if st.selectbox("Alias", choices, key="registry_alias") == OTHER:
        st.text_input("Alias name", key="registry_alias_custom", placeholder="e.g. staging")
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
    moved = f" (moved from v{entry.from_version})" if entry.from_version else ""
    return f"@{alias} now points at version {version}{moved}; recorded in the audit trail."


def _comparison(version_runs: dict[str, str | None], version: str, holder: str, metric: str) -> None:
    candidate_run, current_run = version_runs.get(version), version_runs.get(holder)
    if not candidate_run or not current_run:
        st.caption("One of the two versions has no source run, so they cannot be compared.")
        return
    found = cache.promotion_comparison(candidate_run, current_run, metric)
    frame = found.metrics.rename(columns={"candidate": f"v{version} (candidate)", "current": f"v{holder} (now)"})
    st.dataframe(frame.round(4), hide_index=True, width="stretch")
    for said, what in ((found.held_out, "held-out rows"), (found.folds, "CV folds")):
        text = said if isinstance(said, str) else said.sentence
        st.caption(f"**{what}:** {plain(text)}")
    pair = ((f"v{version}", found.candidate), (f"v{holder}", found.current))
    for column, (label, ev) in zip(st.columns(2), pair, strict=True):
        if ev is not None:
            inert_chart(
                column, charts.confusion_heatmap(ev.labels, ev.confusion, title=label), key=f"registry_cm_{label}"
            )


def promotion_form(name: str, versions: list[dict], aliases: dict[str, str], actor: Actor, metric: str) -> None:
    """Assign or move an alias: the gate's decision, the candidate against the current holder, then confirm."""
    st.markdown("**Assign or move an alias**")
    alias = _alias_choice(aliases)
    version = st.selectbox("Version", [v["version"] for v in versions], key="registry_version")
    if not alias or version is None:
        return
    try:
        decision = governance.check_gate(name, alias, version, actor)
    except registry.RegistryError as exc:
        st.error(plain(str(exc)))
        return
    holder = aliases.get(alias)
    (st.success if decision.allowed else st.warning)(plain(decision.message))
    if holder and holder != version:
        with st.expander(f"v{version} against v{holder}, which holds @{alias} now", expanded=decision.protected):
            _comparison({v["version"]: v["run"] or None for v in versions}, version, holder, metric)
    needs_override = decision.approver_ok and not decision.verdict_ok
    if needs_override:
        st.checkbox("Override the gate (recorded with your reason)", key="registry_override")
    st.text_input(
        "Reason" + (" (required to override)" if needs_override else " (optional)"),
        key="registry_reason",
        max_chars=governance.MAX_REASON,
    )
    blocked = (
        "Say who you are first."
        if not actor.name
        else decision.message
        if not decision.approver_ok
        else "Tick the override and give a reason."
        if needs_override and not st.session_state.get("registry_override")
        else None
    )
    st.button(
        f"Point @{alias} at v{version}",
        type="primary",
        key="registry_set_alias",
        disabled=blocked is not None or holder == version,
        help=blocked or ("It already points there." if holder == version else None),
        on_click=run_action,
        args=(lambda: _promote(name, actor, dict(aliases)), "alias"),
    )
    show_outcome(slot="alias")


def remove_form(name: str, aliases: dict[str, str], actor: Actor) -> None:
    st.markdown("**Remove an alias**")
    if not aliases:
        st.caption("This model has no aliases.")
        return
    st.selectbox("Alias to remove", sorted(aliases), key="registry_remove_alias")
    st.text_input("Reason", key="registry_remove_reason", max_chars=governance.MAX_REASON)

    def remove() -> str:
        alias = st.session_state["registry_remove_alias"]
        reason = st.session_state.get("registry_remove_reason", "")
        governance.remove_alias(name, alias, actor, reason, expected_from=aliases.get(alias))
        return f"Removed @{alias} (it pointed at v{aliases[alias]}); recorded in the audit trail."

    st.button(
        "Remove alias",
        key="registry_remove",
        disabled=not actor.name,
        help=None if actor.name else "Say who you are first.",
        on_click=run_action,
        args=(remove, "remove"),
    )
    show_outcome(slot="remove")


def audit_timeline(name: str, actor: Actor) -> None:
    """The model's alias changes, newest first, with a one-click rollback per alias."""
    trail = governance.history(name)
    st.subheader("Audit trail")
    if not trail:
        st.caption("No alias of this model was changed through the workbench yet.")
        return
    rollbacks = {}
    for entry in trail:
        if entry.alias not in rollbacks and entry.applied:
            rollbacks[entry.alias] = entry
    columns = st.columns(max(len(rollbacks), 1))
    for column, (alias, entry) in zip(columns, rollbacks.items(), strict=False):
        back = f"v{entry.from_version}" if entry.from_version else "no version (remove it)"
        column.button(
            f"↩️ Roll back @{alias} to {back}",
            key=f"registry_rollback_{alias}",
            disabled=not actor.name,
            help=None if actor.name else "Say who you are first.",
            on_click=run_action,
            args=(lambda a=alias: _rollback(name, a, actor), "rollback"),
        )
    show_outcome(slot="rollback")
    frame = pd.DataFrame([e.as_dict() for e in trail])
    frame["when"] = pd.to_datetime(frame["when"], unit="ms")
    frame = frame[
        ["when", "who", "action", "alias", "from_version", "to_version", "verdict", "override", "reason", "applied"]
    ]
    st.dataframe(frame, hide_index=True, width="stretch")


def _rollback(name: str, alias: str, actor: Actor) -> str:
    entry = governance.rollback(name, alias, actor)
    to = f"v{entry.to_version}" if entry.to_version else "nothing (removed)"
    return f"Rolled @{alias} back from v{entry.from_version} to {to}; recorded in the audit trail."


def protection_settings(name: str, actor: Actor) -> None:
    protected = governance.protected_aliases(name)
    with st.expander(f"🛡️ Protected aliases: {', '.join('@' + a for a in protected) or 'none'}"):
        st.caption(
            "A protected alias moves only to a version whose held-out KPI verdict is a pass, unless someone "
            "overrides with a written reason; when sign-in is configured, only approvers may move it."
        )
        options = list(dict.fromkeys([*registry.STANDARD_ALIASES, *protected]))
        st.multiselect("Protected", options, default=list(protected), key="registry_protected", accept_new_options=True)

        def save() -> str:
            saved = governance.set_protected_aliases(name, st.session_state["registry_protected"], actor)
            return f"Protected aliases of {name}: {', '.join('@' + a for a in saved) or 'none'}."

        st.button("Save", key="registry_protected_save", on_click=run_action, args=(save, "protect"))
        show_outcome(slot="protect")


def model_card_section(name: str, versions: list[dict], aliases: dict[str, str]) -> None:
    """The K phase's documentation for one version: edit intended use and limitations, read, download, log."""
    from core import model_card

    st.subheader("Model card")
    numbers = [v["version"] for v in versions]
    preferred = next((aliases[a] for a in ("production", "champion") if a in aliases), numbers[0])
    version = st.selectbox("Version to document", numbers, index=numbers.index(preferred), key="registry_card_version")
    history = [e.as_dict() for e in governance.history(name)]
    card = model_card.build_card(name, version, history)
    tags = registry.version_tags(name, version)
    with st.form(f"registry_card_form_{version}"):
        st.text_area(
            "Intended use",
            value=tags.get(model_card.TAG_INTENDED_USE, ""),
            key="registry_card_use",
            help="Who should use this model for what, and what it must not be used for.",
            max_chars=model_card.MAX_SECTION,
        )
        st.text_area(
            "Limitations",
            value=tags.get(model_card.TAG_LIMITATIONS, ""),
            key="registry_card_limits",
            help="Where it is known to fail: classes, data ranges, populations it has not seen.",
            max_chars=model_card.MAX_SECTION,
        )

        def save() -> str:
            state = st.session_state
            model_card.save_card_sections(name, version, state["registry_card_use"], state["registry_card_limits"])
            return f"Saved the intended use and limitations of {name} v{version} (version tags)."

        st.form_submit_button("Save both sections", on_click=run_action, args=(save, "card"))
    show_outcome(slot="card")
    left, middle, right = st.columns(3)
    left.download_button(
        "⬇️ Markdown",
        card.markdown(),
        model_card.filename(name, version, "md"),
        mime="text/markdown",
        key="registry_card_md",
    )
    middle.download_button(
        "⬇️ HTML", card.html(), model_card.filename(name, version, "html"), mime="text/html", key="registry_card_html"
    )

    def log() -> str:
        paths = model_card.log_card(name, version, model_card.build_card(name, version, history))
        return f"Logged {', '.join(paths)} to the version's run."

    right.button("📎 Log to the version's run", key="registry_card_log", on_click=run_action, args=(log, "card_log"))
    show_outcome(slot="card_log")
    with st.container(border=True, height=600):
        show_card(card)


def show_card(card) -> None:
    """The card as the page shows it: our headings and labels, every value (names, descriptions, notes, reasons)
    as literal text and tables as data grids, so text people wrote can neither format nor link nor load anything."""
    for i, section in enumerate(card.sections):
        st.markdown(("# " if i == 0 else "## ") + plain(section.title))
        for block in section.blocks:
            if isinstance(block, dict):
                st.markdown("\n".join(f"- **{plain(k)}:** {plain(' '.join(str(v).split()))}" for k, v in block.items()))
            elif isinstance(block, str):
                st.markdown(plain(block))
            else:  # a table
                if block.caption:
                    st.markdown(f"**{plain(block.caption)}**")
                frame = pd.DataFrame([[str(c) for c in row] for row in block.rows], columns=list(block.columns))
                st.dataframe(frame, hide_index=True, width="stretch")
