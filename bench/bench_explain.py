"""How long "Why this prediction?" takes: one row explained for each of the nine algorithms, on iris (4 columns)
and on a generated 30-column set (25 numbers, 5 categories), against the same 100 training rows the Predict page
uses. Each row is timed as the page explains it (``explain.explain`` with the page's 2 s budget: a permutation
explanation estimated over it uses fewer orderings of the columns, said in the table), ``--rows`` rows
per model, and the prediction of the same row is timed beside it as the baseline; median and p95 per model. A
row the page would refuse as too long (it offers a sampled explanation instead) is timed as the person waits:
the refusal plus the sampled explanation after it.

Targets (issue 23): p95 ≤ 300 ms for tree and linear models, ≤ 2 s for any.

    .venv/bin/python -m bench.bench_explain --rows 30
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from bench.common import load, percentile


def _iris() -> tuple[pd.DataFrame, pd.Series]:
    from sklearn.datasets import load_iris

    X, y = load_iris(return_X_y=True, as_frame=True)
    return X, y.map(dict(enumerate(["setosa", "versicolor", "virginica"])))


def _wide(rows: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """30 columns: 25 numbers (five of them informative) and 5 categories of 4–6 values; three classes."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i:02d}": rng.normal(size=rows) for i in range(25)})
    for j in range(5):
        X[f"c{j}"] = rng.choice([f"v{k}" for k in range(4 + j % 3)], rows)
    score = X[["x00", "x01", "x02", "x03", "x04"]].sum(axis=1) + (X["c0"] == "v1") * 1.5
    y = pd.Series(np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])).astype(str), name="y").map(
        {"0": "low", "1": "mid", "2": "high"}
    )
    return X, y


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=30, help="rows explained one at a time per model")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    import shap  # noqa: F401 — imported once before timing, as the page's first explanation pays it

    from core.serve import explain
    from core.train.algorithms import ALGORITHMS, build_pipeline

    print(f"load before: {load()}")
    print("| data | algorithm | method | explain median ms | p95 ms | predict median ms | ratio |")
    print("|---|---|---|---|---|---|---|")
    results = []
    for data_name, (X, y) in (("iris", _iris()), ("30 columns", _wide())):
        train = X.sample(frac=0.8, random_state=1)
        rows = X.drop(train.index).head(args.rows)
        reference = explain.reference_rows(train)
        for key in ALGORITHMS:
            model = build_pipeline(key, {}, train).fit(train, y.loc[train.index])
            explain.explain(model, rows.iloc[[0]], reference, budget_s=None)  # first call: explainer set-up paths
            times, predicts, orderings, refused = [], [], [], []
            method = explain.method_for(model)
            for i in range(len(rows)):
                row = rows.iloc[[i]]
                started = time.perf_counter()
                model.predict_proba(row)
                predicts.append(time.perf_counter() - started)
                started = time.perf_counter()
                try:
                    (found,) = explain.explain(model, row, reference, budget_s=explain.BUDGET_S)
                except explain.TooLong:  # the page says so and offers a sampled one: the person's wait is both
                    refused.append(time.perf_counter() - started)
                    (found,) = explain.explain(model, row, reference, budget_s=explain.BUDGET_S, sampled=True)
                times.append(time.perf_counter() - started)
                orderings.append(found.permutations)
            median, p95 = statistics.median(times) * 1000, percentile(times, 95) * 1000
            base = statistics.median(predicts) * 1000
            results.append((data_name, key, method, median, p95))
            used = min((o for o in orderings if o is not None), default=None)
            shown = f"{method} ({used} orderings)" if used is not None and used < explain.PERMUTATIONS else method
            if refused:
                shown += (
                    f"; {len(refused)}/{len(rows)} refused in {statistics.median(refused) * 1000:.0f} ms, then sampled"
                )
            print(f"| {data_name} | {key} | {shown} | {median:.0f} | {p95:.0f} | {base:.1f} | {median / base:.0f}× |")
    print(f"load after: {load()}")
    fast = [r for r in results if r[2] in ("tree", "linear")]
    print(
        f"tree/linear p95 max: {max(r[4] for r in fast):.0f} ms (target ≤ 300); any p95 max: "
        f"{max(r[4] for r in results):.0f} ms (target ≤ 2000)"
    )


if __name__ == "__main__":
    main()
