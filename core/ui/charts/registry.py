"""Plotly figures of the K page: a registered model's history."""

from __future__ import annotations

import datetime

import plotly.graph_objects as go

from core.common.i18n import tr
from core.question.kpis import KPI, METRICS
from core.registry.governance import MOVES, AuditEntry

HISTORY_METRICS = ("test_accuracy", "test_f1_macro")  # the versions table's held-out scores


def _when(ms: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ms / 1000, tz=datetime.UTC)


def model_history(
    versions: list[dict], moves: list[AuditEntry], kpis: list[KPI] | tuple[KPI, ...] = ()
) -> go.Figure | None:
    """Each version's held-out scores at the time it was registered, as lines over time, every alias move as a
    marked vertical line ("@production → v3"), and the KPI thresholds of those scores as dashed lines; None while
    no version has been evaluated (``versions``: model_registry.versions_table's rows)."""
    scored = [v for v in versions if any(v.get(m) is not None for m in HISTORY_METRICS)]
    evaluated = sorted(scored, key=lambda v: v["created"])
    if not evaluated:
        return None
    fig = go.Figure()
    for metric in HISTORY_METRICS:
        points = [v for v in evaluated if v.get(metric) is not None]
        if not points:
            continue
        short = metric.removeprefix("test_")
        label = tr(f"metrics.{short}") if short in METRICS else short
        fig.add_scatter(
            x=[_when(v["created"]) for v in points],
            y=[v[metric] for v in points],
            mode="lines+markers+text",
            text=[f"v{v['version']}" for v in points],
            textposition="top center",
            name=label,
            hovertemplate="%{text}: %{y:.4f}<br>%{x|%Y-%m-%d %H:%M}" + f"<extra>{label}</extra>",
        )
    for kpi in kpis:
        if f"test_{kpi.metric}" in HISTORY_METRICS:
            fig.add_hline(
                y=kpi.threshold,
                line_dash="dash",
                line_color="firebrick",
                annotation_text=tr("charts.history_kpi", kpi=kpi),  # in the reader's numbers
                annotation_position="bottom left",
            )
    marked = sorted((m for m in moves if m.action in MOVES), key=lambda m: m.when)
    for i, move in enumerate(marked):
        target = f"v{move.to_version}" if move.to_version else tr("charts.history_removed")
        fig.add_vline(x=move.when, line_dash="dot", line_color="grey")  # epoch ms: plotly's own date unit
        fig.add_annotation(  # above the plot, staggered so that moves close in time stay readable
            x=_when(move.when),
            y=1.02 + 0.07 * (i % 3),
            yref="paper",
            text=f"@{move.alias} → {target}",
            showarrow=False,
            yanchor="bottom",
            font={"size": 11, "color": "grey"},
        )
    times = [v["created"] for v in evaluated] + [m.when for m in marked]
    pad = max((max(times) - min(times)) * 0.08, 3_600_000)  # the first and last points off the edges
    fig.update_xaxes(range=[_when(min(times) - pad), _when(max(times) + pad)])
    fig.update_layout(
        title=tr("charts.history_title"),
        height=380,
        margin={"t": 90 if marked else 50, "b": 40},
        yaxis_title=tr("charts.history_score"),
        legend={"orientation": "h", "y": -0.2},
    )
    return fig
