"""Plotly figures of the Monitor page: reference vs current distributions, predicted classes and KPIs over time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.common.i18n import number, significant, tr
from core.monitor.drift import MISSING, FeatureDrift, category_counts
from core.question.kpis import KPI, METRICS

REFERENCE_COLOR = "#636EFA"
CURRENT_COLOR = "#EF553B"
MAX_BINS = 30
MAX_CATEGORIES = 30
VERDICT_MARK = {"drift": "🔴", "moderate": "🟠", "ok": "🟢", "skipped": "⚪"}
VERDICT_KEYS = {
    "drift": "drift.verdict_drift",
    "moderate": "drift.verdict_moderate",
    "ok": "drift.verdict_ok",
    "skipped": "drift.verdict_skipped",
}


def _title(feature: str, result: FeatureDrift | None) -> str:
    if result is None or result.psi is None:
        return feature
    verdict = f"{VERDICT_MARK[result.verdict]} {tr(VERDICT_KEYS[result.verdict])}"
    # no words but the verdict
    return f"{feature} · {verdict} · PSI {number(result.psi, 2)}, p {significant(result.p_value, 2)}"


def distribution_overlay(
    reference: pd.Series, current: pd.Series, kind: str, result: FeatureDrift | None = None
) -> go.Figure:
    """Training vs recent distribution of one feature as shares (overlaid histograms, or grouped bars)."""
    feature = str(reference.name)
    fig = go.Figure()
    if kind == "numeric":
        ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype=float)
        cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype=float)
        both = np.concatenate([ref, cur])
        both = both[np.isfinite(both)]
        # shared edges over both samples, so a shift beyond the training range is visible
        edges = np.histogram_bin_edges(both, bins=min(MAX_BINS, max(5, int(np.sqrt(len(both)))))) if len(both) else []
        training, recent = tr("monitor.chart_training"), tr("monitor.chart_recent")
        for name, values, color in ((training, ref, REFERENCE_COLOR), (recent, cur, CURRENT_COLOR)):
            counts, _ = np.histogram(values[np.isfinite(values)], bins=edges) if len(edges) else ([], [])
            shares = np.asarray(counts, dtype=float) / max(1, len(values))
            centers = (np.asarray(edges[:-1]) + np.asarray(edges[1:])) / 2 if len(edges) else []
            widths = np.diff(edges) if len(edges) else []
            fig.add_bar(x=centers, y=shares, width=widths, name=f"{name} (n={len(values):,})", marker_color=color)
        fig.update_layout(barmode="overlay")
        fig.update_traces(opacity=0.55)
        fig.update_xaxes(title=feature)
    else:
        table = category_counts(reference, current)
        shares = table / table.sum().replace(0, 1)
        top = shares.max(axis=1).sort_values(ascending=False).index[:MAX_CATEGORIES]
        shares = shares.loc[[c for c in shares.index if c in set(top)]]
        training, recent = tr("monitor.chart_training"), tr("monitor.chart_recent")
        for column, name, color in (("reference", training, REFERENCE_COLOR), ("current", recent, CURRENT_COLOR)):
            fig.add_bar(
                x=[str(c) for c in shares.index],
                y=shares[column],
                name=f"{name} (n={int(table[column].sum()):,})",
                marker_color=color,
            )
        fig.update_layout(barmode="group")
        fig.update_xaxes(title=feature, categoryorder="array", categoryarray=[str(c) for c in shares.index])
        if MISSING in shares.index:
            fig.add_annotation(
                text=tr("monitor.chart_missing", missing=MISSING),
                xref="paper",
                yref="paper",
                x=1,
                y=1.1,
                showarrow=False,
            )
    fig.update_yaxes(title=tr("monitor.chart_share"), tickformat=".0%")
    fig.update_layout(
        title=_title(feature, result), height=320, margin={"t": 50, "b": 40}, legend={"orientation": "h", "y": -0.25}
    )
    return fig


def classes_over_time(frame: pd.DataFrame, periods: list[str], grouping: str = "") -> go.Figure:
    """Predicted classes per period as stacked bars (frame: period, class, rows)."""
    fig = go.Figure()
    for cls in sorted(frame["class"].unique()):
        part = frame[frame["class"] == cls].set_index("period")["rows"].reindex(periods).fillna(0)
        fig.add_bar(x=periods, y=part.to_numpy(), name=str(cls))
    fig.update_layout(
        barmode="stack",
        title=tr("monitor.chart_classes_title"),
        height=340,
        margin={"t": 50, "b": 40},
        legend={"title": tr("monitor.chart_class")},
    )
    period = tr("monitor.chart_period_grouped", grouping=grouping) if grouping else tr("monitor.chart_period")
    fig.update_xaxes(title=period, type="category", categoryarray=periods)
    fig.update_yaxes(title=tr("monitor.chart_predictions"))
    return fig


def kpis_over_time(
    frame: pd.DataFrame, periods: list[str], kpis: list[KPI] | tuple[KPI, ...], metrics: list[str]
) -> go.Figure:
    """Metrics per period as lines, each KPI threshold as a dashed horizontal line (frame: period, metric, value,
    rows)."""
    fig = go.Figure()
    thresholds = {k.metric: k for k in kpis}
    for metric in metrics:
        part = frame[frame["metric"] == metric].set_index("period").reindex(periods)
        label = tr(f"metrics.{metric}") if metric in METRICS else metric
        fig.add_scatter(
            x=periods,
            y=part["value"].to_numpy(),
            mode="lines+markers",
            name=label,
            customdata=part["rows"].to_numpy(),
            hovertemplate="%{x}<br>"
            + tr("monitor.chart_hover_rows", value="%{y:.4g}", rows="%{customdata}")
            + f"<extra>{label}</extra>",
        )
        kpi = thresholds.get(metric)
        if kpi is not None:
            fig.add_hline(
                y=kpi.threshold,
                line_dash="dash",
                line_color="firebrick",
                annotation_text=tr("monitor.chart_kpi", kpi=kpi),
                annotation_position="bottom right",
            )
    scores = all(METRICS.get(m) is not None and METRICS[m].is_score for m in metrics)
    fig.update_layout(title=tr("monitor.chart_kpis_title"), height=340, margin={"t": 50, "b": 40})
    fig.update_xaxes(title=tr("monitor.chart_period"), type="category", categoryarray=periods)
    if scores:
        # zoomed to the values and thresholds shown: a drop from 0.97 to 0.90 must be visible, not flattened at 0–1
        shown = [*frame.loc[frame["metric"].isin(metrics), "value"].dropna()]
        shown += [thresholds[m].threshold for m in metrics if m in thresholds]
        low = max(0.0, min(shown, default=0.0) - 0.05)
        fig.update_yaxes(title=tr("monitor.chart_score"), range=[low, 1.02])
    else:
        fig.update_yaxes(title=tr("monitor.chart_ms"))
    return fig
