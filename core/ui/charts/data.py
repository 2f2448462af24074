"""U — the data page: pairs of features, class balance, a feature per class, correlations."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.common.i18n import number, tr

MAX_SCATTER_DIMENSIONS = 6


DRAW_ROWS = 5_000


def _count(value: int) -> str:
    """A whole number with thousands separators as the reader's language writes them: 5,000 or 5.000."""
    return number(value)


def _sample(frame: pd.DataFrame, max_rows: int) -> tuple[pd.DataFrame, str]:
    """At most max_rows rows for drawing, and a note saying so when sampled."""
    if len(frame) <= max_rows:
        return frame, ""
    note = tr("charts.random_sample", rows=_count(max_rows), total=_count(len(frame)))
    return frame.sample(max_rows, random_state=0), f" ({note})"


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
    labels = {"class": tr("charts.class"), "rows": tr("charts.rows")}
    fig = px.bar(balance, x="class", y="rows", text="rows", color="class", labels=labels)
    fig.update_layout(showlegend=False, height=280, margin={"t": 20, "b": 10})
    fig.update_xaxes(type="category")  # class labels such as 2007, 2008 are names, not points on a number line
    return fig


def feature_by_class(frame: pd.DataFrame, feature: str, target: str, max_rows: int = DRAW_ROWS) -> go.Figure:
    """A numeric feature's distribution per class (overlaid histograms), or a categorical one's counts by class."""
    numeric = pd.api.types.is_numeric_dtype(frame[feature]) and not pd.api.types.is_bool_dtype(frame[feature])
    if numeric:
        sample, note = _sample(frame[[feature, target]], max_rows)
        sample = sample.assign(**{target: sample[target].astype(str)})
        fig = px.histogram(sample, x=feature, color=target, barmode="overlay", opacity=0.6, nbins=40)
        title = tr("charts.feature_by_target", feature=feature, target=target) + note
    else:  # counts are exact: value_counts is cheap even on many rows
        counts = (
            frame.assign(**{feature: frame[feature].astype(str), target: frame[target].astype(str)})
            .groupby([feature, target])
            .size()
            .reset_index(name="rows")
        )
        top = counts.groupby(feature)["rows"].sum().nlargest(30).index
        fig = px.bar(
            counts[counts[feature].isin(top)],
            x=feature,
            y="rows",
            color=target,
            barmode="group",
            labels={"rows": tr("charts.rows")},
        )
        title = tr("charts.feature_by_target", feature=feature, target=target)
        if counts[feature].nunique() > 30:
            title += f" ({tr('charts.most_frequent', count=30)})"
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
