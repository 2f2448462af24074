"""Benchmark: the floor under issue 7's "first prediction after `streamlit run` ≤ 5 s" on this machine.

The same measurement as bench_predict's first prediction (``Popen`` of ``streamlit run`` → the first answer
painted after one click, headless Chromium, the page's own clock), for pages that do less and less than the
workbench's Predict page:

  bare        bench/floor/app.py: the handout's page (title, four sidebar sliders, button, alert) with no model
              and no import beyond Streamlit — what Streamlit and the browser alone cost
  imports     the same page importing mlflow, pandas and scikit-learn's forest (FLOOR_IMPORTS=1), no model load
  workbench   ``streamlit run Home.py`` deep-linked to /predict on a seeded store (bench_predict's store)

Each ``--repeat`` times, the variants interleaved, a fresh server each; medians. Run by hand:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_floor [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_handout import HANDOUT_PAGE
from bench.bench_load import seed_store
from bench.bench_predict import WORKBENCH_PAGE, first_prediction
from bench.common import CHROMIUM, CHROMIUM_ARGS, ROOT, BenchFailure, load, start_server, stop_server

VARIANTS = ("bare", "imports", "workbench")


def start(variant: str, store: Path, folder: Path, number: int):
    if variant == "workbench":
        return start_server(store, folder, None, number)
    env = {"FLOOR_IMPORTS": "1" if variant == "imports" else "0"}
    return start_server(store, folder, None, number, extra_env=env, script=str(ROOT / "bench" / "floor" / "app.py"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5, help="fresh servers per variant (medians)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise BenchFailure(f"{CHROMIUM} is missing: apt-get install -y chromium")
    folder = Path(tempfile.mkdtemp(prefix="bench-floor-")).resolve()
    store = folder / "store"
    store.mkdir()
    results: dict[str, list] = {v: [] for v in VARIANTS}
    failures: list[str] = []
    print(f"{os.cpu_count()} cores; load before {load()}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    try:
        seed_store(store, {})
        number = 0
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                for round_number in range(args.repeat):
                    order = VARIANTS if round_number % 2 == 0 else VARIANTS[::-1]
                    for variant in order:
                        number += 1
                        server = start(variant, store, folder, number)
                        try:
                            spec = WORKBENCH_PAGE if variant == "workbench" else HANDOUT_PAGE
                            times, context, _ = first_prediction(browser, server, spec)
                            context.close()
                        except BenchFailure as exc:  # reported and counted; the other rounds still run
                            failures.append(f"{variant}, round {round_number + 1}: {exc}")
                            print(f"  {failures[-1]}", flush=True)
                            continue
                        finally:
                            stop_server(server)
                        results[variant].append(times)
                        print(
                            f"  {variant}, round {round_number + 1}: ready {times.ready:.2f} s, shown "
                            f"{times.shown:.2f} s, predicted {times.predicted:.2f} s (load {load()})",
                            flush=True,
                        )
            finally:
                browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\n| page | server ready | page shown | first prediction painted | runs |\n|---|---|---|---|---|")
    for variant in VARIANTS:
        starts = results[variant]
        if not starts:
            print(f"| {variant} | — | — | — | 0 |")
            continue

        def med(field: str, starts=starts) -> str:
            return f"{statistics.median(getattr(s, field) for s in starts):.2f} s"

        low = min(s.predicted for s in starts)
        high = max(s.predicted for s in starts)
        print(
            f"| {variant} | {med('ready')} | {med('shown')} | **{med('predicted')}** ({low:.2f}–{high:.2f}) "
            f"| {len(starts)} |"
        )
    print(f"\nload after {load()}; failed starts: {failures or 'none'}")
    print(
        "command: MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_floor "
        + " ".join(sys.argv[1:])
    )
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
