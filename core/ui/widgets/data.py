"""Widgets of the data page: CSV settings, the roles editor and the validation findings."""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core.data import loading, roles, sets
from core.data.validation import blocking, with_severity
from core.ui import cache, keys
from core.ui.charts import data as data_charts
from core.ui.common import inert_chart, show_table
from core.ui.i18n import t
from core.ui.text import plain

SEVERITY_ICONS = {"error": "⛔", "warning": "⚠️", "info": "ℹ️"}
SUMMARY_COLUMNS = ("column", "type", "missing", "distinct", "min", "mean", "max")  # data.summary.<column>


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
    with st.expander(t("data.csv_settings", detected=detected.describe()), expanded=False):
        a, b, c, d = st.columns(4)
        separator = a.selectbox(
            t("data.csv_separator"),
            list(loading.SEPARATORS),
            format_func={s: loading.separator_label(s) for s in loading.SEPARATORS}.get,
            key="data_csv_separator",
        )
        decimal = b.selectbox(
            t("data.csv_decimal"),
            list(loading.DECIMALS),
            format_func={d: loading.decimal_label(d) for d in loading.DECIMALS}.get,
            key="data_csv_decimal",
        )
        encoding = c.selectbox(
            t("data.csv_encoding"),
            list(loading.ENCODINGS),
            format_func={e: loading.encoding_label(e) for e in loading.ENCODINGS}.get,
            key="data_csv_encoding",
        )
        header = d.checkbox(t("data.csv_header"), key="data_csv_header")
    if encoding == detected.encoding and not encoding.startswith("utf-8"):  # a guess worth a look: say it
        st.caption(t("data.csv_encoding_detected", label=loading.encoding_label(encoding)))
    return loading.CsvSettings(separator, decimal, encoding, header)


def _target_picked() -> None:
    state = st.session_state
    state[keys.DATA_TARGETS][state["data_target_digest"]] = (state["data_target"], None)


def target_select(frame: pd.DataFrame, digest: str, builtin_target: str | None = None, given: str = "builtin") -> str:
    """The target column: the one chosen for this data (``digest``) in this session, else the one the data comes
    with (``builtin_target``: a built-in set's own, or with ``given="stored"`` the stored data's), else the inferred
    one (core.data.roles.infer_target), with why it was suggested. The select box always shows the target every
    other part of the page uses: its state mirrors a plain key, so neither a previous file's choice nor leaving
    the page can make the two differ."""
    state = st.session_state
    chosen = state.setdefault(keys.DATA_TARGETS, {})
    if chosen.get(digest, ("",))[0] not in frame.columns:
        if builtin_target in frame.columns:
            chosen[digest] = (builtin_target, given)
        else:
            chosen[digest] = roles.infer_target(frame)
    target, reason = chosen[digest]
    state["data_target"] = target
    state["data_target_digest"] = digest
    st.selectbox(t("data.target"), list(frame.columns), key="data_target", on_change=_target_picked)
    if reason:
        st.caption(t(f"data.target_reason.{reason}", target=plain(target)))
    return target


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
            "column": st.column_config.TextColumn(t("data.roles_column")),
            "role": st.column_config.SelectboxColumn(
                t("data.roles_role"),
                options=list(roles.ROLES),
                format_func={role: t(f"data.role.{role}") for role in roles.ROLES}.get,
                required=True,
            ),
            "use": st.column_config.CheckboxColumn(t("data.roles_use")),
            "why": st.column_config.TextColumn(t("data.roles_why")),
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
    errors = blocking(findings)
    warnings = with_severity(findings, "warning")
    infos = with_severity(findings, "info")
    title = t("data.findings_title", errors=len(errors), warnings=len(warnings), notes=len(infos))
    with st.expander(("⛔ " if errors else "✅ ") + title, expanded=bool(errors or warnings)):
        if not findings:
            st.success(t("data.no_problems"))
        for finding in findings:
            show = {"error": st.error, "warning": st.warning}.get(finding.severity, st.info)
            show(plain(finding.message), icon=SEVERITY_ICONS.get(finding.severity))


# Sent to the browser over the websocket as the frame's srcdoc: far below server.maxMessageSize (200 MB), and
# beyond this a page gets slow; the report stays downloadable either way
MAX_EMBED_BYTES = 50_000_000
# The report's own scripts (tabs, toggles) run, nothing else: no same-origin access to the app, no forms, popups,
# downloads or navigation of the page around it
REPORT_SANDBOX = "allow-scripts"
# Inherited by the srcdoc frame inside: the report may use its inline scripts, styles and data: images, and load
# nothing from anywhere else (a column name such as <img src=http://…> cannot make the browser fetch it)
REPORT_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; font-src data:"


def sandboxed_html(document: str) -> str:
    """Our own wrapper page around an untrusted HTML document: a sandboxed srcdoc frame under a strict CSP.

    Streamlit's iframes allow scripts *and* same-origin access (its component sandbox), so untrusted HTML is
    never given to st.iframe directly. The wrapper holds no script of its own; the document is escaped into the
    ``srcdoc`` attribute, so nothing in it can end the attribute or the tag.
    """
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{REPORT_CSP}">'
        "<style>html,body{margin:0;height:100%}iframe{border:0;width:100%;height:100%;display:block}</style>"
        f'</head><body><iframe sandbox="{REPORT_SANDBOX}" title="report" '
        f'srcdoc="{html.escape(document, quote=True)}"></iframe></body></html>'
    )


def embed_report(document: str, height: int = 900, title: str | None = None) -> None:
    """Show a generated HTML report (built from uploaded data, so untrusted) in a sandboxed frame; ``title``
    names the frame for screen readers (default: "Profile report" in the reader's language)."""
    if len(document) > MAX_EMBED_BYTES:
        st.info(t("data.report_too_large"))
        return
    st.iframe(sandboxed_html(document), height=height, alt=title or t("data.tab_profile"))


def explore(frame: pd.DataFrame, target: str, features: list[str], digest: str, name: str) -> None:
    """The exploration tabs: column summary, class balance, distributions, correlations, scatter matrix, the
    profile report (built on request, kept for this digest) and the first rows."""
    tabs = st.tabs(
        [
            t("data.tab_columns"),
            t("data.tab_balance"),
            t("data.tab_distributions"),
            t("data.tab_correlations"),
            t("data.tab_scatter"),
            t("data.tab_profile"),
            t("data.tab_rows"),
        ]
    )
    with tabs[0]:
        summary = sets.column_summary(frame)
        summary["type"] = summary["type"].map(lambda kind: t(f"data.role.{kind}"))
        summary = summary.rename(columns={column: t(f"data.summary.{column}") for column in SUMMARY_COLUMNS})
        show_table(summary, hide_index=True, width="stretch")
    with tabs[1]:
        inert_chart(st, data_charts.class_balance_bar(sets.class_balance(frame, target)), key="data_balance_chart")
    with tabs[2]:
        if features:
            feature = st.selectbox(t("data.feature"), features, key="data_feature")
            inert_chart(st, data_charts.feature_by_class(frame, feature, target), key="data_feature_chart")
    with tabs[3]:
        inert_chart(st, data_charts.correlation_heatmap(frame, features), key="data_corr_chart")
    with tabs[4]:
        inert_chart(st, data_charts.scatter_matrix(frame[[*features, target]], target), key="data_scatter_chart")
    with tabs[5]:
        if st.button(t("data.profile_build"), key="data_profile") or st.session_state.get(keys.PROFILED) == digest:
            st.session_state[keys.PROFILED] = digest
            with st.status(t("data.profiling"), expanded=False) as progress:
                report = cache.profile_report(frame, digest, name)
                progress.update(label=t("data.profile_ready"), state="complete")
            st.download_button(
                t("data.profile_download"), report, file_name=f"profile-{name}.html", key="data_profile_download"
            )
            embed_report(report)
        else:
            st.caption(t("data.profile_caption"))
    with tabs[6]:
        show_table(frame.head(200), width="stretch")
