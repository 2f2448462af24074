"""Plotly figure builders for every page; pure functions of frames and results."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from core.common.i18n import number, percent, tr

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
    labels = {"class": tr("charts.class"), "rows": tr("charts.rows")}
    fig = px.bar(balance, x="class", y="rows", text="rows", color="class", labels=labels)
    fig.update_layout(showlegend=False, height=280, margin={"t": 20, "b": 10})
    fig.update_xaxes(type="category")  # class labels such as 2007, 2008 are names, not points on a number line
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
            hovertemplate=tr("charts.confusion_hover"),
            showscale=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=tr("charts.predicted"),
        yaxis_title=tr("charts.true"),
        yaxis_autorange="reversed",
        xaxis_type="category",
        yaxis_type="category",
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
    labels = {"metric": tr("charts.metric"), "score": tr("charts.score"), "run": tr("charts.run")}
    fig = px.bar(long, x="metric", y="score", color="run", barmode="group", labels=labels)
    fig.update_layout(yaxis={"range": [0, 1.05]}, height=320, margin={"t": 10, "b": 10})
    return fig


def prediction_counts_bar(predictions: pd.Series) -> go.Figure:
    """How many rows got each predicted class."""
    counts = predictions.astype(str).value_counts().rename_axis("class").reset_index(name="rows")
    return class_balance_bar(counts)


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


# ---- C phase: diagnostics of runs on the held-out rows (inputs from core.compare.diagnostics) ----

CLASS_COLORS = px.colors.qualitative.Plotly


def confusion_heatmap_normalized(labels: list[str], matrix: list[list[int]], title: str = "") -> go.Figure:
    """Confusion matrix coloured by each true class's share (row-normalised), with the counts alongside."""
    from core.compare.diagnostics import normalized_confusion

    shares = normalized_confusion(matrix)
    text = [
        [f"{percent(s)}<br>({number(n)})" for s, n in zip(share_row, row, strict=True)]
        for share_row, row in zip(shares, matrix, strict=True)
    ]
    fig = go.Figure(
        go.Heatmap(
            z=shares,
            x=labels,
            y=labels,
            zmin=0,
            zmax=1,
            colorscale="Blues",
            text=text,
            texttemplate="%{text}",
            customdata=matrix,
            hovertemplate=tr("charts.confusion_share_hover"),
            showscale=False,
        )
    )
    fig.update_layout(
        title=title,
        xaxis_title=tr("charts.predicted"),
        yaxis_title=tr("charts.true"),
        yaxis_autorange="reversed",
        height=320,
        margin={"t": 40 if title else 10, "l": 10, "r": 10, "b": 10},
    )
    return fig


def roc_curves(curves: dict, title: str = "") -> go.Figure:
    """One-vs-rest ROC curve per class (AUC in the legend) and the chance diagonal."""
    fig = go.Figure()
    for i, (cls, curve) in enumerate(curves.get("curves", {}).items()):
        fig.add_trace(
            go.Scatter(
                x=curve["fpr"],
                y=curve["tpr"],
                mode="lines",
                name=f"{cls} (AUC {number(curve['auc'], 3)})",
                line={"color": CLASS_COLORS[i % len(CLASS_COLORS)]},
                hovertemplate=f"{cls}<br>" + tr("charts.roc_hover"),
            )
        )
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
    fig = go.Figure()
    for i, (cls, curve) in enumerate(curves.get("curves", {}).items()):
        fig.add_trace(
            go.Scatter(
                x=curve["recall"],
                y=curve["precision"],
                mode="lines",
                line_shape="hv",
                name=f"{cls} (AP {number(curve['average_precision'], 3)})",
                line={"color": CLASS_COLORS[i % len(CLASS_COLORS)]},
                hovertemplate=f"{cls}<br>" + tr("charts.pr_hover"),
            )
        )
    return _curve_layout(fig, title, tr("charts.recall"), tr("charts.precision"))


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


def parallel_coordinates(trials: pd.DataFrame, metric: str, params: list[str] | None = None) -> go.Figure:
    """A search's finished trials across their hyperparameters and score; categories become labelled codes.

    ``trials`` is core.train.tuning.trials_frame's table (score column ``CV <metric>``); a plain ``metric`` column
    works too.
    """
    from core.compare.diagnostics import finished_trials, trial_params

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
