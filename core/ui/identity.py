"""Who is acting: the signed-in user when Streamlit authentication (OIDC via st.login) is configured in
secrets.toml, otherwise a name the person types once per session. Approvers come from secrets.toml:

    [qua3ck]
    approvers = ["ana@example.org", "ben@example.org"]
"""

from __future__ import annotations

import streamlit as st

from core.registry.governance import Actor
from core.ui import keys
from core.ui.i18n import t
from core.ui.text import plain

NAME_KEY = "identity_name"  # the name field's widget key; the name itself lives in keys.ACTOR_NAME


def _secrets() -> dict:
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except Exception:  # noqa: BLE001 — no secrets.toml at all: authentication is simply not configured
        return {}


def auth_configured() -> bool:
    return "auth" in _secrets()


def approvers() -> tuple[str, ...]:
    configured = _secrets().get("qua3ck", {}).get("approvers", [])
    return tuple(str(a) for a in configured)


def current_actor() -> Actor:
    """The acting person; with authentication, the signed-in user's e-mail (or name) and the approver list."""
    if auth_configured():
        if not st.user.is_logged_in:
            return Actor("", authenticated=False, approvers=approvers())
        who = st.user.get("email") or st.user.get("name") or ""
        return Actor(str(who), authenticated=True, approvers=approvers())
    return Actor(str(st.session_state.get(keys.ACTOR_NAME, "")).strip())


def _name_typed() -> None:
    st.session_state[keys.ACTOR_NAME] = st.session_state[NAME_KEY].strip()


def identity_box(where=st) -> Actor:
    """Sign-in (or a name field) and what it means for promotions; returns the acting person."""
    actor = current_actor()
    if auth_configured():
        if actor.authenticated:
            role = t("identity.role_approver") if actor.may_approve() else t("identity.role_not_approver")
            where.caption(t("identity.signed_in", name=plain(actor.name), role=role))
            where.button(t("identity.sign_out"), key="identity_logout", on_click=st.logout)
        else:
            where.info(t("identity.sign_in_info"))
            where.button(t("identity.sign_in"), key="identity_login", type="primary", on_click=st.login)
        return actor
    # asked once per browser session: the field mirrors a plain key, which survives leaving the page
    st.session_state[NAME_KEY] = st.session_state.get(keys.ACTOR_NAME, "")
    where.text_input(
        t("identity.name_label"),
        key=NAME_KEY,
        on_change=_name_typed,
        placeholder=t("identity.name_placeholder"),
        max_chars=100,
    )
    where.caption(t("identity.unguarded"))
    return current_actor()
