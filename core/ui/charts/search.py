"""A³ — a search's figures: progress over trials, parallel coordinates, hyperparameter importance, CV scores."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.common.i18n import percent, tr
from core.compare.diagnostics import finished_trials, trial_params


def search_progress(trials: pd.DataFrame, metric: str) -> go.Figure:
    """Score of each finished trial (failed ones marked at the bottom) and the best-so-far line."""
    score = f"CV {metric}"
    fig = go.Figure()
    if not trials.empty:
        finished = trials[trials["status"] == "FINISHED"]
        failed = trials[trials["status"] != "FINISHED"]
        fig.add_trace(
            go.Scatter(
                x=finished["trial"],
                y=finished[score],
                mode="markers",
                name=tr("charts.trial"),
                marker={"size": 9},
                error_y={"type": "data", "array": finished["± std"], "visible": True, "thickness": 1},
            )
        )
        best = trials.dropna(subset=["best so far"])
        fig.add_trace(
            go.Scatter(
                x=best["trial"], y=best["best so far"], mode="lines", name=tr("charts.best_so_far"), line_shape="hv"
            )
        )
        if not failed.empty:
            floor = finished[score].min() if not finished.empty else 0.0
            fig.add_trace(
                go.Scatter(
                    x=failed["trial"],
                    y=[floor] * len(failed),
                    mode="markers",
                    name=tr("charts.failed"),
                    marker={"symbol": "x", "size": 10, "color": "crimson"},
                    text=failed["error"],
                    hovertemplate=tr("charts.failed_hover"),
                )
            )
    fig.update_layout(
        xaxis_title=tr("charts.trial"),
        yaxis_title=score,
        height=320,
        margin={"t": 20, "b": 10},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig


def parallel_coordinates(trials: pd.DataFrame, metric: str, params: list[str] | None = None) -> go.Figure:
    """A search's finished trials across their hyperparameters and score; categories become labelled codes.

    ``trials`` is core.train.tuning.trials_frame's table (score column ``CV <metric>``); a plain ``metric`` column
    works too.
    """

    score = f"CV {metric}" if f"CV {metric}" in trials.columns else metric
    finished = finished_trials(trials, score) if not trials.empty else trials
    params = trial_params(trials) if params is None else params
    dimensions = [_parcoords_dimension(finished[p], str(p)) for p in params if p in finished.columns]
    values = pd.to_numeric(finished[score], errors="coerce") if score in finished else pd.Series(dtype=float)
    dimensions.append({"label": score, "values": values.tolist()})
    fig = go.Figure(
        go.Parcoords(
            line={"color": values.tolist(), "colorscale": "Viridis", "showscale": True, "colorbar": {"title": score}},
            dimensions=dimensions,
        )
    )
    fig.update_layout(height=380, margin={"t": 50, "l": 40, "r": 40, "b": 20})
    return fig


def _parcoords_dimension(column: pd.Series, label: str) -> dict:
    numbers = pd.to_numeric(column, errors="coerce")
    if column.notna().all() and numbers.notna().all() and not pd.api.types.is_bool_dtype(column):
        return {"label": label, "values": numbers.astype(float).tolist()}
    text = column.astype(str)
    categories = sorted(text.unique())
    codes = {c: i for i, c in enumerate(categories)}
    return {
        "label": label,
        "values": [codes[v] for v in text],
        "tickvals": list(range(len(categories))),
        "ticktext": categories,
        "range": [-0.5, len(categories) - 0.5] if len(categories) == 1 else [0, len(categories) - 1],
    }


def param_importance_bar(importances: dict[str, float], title: str = "") -> go.Figure:
    """Share of the score's variation per hyperparameter, the largest at the top."""
    ordered = sorted(importances.items(), key=lambda item: item[1])
    fig = go.Figure(
        go.Bar(
            x=[v for _, v in ordered],
            y=[k for k, _ in ordered],
            orientation="h",
            text=[percent(v, 0) for _, v in ordered],
            hovertemplate=tr("charts.param_importance_hover"),
        )
    )
    fig.update_layout(
        title=title,
        xaxis={"range": [0, 1.05], "tickformat": ".0%", "title": tr("charts.importance")},
        height=120 + 30 * max(len(importances), 1),
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
    )
    return fig


def cv_scores_bar(scores: pd.DataFrame) -> go.Figure:
    """Mean CV score per metric with the standard deviation as error bars (columns: metric, mean, std)."""
    fig = go.Figure(
        go.Bar(
            x=scores["metric"],
            y=scores["mean"],
            error_y={"type": "data", "array": scores["std"]},
        )
    )
    fig.update_layout(yaxis={"range": [0, 1.05]}, height=280, margin={"t": 10, "b": 10})
    return fig
