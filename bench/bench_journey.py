"""Benchmark: the handout's walk as a newcomer does it, with the guided tour's *let me do it* (issue 19).

For each round a fresh embedded store and a fresh ``streamlit run Home.py`` (bench_predict's ``start_server``),
headless Debian Chromium (Playwright) drives ``tests/e2e/journey.walk_tour``: the home page → *Let me do it* →
question and KPIs → the iris data → the handout's random forest → a random search of 8 trials → evaluate and
compare → register → ``@production`` (name typed, alias picked, the gate passed) → one prediction → finish, each
with the page's own controls, where the tour's box says which. It counts:

  clicks     every click, pick and typed field of the person (the tour's *Next step* included)
  pages      pages a person reads (the tour opens each step's page)
  waited     seconds from each click until the app had finished (connected, script not running), plus, after the
             step's click, until the tour's box said the step is in MLflow: the machine's waiting
  person     the walk at a person's pace: 2 s per click + 5 s per page read + the machine's waiting
  wall       the browser's own wall clock from the first request to the tour's closing message (a robot's pace)

Targets: the person's total ≤ 5 minutes, the machine's waiting ≤ 60 s. Run by hand on an idle machine:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_journey --repeat 3 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from bench.common import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server, wait_ready
from tests.e2e.journey import walk_tour

TARGET_PERSON_S = 300.0
TARGET_WAITED_S = 60.0


def one_round(browser, number: int) -> dict:
    """A fresh store and server, the whole walk in a new browser context; its tally and the machine's load."""
    with tempfile.TemporaryDirectory(prefix="bench-journey-") as folder:
        folder = Path(folder)
        store = folder / "store"
        store.mkdir()
        server = start_server(store, folder, None, number)
        try:
            ready = wait_ready(server)
            load_before = os.getloadavg()[0]
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            try:
                tally = walk_tour(context.new_page(), server.url)
            finally:
                context.close()
        finally:
            stop_server(server)
    wall = dict(tally.steps).get("wall clock of the whole walk")
    return {
        "server_ready_s": round(ready, 2),
        "clicks": tally.clicks,
        "pages": tally.pages,
        "waited_s": round(tally.waited_s, 1),
        "person_s": round(tally.person_s(), 1),
        "wall_s": wall,
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
        "waits": [step for step in tally.steps if step[0] != "wall clock of the whole walk"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds, each on a fresh store and server")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    rounds = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for number in range(args.repeat):
                rounds.append(one_round(browser, number))
                r = rounds[-1]
                print(
                    f"round {number + 1}: {r['clicks']} clicks, {r['pages']} pages, machine waited {r['waited_s']} s, "
                    f"person's pace {r['person_s']} s, wall {r['wall_s']} s "
                    f"(load {r['load_before']}→{r['load_after']})",
                    flush=True,
                )
        finally:
            browser.close()
    median = {key: statistics.median(r[key] for r in rounds) for key in ("person_s", "waited_s", "wall_s")}
    longest = sorted((w for r in rounds for w in r["waits"]), key=lambda w: -w[1])[:6]
    print(f"\nmachine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"clicks {rounds[0]['clicks']}, pages {rounds[0]['pages']} (the same in every round)")
    for key, target in (("person_s", TARGET_PERSON_S), ("waited_s", TARGET_WAITED_S), ("wall_s", None)):
        values = sorted(r[key] for r in rounds)
        aim = f" (target ≤ {target:g} s: {'met' if median[key] <= target else 'NOT met'})" if target else ""
        print(f"{key:10s} min {values[0]} · median {median[key]} · max {values[-1]} s{aim}")
    print("longest waits: " + ", ".join(f"{what} {seconds} s" for what, seconds in longest))
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, "median": median}, indent=2))
    return 0 if median["person_s"] <= TARGET_PERSON_S and median["waited_s"] <= TARGET_WAITED_S else 1


if __name__ == "__main__":
    sys.exit(main())
