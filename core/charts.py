"""Plotly figure builders for every page; pure functions of frames and results."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

MAX_SCATTER_DIMENSIONS = 6


def scatter_matrix(frame: pd.DataFrame, target: str, max_rows: int = 2000) -> go.Figure:
    """Pairwise scatter of the most varied numeric features, coloured by class."""
    numeric = [c for c in frame.select_dtypes("number").columns if c != target]
    if numeric:
        spread = (frame[numeric].std() / (frame[numeric].abs().mean() + 1e-12)).sort_values(ascending=False)
        numeric = list(spread.index[:MAX_SCATTER_DIMENSIONS])
    sample, note = _sample(frame, max_rows)
    sample = sample.assign(**{target: sample[target].astype(str)})
    fig = px.scatter_matrix(sample, dimensions=numeric, color=target, opacity=0.7, title=note.strip(" ()") or None)
    fig.update_traces(diagonal_visible=False, marker={"size": 4})
    fig.update_layout(
        height=180 + 130 * max(len(numeric), 1),
        margin={"t": 30, "l": 10, "r": 10, "b": 10},
    )
    return fig


def class_balance_bar(balance: pd.DataFrame) -> go.Figure:
    """Rows per class."""
    fig = px.bar(balance, x="class", y="rows", text="rows", color="class")
    fig.update_layout(showlegend=False, height=280, margin={"t": 20, "b": 10})
    return fig


def confusion_heatmap(labels: list[str], matrix: list[list[int]], title: str = "") -> go.Figure:
    """Confusion matrix with true classes as rows and predicted classes as columns."""
    fig = go.Figure(
        go.Heatmap(
            z=matrix,
            x=labels,
            y=labels,
            colorscale="Blues",
            text=matrix,
            texttemplate="%{text}",
            hovertemplate="true %{y}<br>predicted %{x}<br>%{z} rows<extra></extra>",
            showscale=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title="predicted",
        yaxis_title="true",
        yaxis_autorange="reversed",
        height=320,
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
    )
    return fig


def probability_bar(probabilities: dict[str, float]) -> go.Figure:
    """Class probabilities of one prediction, the winner highlighted."""
    classes = list(probabilities)
    values = [probabilities[c] for c in classes]
    best = max(values) if values else 0
    fig = go.Figure(
        go.Bar(
            x=classes,
            y=values,
            text=[f"{v:.0%}" for v in values],
            marker_color=["#2e7d32" if v == best else "#90a4ae" for v in values],
        )
    )
    fig.update_layout(
        yaxis={"range": [0, 1], "tickformat": ".0%"},
        height=280,
        margin={"t": 10, "b": 10},
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


def test_metric_bars(table: pd.DataFrame, metrics: list[str]) -> go.Figure:
    """Held-out metrics of several runs side by side (one row per run, a column per metric, 'run' label)."""
    long = table.melt(id_vars="run", value_vars=metrics, var_name="metric", value_name="score")
    fig = px.bar(long, x="metric", y="score", color="run", barmode="group")
    fig.update_layout(yaxis={"range": [0, 1.05]}, height=320, margin={"t": 10, "b": 10})
    return fig


def prediction_counts_bar(predictions: pd.Series) -> go.Figure:
    """How many rows got each predicted class."""
    counts = predictions.astype(str).value_counts().rename_axis("class").reset_index(name="rows")
    return class_balance_bar(counts)


DRAW_ROWS = 5_000


def _sample(frame: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, str]:
    """At most max_rows rows for drawing, and a note saying so when sampled."""
    if len(frame) <= max_rows:
        return frame, ""
    return frame.sample(max_rows, random_state=0), f" (random sample of {max_rows:,} of {len(frame):,} rows)"


def feature_by_class(frame: pd.DataFrame, feature: str, target: str, max_rows: int = DRAW_ROWS) -> go.Figure:
    """A numeric feature's distribution per class (overlaid histograms), or a categorical one's counts by class."""
    numeric = pd.api.types.is_numeric_dtype(frame[feature]) and not pd.api.types.is_bool_dtype(frame[feature])
    if numeric:
        sample, note = _sample(frame[[feature, target]], max_rows)
        sample = sample.assign(**{target: sample[target].astype(str)})
        fig = px.histogram(sample, x=feature, color=target, barmode="overlay", opacity=0.6, nbins=40)
        title = f"{feature} by {target}{note}"
    else:  # counts are exact: value_counts is cheap even on many rows
        counts = (
            frame.assign(**{feature: frame[feature].astype(str), target: frame[target].astype(str)})
            .groupby([feature, target])
            .size()
            .reset_index(name="rows")
        )
        top = counts.groupby(feature)["rows"].sum().nlargest(30).index
        fig = px.bar(counts[counts[feature].isin(top)], x=feature, y="rows", color=target, barmode="group")
        title = f"{feature} by {target}" + (" (30 most frequent values)" if counts[feature].nunique() > 30 else "")
    fig.update_layout(title=title, height=360, margin={"t": 40, "b": 10})
    return fig


def correlation_heatmap(frame: pd.DataFrame, columns: list[str]) -> go.Figure:
    """Pearson correlations between numeric columns."""
    numeric = [
        c for c in columns if pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
    ]
    corr = frame[numeric].corr().round(2) if numeric else pd.DataFrame()
    fig = go.Figure(
        go.Heatmap(
            z=corr.values,
            x=list(corr.columns),
            y=list(corr.index),
            zmin=-1,
            zmax=1,
            colorscale="RdBu",
            text=corr.values,
            texttemplate="%{text}" if len(numeric) <= 15 else None,
        )
    )
    fig.update_layout(height=200 + 28 * max(len(numeric), 1), yaxis_autorange="reversed", margin={"t": 10, "b": 10})
    return fig


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
                name="trial",
                marker={"size": 9},
                error_y={"type": "data", "array": finished["± std"], "visible": True, "thickness": 1},
            )
        )
        best = trials.dropna(subset=["best so far"])
        fig.add_trace(
            go.Scatter(x=best["trial"], y=best["best so far"], mode="lines", name="best so far", line_shape="hv")
        )
        if not failed.empty:
            floor = finished[score].min() if not finished.empty else 0.0
            fig.add_trace(
                go.Scatter(
                    x=failed["trial"],
                    y=[floor] * len(failed),
                    mode="markers",
                    name="failed",
                    marker={"symbol": "x", "size": 10, "color": "crimson"},
                    text=failed["error"],
                    hovertemplate="trial %{x} failed: %{text}<extra></extra>",
                )
            )
    fig.update_layout(
        xaxis_title="trial",
        yaxis_title=score,
        height=320,
        margin={"t": 20, "b": 10},
        legend={"orientation": "h", "y": 1.1},
    )
    return fig
