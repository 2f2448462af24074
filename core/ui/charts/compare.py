"""C — runs on the held-out rows: confusion matrices, ROC and precision-recall curves, metric bars, permutation
importance."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.common.i18n import number, percent, tr
from core.compare.diagnostics import normalized_confusion

CLASS_COLORS = px.colors.qualitative.Plotly


def confusion_heatmap(labels: list[str], matrix: list[list[int]], title: str = "") -> go.Figure:
    """Confusion matrix with true classes as rows and predicted classes as columns."""
    return _confusion(labels, matrix, matrix, matrix, tr("charts.confusion_hover"), title)


def confusion_heatmap_normalized(labels: list[str], matrix: list[list[int]], title: str = "") -> go.Figure:
    """Confusion matrix coloured by each true class's share (row-normalised), with the counts alongside."""
    shares = normalized_confusion(matrix)
    text = [
        [f"{percent(s)}<br>({number(n)})" for s, n in zip(share_row, row, strict=True)]
        for share_row, row in zip(shares, matrix, strict=True)
    ]
    return _confusion(labels, shares, text, matrix, tr("charts.confusion_share_hover"), title, zmax=1)


def _confusion(labels, colours, text, counts, hover: str, title: str, zmax: float | None = None) -> go.Figure:
    """The one layout of a confusion matrix: true classes down, predicted across, both as category axes."""
    fig = go.Figure(
        go.Heatmap(
            z=colours,
            x=labels,
            y=labels,
            zmin=0 if zmax is not None else None,
            zmax=zmax,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            customdata=counts,
            hovertemplate=hover,
            showscale=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=tr("charts.predicted"),
        yaxis_title=tr("charts.true"),
        yaxis_autorange="reversed",
        xaxis_type="category",  # class labels such as 2007, 2008 are names, not points on a number line
        yaxis_type="category",
        height=320,
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
    )
    return fig


def roc_curves(curves: dict, title: str = "") -> go.Figure:
    """One-vs-rest ROC curve per class (AUC in the legend) and the chance diagonal."""
    fig = _class_curves(curves, "fpr", "tpr", "AUC", "auc", "charts.roc_hover")
    fig.add_trace(
        go.Scatter(
            x=[0, 1],
            y=[0, 1],
            mode="lines",
            name=tr("charts.chance"),
            line={"dash": "dash", "color": "grey"},
            hoverinfo="skip",
        )
    )
    return _curve_layout(fig, title, tr("charts.false_positive_rate"), tr("charts.true_positive_rate"))


def precision_recall_curves(curves: dict, title: str = "") -> go.Figure:
    """One-vs-rest precision-recall curve per class, average precision in the legend."""
    fig = _class_curves(curves, "recall", "precision", "AP", "average_precision", "charts.pr_hover", line_shape="hv")
    return _curve_layout(fig, title, tr("charts.recall"), tr("charts.precision"))


def _class_curves(curves: dict, x: str, y: str, score: str, key: str, hover: str, **trace: object) -> go.Figure:
    """A figure with one line per class of ``curves`` (core.compare.diagnostics), its ``score`` in the legend."""
    fig = go.Figure()
    for i, (cls, curve) in enumerate(curves.get("curves", {}).items()):
        fig.add_trace(
            go.Scatter(
                x=curve[x],
                y=curve[y],
                mode="lines",
                name=f"{cls} ({score} {number(curve[key], 3)})",
                line={"color": CLASS_COLORS[i % len(CLASS_COLORS)]},
                hovertemplate=f"{cls}<br>" + tr(hover),
                **trace,
            )
        )
    return fig


def _curve_layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    fig.update_layout(
        title=title,
        xaxis={"title": x_title, "range": [0, 1.01]},
        yaxis={"title": y_title, "range": [0, 1.02]},
        height=380,
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
        legend={"x": 1.0, "y": 0.0, "xanchor": "right", "yanchor": "bottom"},
    )
    return fig


def metric_bars_with_cv(table: pd.DataFrame) -> go.Figure:
    """Held-out score bars per run and metric, with the CV mean ± std beside them where known.

    ``table`` is long: run, metric, test, and optionally cv_mean, cv_std (core.compare.diagnostics.comparison_table).
    """
    fig = go.Figure()
    for i, (run, rows) in enumerate(table.groupby("run", sort=False)):
        color = CLASS_COLORS[i % len(CLASS_COLORS)]
        fig.add_trace(
            go.Bar(
                x=rows["metric"],
                y=rows["test"],
                name=str(run),
                offsetgroup=str(run),
                legendgroup=str(run),
                marker_color=color,
                text=[number(v, 3) if pd.notna(v) else "" for v in rows["test"]],
                hovertemplate=f"{run}<br>" + tr("charts.test_hover"),
            )
        )
        if "cv_mean" in rows and rows["cv_mean"].notna().any():
            std = rows["cv_std"] if "cv_std" in rows else pd.Series(0.0, index=rows.index)
            fig.add_trace(
                go.Scatter(
                    x=rows["metric"],
                    y=rows["cv_mean"],
                    name=f"{run} {tr('charts.cv_mean_std')}",
                    offsetgroup=str(run),
                    legendgroup=str(run),
                    mode="markers",
                    marker={"symbol": "diamond", "size": 9, "color": "black", "line": {"color": color, "width": 2}},
                    error_y={"type": "data", "array": std.fillna(0.0), "visible": True, "thickness": 1.5},
                    hovertemplate=f"{run}<br>" + tr("charts.cv_hover"),
                )
            )
    fig.update_layout(
        barmode="group",
        scattermode="group",  # CV markers sit on their run's bar, not between the bars
        yaxis={"range": [0, 1.05], "title": tr("charts.score")},
        height=340,
        margin={"t": 10, "b": 10},
        legend={"orientation": "h", "y": 1.12},
    )
    return fig


def test_metric_bars(table: pd.DataFrame, metrics: list[str]) -> go.Figure:
    """Held-out metrics of several runs side by side (one row per run, a column per metric, 'run' label)."""
    long = table.melt(id_vars="run", value_vars=metrics, var_name="metric", value_name="score")
    labels = {"metric": tr("charts.metric"), "score": tr("charts.score"), "run": tr("charts.run")}
    fig = px.bar(long, x="metric", y="score", color="run", barmode="group", labels=labels)
    fig.update_layout(yaxis={"range": [0, 1.05]}, height=320, margin={"t": 10, "b": 10})
    return fig


def permutation_importance_bar(frame: pd.DataFrame, title: str = "") -> go.Figure:
    """Drop in score when each feature is shuffled (feature, mean, std), the largest at the top."""
    ordered = frame.iloc[::-1]  # horizontal bars draw bottom-up
    fig = go.Figure(
        go.Bar(
            x=ordered["mean"],
            y=ordered["feature"].astype(str),
            orientation="h",
            error_x={"type": "data", "array": ordered["std"], "visible": True},
            hovertemplate=tr("charts.importance_hover"),
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=tr("charts.importance_axis"),
        height=120 + 26 * max(len(frame), 1),
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
    )
    return fig
