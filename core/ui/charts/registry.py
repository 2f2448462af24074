"""Plotly figures of the K page: a registered model's history."""

from __future__ import annotations

import plotly.graph_objects as go

from core.common.i18n import tr, when
from core.question.kpis import KPI, METRICS
from core.registry.governance import MOVES, AuditEntry

HISTORY_METRICS = ("test_accuracy", "test_f1_macro")  # the versions table's held-out scores


def model_history(
    versions: list[dict], moves: list[AuditEntry], kpis: list[KPI] | tuple[KPI, ...] = ()
) -> go.Figure | None:
    """Each evaluated version's held-out scores, the versions in the order they were registered (each with its
    date), every alias move marked at the version it moved to ("@production → v3"; a removal at the version it
    left), and the KPI thresholds of those scores as dashed lines; None while no version has been evaluated
    (``versions``: model_registry.versions_table's rows). Versions, not time, along the axis: versions registered
    minutes apart, as in a first session, stay apart."""
    ordered = sorted(versions, key=lambda v: (v["created"], int(v["version"])))
    if not any(v.get(m) is not None for v in ordered for m in HISTORY_METRICS):
        return None
    axis = [f"v{v['version']}" for v in ordered]
    fig = go.Figure()
    for metric in HISTORY_METRICS:
        points = [v for v in ordered if v.get(metric) is not None]
        if not points:
            continue
        short = metric.removeprefix("test_")
        label = tr(f"metrics.{short}") if short in METRICS else short
        fig.add_scatter(
            x=[f"v{v['version']}" for v in points],
            y=[v[metric] for v in points],
            mode="lines+markers+text",
            text=[f"v{v['version']}" for v in points],
            textposition="top center",
            name=label,
            customdata=[when(v["created"]) for v in points],
            hovertemplate="%{text}: %{y:.4f}<br>%{customdata}" + f"<extra>{label}</extra>",
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
    stacked: dict[str, int] = {}
    for move in sorted((m for m in moves if m.action in MOVES), key=lambda m: m.when):
        at = f"v{move.to_version or move.from_version}"
        if at not in axis:
            continue  # a version deleted since
        target = f"v{move.to_version}" if move.to_version else tr("charts.history_removed")
        fig.add_vline(x=axis.index(at), line_dash="dot", line_color="grey")
        fig.add_annotation(  # above the plot, one line per move at that version, oldest lowest
            x=at,
            y=1.02 + 0.07 * stacked.get(at, 0),
            yref="paper",
            text=f"@{move.alias} → {target} · {when(move.when)}",
            showarrow=False,
            yanchor="bottom",
            font={"size": 11, "color": "grey"},
        )
        stacked[at] = stacked.get(at, 0) + 1
    ticks = [f"v{v['version']}<br>{when(v['created'])}" for v in ordered]
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=axis, tickvals=axis, ticktext=ticks)
    fig.update_layout(
        title=tr("charts.history_title"),
        height=380 + 20 * max(stacked.values(), default=0),
        margin={"t": 60 + 22 * max(stacked.values(), default=0), "b": 40},
        yaxis_title=tr("charts.history_score"),
        legend={"orientation": "h", "y": -0.25},
    )
    return fig
