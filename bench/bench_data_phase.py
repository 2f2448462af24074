"""Benchmark of the U phase on 100,000 × 20: load + validate, profile first and second look, page rerender.

Baselines measured in the same run: a bare ``pd.read_csv`` of the same bytes (loading) and the first
profile build (second look). Run by hand:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_data_phase [--rows 100000]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import tempfile
import time
import warnings

from bench.common import ROOT


def timed(action, repeat: int = 1) -> tuple[float, object]:
    """Median seconds over ``repeat`` calls and the last result."""
    timings, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    os.environ["QUA3CK_DATA_DIR"] = tempfile.mkdtemp()
    os.environ.pop("MLFLOW_TRACKING_URI", None)

    import pandas as pd

    from bench.bench_loading import make_content
    from core.data import datastore, profiling
    from core.data.loading import read_table
    from core.question import projects

    content = make_content(args.rows)
    print(f"{args.rows:,} rows × 20 columns, {len(content) / 1e6:.1f} MB, ';' + decimal comma + cp1252")
    base, _ = timed(lambda: pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="cp1252"), 3)
    load, table = timed(lambda: read_table(content, "data.csv"), 3)
    check, (roles, features, findings) = timed(lambda: datastore.check_dataset(table.frame, "Art"), 3)
    print(f"  bare pandas read (baseline)          {base:6.2f} s")
    print(f"  load (detect + read + checks)        {load:6.2f} s   ({load / base:.1f}x baseline)")
    print(f"  roles + validation                   {check:6.2f} s   ({len(findings)} findings)")
    print(f"  load + validation                    {load + check:6.2f} s   (target ≤ 3 s)")

    project = projects.create_project("bench")
    first, html = timed(lambda: profiling.profile_html(table.frame, "bench"))
    record = datastore.record_dataset(
        project.experiment_id, table.frame, "bench", "Art", profile_html=html, profile_digest="bench-digest"
    )
    again, stored = timed(lambda: profiling.stored_profile("bench-digest"), 3)
    assert stored == html and record.run_id
    mode = "minimal" if profiling.uses_minimal_mode(table.frame) else "full"
    print(f"  profile, first build ({mode} mode)     {first:6.2f} s   (target ≤ 15 s)")
    print(f"  profile, second look (from MLflow)   {again:6.2f} s   ({again / first:.3f}x first; target ≤ 0.5 s)")

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=300)
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="data_source").set_value("Upload a file").run()
    first_render, _ = timed(lambda: at.file_uploader(key="data_upload").set_value(("d.csv", content, "text/csv")).run())
    features_box = at.selectbox(key="data_feature")
    options = features_box.options
    rerender_times = []
    for option in options[1:4]:
        seconds, _ = timed(lambda option=option: at.selectbox(key="data_feature").set_value(option).run())
        rerender_times.append(seconds)
    assert not at.exception, [e.value for e in at.exception]
    print(f"  data page, first render after upload {first_render:6.2f} s")
    print(f"  data page rerender (chart option)    {statistics.median(rerender_times):6.2f} s   (target ≤ 1 s)")


if __name__ == "__main__":
    main()
