"""Widgets of the data page: CSV settings, the roles editor and the validation findings."""

from __future__ import annotations

import base64

import pandas as pd
import streamlit as st

from core import loading, roles
from core.ui.common import plain

SEVERITY_ICONS = {"error": "⛔", "warning": "⚠️", "info": "ℹ️"}


def csv_settings_input(content: bytes, file_id: str) -> loading.CsvSettings:
    """The detected CSV settings, shown and overridable; reset to the detection for every new file."""
    detected = loading.detect_csv_settings(content)
    state = st.session_state
    if state.get("data_csv_file") != file_id:  # a new file: start from what was detected
        state["data_csv_file"] = file_id
        state["data_csv_separator"] = detected.separator
        state["data_csv_decimal"] = detected.decimal
        state["data_csv_encoding"] = detected.encoding
        state["data_csv_header"] = detected.header
    with st.expander(f"CSV settings — detected: {detected.describe()}", expanded=False):
        a, b, c, d = st.columns(4)
        separator = a.selectbox(
            "Separator", list(loading.SEPARATORS), format_func=loading.SEPARATORS.get, key="data_csv_separator"
        )
        decimal = b.selectbox(
            "Decimal mark", list(loading.DECIMALS), format_func=loading.DECIMALS.get, key="data_csv_decimal"
        )
        encoding = c.selectbox(
            "Encoding", list(loading.ENCODINGS), format_func=loading.ENCODINGS.get, key="data_csv_encoding"
        )
        header = d.checkbox("First row holds column names", key="data_csv_header")
    return loading.CsvSettings(separator, decimal, encoding, header)


def roles_editor(frame: pd.DataFrame, target: str) -> tuple[dict[str, str], set[str]]:
    """Inferred role per column, editable, with a 'use' switch; returns (roles, excluded columns)."""
    inferred = roles.infer_roles(frame, target)
    table = pd.DataFrame(
        {
            "column": list(inferred),
            "role": list(inferred.values()),
            "use": [r in roles.USABLE_ROLES for r in inferred.values()],
            "why": [roles.role_reason(frame, c, r) for c, r in inferred.items()],
        }
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=["column", "why"],
        column_config={
            "role": st.column_config.SelectboxColumn("role", options=list(roles.ROLES), required=True),
            "use": st.column_config.CheckboxColumn("use as feature"),
        },
        key=f"data_roles_{target}",
    )
    chosen = dict(zip(edited["column"], edited["role"], strict=True))
    excluded = {
        c
        for c, use, role in zip(edited["column"], edited["use"], edited["role"], strict=True)
        if not use or role not in roles.USABLE_ROLES
    }
    return chosen, excluded


def show_findings(findings) -> None:
    """Validation findings grouped by severity; errors first. Column names are shown as plain text."""
    errors = [f for f in findings if f.severity == "error"]
    warnings = [f for f in findings if f.severity == "warning"]
    infos = [f for f in findings if f.severity == "info"]
    title = f"Validation: {len(errors)} error(s), {len(warnings)} warning(s), {len(infos)} note(s)"
    with st.expander(("⛔ " if errors else "✅ ") + title, expanded=bool(errors or warnings)):
        if not findings:
            st.success("No problems found.")
        for finding in findings:
            show = {"error": st.error, "warning": st.warning}.get(finding.severity, st.info)
            show(plain(finding.message), icon=SEVERITY_ICONS.get(finding.severity))


MAX_EMBED_BYTES = 1_900_000  # Chromium refuses data: URLs above 2 MB


def embed_report(html: str, height: int = 900) -> None:
    """Show a generated HTML report in an iframe with an opaque origin.

    The report is built from uploaded data, so it is loaded as a ``data:`` URL: its scripts run, but they
    cannot reach the app's page or session. Reports too large for a data URL are offered as download only.
    """
    encoded = base64.b64encode(html.encode()).decode()
    if len(encoded) > MAX_EMBED_BYTES:
        st.info("The report is too large to show inside the page; download it above and open it in the browser.")
        return
    st.iframe(f"data:text/html;base64,{encoded}", height=height)
