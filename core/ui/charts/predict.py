"""Predict — one prediction's class probabilities and a file's predicted classes."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.common.i18n import percent, significant
from core.serve.explain import value_text
from core.ui.charts.data import class_balance_bar


def probability_bar(probabilities: dict[str, float]) -> go.Figure:
    """Class probabilities of one prediction, the winner highlighted."""
    classes = list(probabilities)
    values = [probabilities[c] for c in classes]
    best = max(values) if values else 0
    fig = go.Figure(
        go.Bar(
            x=classes,
            y=values,
            text=[percent(v, 0) for v in values],
            marker_color=["#2e7d32" if v == best else "#90a4ae" for v in values],
        )
    )
    fig.update_layout(
        xaxis={"type": "category"},
        yaxis={"range": [0, 1], "tickformat": ".0%"},
        height=280,
        margin={"t": 10, "b": 10},
    )
    return fig


def prediction_counts_bar(predictions: pd.Series | dict[str, int]) -> go.Figure:
    """How many rows got each predicted class: from the predictions, or from their counts by class."""
    if isinstance(predictions, dict):
        return class_balance_bar(pd.DataFrame({"class": list(predictions), "rows": list(predictions.values())}))
    counts = predictions.astype(str).value_counts().rename_axis("class").reset_index(name="rows")
    return class_balance_bar(counts)


def contribution_bar(contributions: pd.DataFrame, label: str, axis_title: str, top: int = 12) -> go.Figure:
    """Each column's push toward ``label`` (SHAP values): the strongest on top, toward in green, away in grey."""
    shown = contributions.head(top).iloc[::-1]
    names = [f"{f} = {value_text(v)}" for f, v in zip(shown["feature"], shown["value"], strict=True)]
    values = shown["contribution"].tolist()
    fig = go.Figure(
        go.Bar(
            x=values,
            y=names,
            orientation="h",
            text=[("+" if v >= 0 else "") + significant(v, 3) for v in values],
            marker_color=["#2e7d32" if v >= 0 else "#b0bec5" for v in values],
        )
    )
    fig.update_layout(
        xaxis={"title": axis_title, "zeroline": True},
        yaxis={"type": "category", "automargin": True},
        height=max(200, 36 * len(names) + 80),
        margin={"t": 10, "b": 10},
    )
    return fig


def importance_bar(summary: pd.DataFrame, axis_title: str, top: int = 12) -> go.Figure:
    """The features that matter most across a batch: mean |SHAP value|, the largest on top."""
    shown = summary.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=shown["mean_abs"], y=shown["feature"], orientation="h", marker_color="#1565c0"))
    fig.update_layout(
        xaxis={"title": axis_title},
        yaxis={"type": "category", "automargin": True},
        height=max(200, 32 * len(shown) + 80),
        margin={"t": 10, "b": 10},
    )
    return fig
