"""Benchmark: core.data.loading's detect + read of a German-style CSV vs. a bare pandas read of the same bytes.

The file is generated in memory: 100,000 rows × 20 mixed columns (floats, integers, text with umlauts, True/False),
semicolon separator, decimal comma, cp1252. Both variants run in the same process, so the ratio is what counts.
Run by hand:  .venv/bin/python -m bench.bench_loading [--rows 100000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable


def make_content(rows: int) -> bytes:
    """A semicolon / decimal-comma / cp1252 CSV of `rows` rows and 20 columns."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(42)
    columns: dict[str, object] = {f"Messwert {i}": rng.normal(100, 30, rows).round(3) for i in range(10)}
    columns.update({f"Anzahl {i}": rng.integers(0, 10_000, rows) for i in range(4)})
    columns.update({f"Größe {i}": rng.choice(["klein", "mittel", "groß", "sehr groß"], rows) for i in range(4)})
    columns["Prüfung bestanden"] = rng.choice([True, False], rows)
    columns["Art"] = rng.choice(["Setosa", "Versicolor", "Virginica"], rows)
    return pd.DataFrame(columns).to_csv(index=False, sep=";", decimal=",").encode("cp1252")


def median_time(action: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` runs, in seconds."""
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import pandas as pd

    from core.data.loading import detect_csv_settings, read_table

    content = make_content(args.rows)
    print(f"{args.rows:,} rows × 20 columns, {len(content) / 1e6:.1f} MB, median of {args.repeat}")
    table = read_table(content, "bench.csv")  # warm-up, and the check that detection got it right
    assert table.settings is not None
    print(f"detected: {table.settings.describe()}; frame {table.frame.shape[0]:,} × {table.frame.shape[1]}")

    variants: dict[str, Callable[[], object]] = {
        "pandas read_csv(sep=';', decimal=',', encoding='cp1252')": lambda: pd.read_csv(
            io.BytesIO(content), sep=";", decimal=",", encoding="cp1252"
        ),
        "core.data.loading.detect_csv_settings only": lambda: detect_csv_settings(content),
        "core.data.loading.read_table (detect + checks + read)": lambda: read_table(content, "bench.csv"),
    }
    results = {label: median_time(action, args.repeat) for label, action in variants.items()}
    baseline = next(iter(results.values()))
    for label, seconds in results.items():
        print(f"{label:60s} {seconds:6.3f} s  ×{seconds / baseline:4.2f}")


if __name__ == "__main__":
    main()
