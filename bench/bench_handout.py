"""Benchmark: the workbench against the handout (issue 10) — ours vs theirs, in one run on one machine.

The baseline is the handout's own flow (Teil 4), reproduced in ``bench/handout/``: ``train.py`` trains the Iris
random forest (100 trees, depth 5, seed 42), logs it with ``mlflow.sklearn.log_model``, registers it and puts
``@production-candidate`` on it; ``app.py`` is the Streamlit app that loads ``models:/iris-classifier@production-
candidate`` with ``mlflow.pyfunc.load_model`` (cached), four sliders and a "Predict Species" button. The
workbench side uses the same Iris data, the same hyperparameters (the catalogue's random forest defaults are
100 trees, depth 5, seed 42) and the same kind of store: every store below is a fresh embedded SQLite store in
a temporary folder. Each part runs both sides alternately, ``--repeat`` times, and reports medians:

  logging    a fresh interpreter and store per side and round. Theirs: ``bench/handout/train.py`` run twice in
             the process (``runpy``), each ``mlflow.sklearn.log_model`` call timed. Ours: the same Iris data
             recorded in a workbench project, the random forest pipeline fitted on its training split and logged
             twice with ``core.train.training.log_pipeline`` (each in its own run). Both import ``mlflow.sklearn``
             before the first call; "cold" is the first call in the process, "warm" the second.
  start      ``streamlit run`` of each app on a free port (bench_predict's ``start_server``, same flags), a fresh
             server per round, headless Debian Chromium (Playwright) with bench_predict's in-page clock: from
             ``Popen`` to server ready (``/_stcore/health``), predict button painted, page idle (button shown,
             connected, script not running) = interactive; then one click: from ``Popen`` to the first
             prediction painted. Theirs: ``bench/handout/app.py`` run from its own project folder (``/``);
             ours: ``Home.py`` deep-linked to ``/predict`` (model ``iris-classifier@production``, prediction
             log on, as shipped).
  warm       on the first round's two servers, both kept up: ``--clicks`` × (move a petal slider by keyboard,
             wait 400 ms, click predict) per side, in blocks of 5 alternating between the two pages; click →
             prediction painted, p50 / p95 (bench_predict's ``warm_clicks``). The handout's sliders are not in a
             form, so each move reruns its script: that run ends, and 400 ms more pass, before the click.
  load       a fresh interpreter per side and round with ``mlflow`` and ``pandas`` imported (and ours with
             ``core.serve.predict``): theirs ``mlflow.pyfunc.load_model("models:/iris-classifier@production-
             candidate")``, ours ``registry.resolve_alias`` + ``predict.load_served_model`` (what the Predict
             page loads: the model, its signature, feature ranges and schema); cold (first) and warm (second).
  search     ``bench/bench_search.py --json`` in a child process: ``--search-trials`` random-search trials with
             5-fold CV, untracked (bare), tracked the handout's way (a ``mlflow.start_run`` per trial logging
             params and metrics, as ``train.py`` does), and the workbench's ``run_search``.

Run by hand (``--json`` also writes every raw figure):
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_handout --repeat 3 [--clicks 30]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from bench.bench_predict import WORKBENCH_PAGE, PredictPage, first_prediction, warm_clicks
from bench.common import CHROMIUM, CHROMIUM_ARGS, MODEL, ROOT, BenchFailure, load, percentile, start_server, stop_server

HANDOUT = ROOT / "bench" / "handout"
HANDOUT_MODEL = "iris-classifier"
HANDOUT_ALIAS = "production-candidate"
HANDOUT_PAGE = PredictPage(
    path="/",
    button="Predict Species",
    button_selector='[data-testid="stButton"] button',
    alert="The predicted species is",
    pattern=re.compile(r"The predicted species is: (\S+)"),
    sliders=tuple(
        f'[data-testid="stSidebar"] input[type=range][aria-label="{label}"]'
        for label in ("Sepal Length (cm)", "Sepal Width (cm)", "Petal Length (cm)", "Petal Width (cm)")
    ),
    moved=(2, 3),  # petal length and width, as on the workbench's page
    reruns_on_input=True,
)
SIDES = ("theirs", "ours")
CHILD_TIMEOUT_S = 900


# ------------------------------------------------------------------------------------- child processes (cold)


def child_log_theirs(store: Path) -> dict:
    """The handout's train.py twice in this process (store: MLFLOW_TRACKING_URI), each log_model call timed."""
    import runpy

    import mlflow
    import mlflow.sklearn

    original = mlflow.sklearn.log_model
    seconds: list[float] = []

    def timed_log_model(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    mlflow.sklearn.log_model = timed_log_model
    scripts = []
    for _ in range(2):
        started = time.perf_counter()
        runpy.run_path(str(HANDOUT / "train.py"), run_name="__main__")
        scripts.append(time.perf_counter() - started)
    return {"cold": seconds[0], "warm": seconds[1], "script_first_s": scripts[0], "script_second_s": scripts[1]}


def child_log_ours(store: Path) -> dict:
    """The workbench's model logging twice in this process (store: QUA3CK_DATA_DIR), each call timed."""
    import mlflow
    import mlflow.sklearn  # noqa: F401 — imported before the first call, as on the handout's side

    from core.data import datastore, sets
    from core.question import projects
    from core.train.algorithms import build_pipeline
    from core.train.training import log_pipeline

    project = projects.create_project("bench-handout")
    record = datastore.record_dataset(project.experiment_id, sets.load_builtin("iris"), "iris", "species")
    X, y = record.train_xy()
    pipeline = build_pipeline("random_forest", {"n_estimators": 100, "max_depth": 5}, X, seed=42).fit(X, y)
    seconds = []
    for _ in range(2):
        with mlflow.start_run(experiment_id=project.experiment_id):
            started = time.perf_counter()
            log_pipeline(pipeline, X)
            seconds.append(time.perf_counter() - started)
    return {"cold": seconds[0], "warm": seconds[1]}


def child_seed_ours(store: Path) -> dict:
    """bench_predict's store: the example project, Iris, the random forest as iris-classifier v1 @production."""
    from bench.common import build_store

    built = build_store()
    return {"version": built["version"], "params": {k: str(v) for k, v in built["params"].items()}}


def child_load_theirs(store: Path) -> dict:
    import mlflow
    import pandas  # noqa: F401 — imported before the timing on both sides

    uri = f"models:/{HANDOUT_MODEL}@{HANDOUT_ALIAS}"
    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        model = mlflow.pyfunc.load_model(model_uri=uri)
        seconds.append(time.perf_counter() - started)
    model.predict(pandas.DataFrame([[5.4, 3.4, 1.4, 0.2]]))
    return {"cold": seconds[0], "warm": seconds[1]}


def child_load_ours(store: Path) -> dict:
    import mlflow  # noqa: F401 — imported before the timing on both sides
    import pandas  # noqa: F401

    from core.registry import model_registry
    from core.serve import predict

    seconds = []
    for _ in range(2):
        started = time.perf_counter()
        version = model_registry.resolve_alias(MODEL, "production").version
        model = predict.load_served_model(MODEL, version)
        seconds.append(time.perf_counter() - started)
    predict.predict_one(model, predict.default_inputs(model))
    return {"cold": seconds[0], "warm": seconds[1]}


CHILDREN = {
    "log-theirs": child_log_theirs,
    "log-ours": child_log_ours,
    "seed-ours": child_seed_ours,
    "load-theirs": child_load_theirs,
    "load-ours": child_load_ours,
}


def store_env(side: str, store: Path) -> dict[str, str]:
    """What points a child or server at ``side``'s store: theirs MLflow's URI (and the model name the handout's
    scripts read), ours the workbench's folder."""
    if side == "theirs":
        return {"MLFLOW_TRACKING_URI": f"sqlite:///{store / 'mlflow.db'}", "HANDOUT_MODEL_NAME": HANDOUT_MODEL}
    return {"QUA3CK_DATA_DIR": str(store)}


def run_child(kind: str, store: Path) -> dict:
    """``kind`` in a fresh interpreter on ``store`` (the handout's side runs from its store folder, as train.py
    would from the project folder: MLflow's default artifact root is ./mlruns); its result, a JSON object."""
    side = kind.split("-")[1]
    store.mkdir(parents=True, exist_ok=True)
    out = store / f"{kind}.json"
    command = [sys.executable, "-m", "bench.bench_handout", "--child", kind, "--store", str(store), "--out", str(out)]
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    env |= {"MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false", "PYTHONWARNINGS": "ignore", **store_env(side, store)}
    env["PYTHONPATH"] = str(ROOT)  # the handout's side runs from its store folder: ``-m bench…`` needs the repository
    cwd = store if side == "theirs" else ROOT
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT_S)
    if done.returncode != 0 or not out.exists():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:400]
        raise BenchFailure(f"{kind} failed (exit {done.returncode}): {tail}")
    return json.loads(out.read_text())


# ------------------------------------------------------------------------------------------------------ parts


def logging_part(args, folder: Path) -> dict:
    out: dict[str, list[dict]] = {side: [] for side in SIDES}
    for number in range(args.repeat):
        for side in SIDES if number % 2 == 0 else SIDES[::-1]:
            out[side].append(run_child(f"log-{side}", folder / f"log-{side}-{number}"))
        print(
            f"  logging round {number + 1}: theirs cold {out['theirs'][-1]['cold']:.2f} s / warm "
            f"{out['theirs'][-1]['warm']:.2f} s, ours cold {out['ours'][-1]['cold']:.2f} s / warm "
            f"{out['ours'][-1]['warm']:.2f} s (load {load()})",
            flush=True,
        )
    return out


def load_part(args, stores: dict[str, Path]) -> dict:
    out: dict[str, list[dict]] = {side: [] for side in SIDES}
    for number in range(args.repeat):
        for side in SIDES if number % 2 == 0 else SIDES[::-1]:
            out[side].append(run_child(f"load-{side}", stores[side]))
        print(
            f"  load round {number + 1}: theirs cold {out['theirs'][-1]['cold']:.2f} s / warm "
            f"{out['theirs'][-1]['warm']:.2f} s, ours cold {out['ours'][-1]['cold']:.2f} s / warm "
            f"{out['ours'][-1]['warm']:.2f} s (load {load()})",
            flush=True,
        )
    return out


def start(side: str, stores: dict[str, Path], folder: Path, number: int):
    if side == "theirs":
        store = stores["theirs"]
        return start_server(
            store,
            folder,
            None,
            number,
            extra_env=store_env("theirs", store),
            script=str(HANDOUT / "app.py"),
            cwd=store,
        )
    return start_server(stores["ours"], folder, None, number)  # as bench_predict starts it: log on


def browser_part(args, stores: dict[str, Path], folder: Path) -> dict:
    """Per round a fresh server per side, one after the other (alternating which goes first), each timed to its
    first prediction. The first round's two servers stay up for the warm clicks, made in blocks of
    ``CLICK_BLOCK`` alternating between the two pages, so both sides see the same (shared) machine."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise BenchFailure(f"{CHROMIUM} is missing: apt-get install -y chromium")
    specs = {"theirs": HANDOUT_PAGE, "ours": WORKBENCH_PAGE}
    out: dict = {side: {"starts": [], "clicks": None} for side in SIDES}
    number = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        out["chromium"] = browser.version
        try:
            for round_number in range(args.repeat):
                servers, contexts, pages = [], [], {}
                try:
                    for side in SIDES if round_number % 2 == 0 else SIDES[::-1]:
                        number += 1
                        servers.append(start(side, stores, folder, number))
                        times, context, pages[side] = first_prediction(browser, servers[-1], specs[side])
                        contexts.append(context)
                        out[side]["starts"].append(times.__dict__)
                        print(
                            f"  {side}, start {round_number + 1}: ready {times.ready:.2f} s, shown {times.shown:.2f} "
                            f"s, idle {times.idle:.2f} s, predicted {times.predicted:.2f} s (load {load()})",
                            flush=True,
                        )
                        if round_number > 0:  # only the first round's servers are kept for the warm clicks
                            contexts.pop().close()
                            stop_server(servers.pop())
                    if round_number == 0 and args.clicks:
                        for side, clicks in interleaved_clicks(pages, specs, args.clicks, args.seed).items():
                            out[side]["clicks"] = clicks
                            painted = clicks["painted"]
                            print(
                                f"  {side}, {args.clicks} warm clicks: p50 {statistics.median(painted) * 1000:.0f} ms, "
                                f"p95 {percentile(painted, 95) * 1000:.0f} ms, "
                                f"{len(clicks['timed_out'])} timed out",
                                flush=True,
                            )
                            for said in clicks["timed_out"]:
                                print(f"    timed out: {said}", flush=True)
                        print(f"  (warm clicks done, load {load()})", flush=True)
                finally:
                    for context in contexts:
                        context.close()
                    for server in servers:
                        stop_server(server)
        finally:
            browser.close()
    return out


CLICK_BLOCK = 5


def interleaved_clicks(pages: dict, specs: dict, count: int, seed: int) -> dict[str, dict]:
    """``count`` warm clicks per side (bench_predict's ``warm_clicks``), in alternating blocks."""
    merged: dict[str, dict] = {
        side: {"painted": [], "done": [], "unchanged": 0, "timed_out": [], "classes": set(), "inputs": set()}
        for side in SIDES
    }
    for block, first in enumerate(range(0, count, CLICK_BLOCK)):
        for side in SIDES if block % 2 == 0 else SIDES[::-1]:
            clicks = warm_clicks(pages[side], min(CLICK_BLOCK, count - first), seed + block, specs[side])
            into = merged[side]
            into["painted"] += clicks.painted
            into["done"] += clicks.done
            into["unchanged"] += clicks.unchanged
            into["timed_out"] += clicks.timed_out
            into["classes"] |= clicks.classes
            into["inputs"] |= clicks.inputs
    for into in merged.values():
        into["classes"], into["inputs"] = sorted(into["classes"]), len(into["inputs"])
    return merged


def search_part(args, folder: Path) -> dict:
    out = folder / "search.json"
    command = [
        sys.executable,
        "-m",
        "bench.bench_search",
        "--repeat",
        str(args.search_repeat or args.repeat),
        "--trials",
        str(args.search_trials),
        "--json",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3 * 3600)
    for line in done.stdout.splitlines():
        if line.startswith("  round"):
            print(f"  search{line[1:]}", flush=True)
    if done.returncode != 0 or not out.exists():
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:400]
        raise BenchFailure(f"bench_search.py failed (exit {done.returncode}): {tail}")
    return json.loads(out.read_text())


# ------------------------------------------------------------------------------------------------------ report


def median(values) -> float | None:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(results: dict) -> list[dict]:
    """One row per figure: theirs and ours (medians over the rounds), ours/theirs of the medians and, less moved
    by a neighbour's load that changes from minute to minute, the median of each round's ours/theirs (the two
    sides of a round ran next to each other)."""
    rows: list[dict] = []

    def add(figure: str, unit: str, theirs: list[float], ours: list[float], paired: bool = True) -> None:
        mid_theirs, mid_ours = median(theirs), median(ours)
        rounds = [o / t for t, o in zip(theirs, ours, strict=True) if t] if paired else []
        rows.append(
            {
                "figure": figure,
                "unit": unit,
                "theirs": mid_theirs,
                "ours": mid_ours,
                "ratio": mid_ours / mid_theirs if mid_theirs else None,
                "round_ratios": rounds,
                "paired_ratio": median(rounds),
            }
        )

    if "logging" in results:
        part = results["logging"]
        for when, which in (("cold", "first"), ("warm", "second")):
            add(
                f"(1) model logging, {when} ({which} call in the process)",
                "s",
                *([r[when] for r in part[side]] for side in SIDES),
            )
    if "browser" in results:
        part = results["browser"]
        labels = {
            "ready": "(2) `streamlit run` → server answers /_stcore/health",
            "shown": "(2) `streamlit run` → predict button painted",
            "idle": "(2) **`streamlit run` → interactive page** (button shown, script idle)",
            "predicted": "(3) **`streamlit run` → first prediction painted** (one click)",
            "click_to_alert": "(3) first click → prediction painted",
        }
        for key, label in labels.items():
            add(label, "s", *([s[key] for s in part[side]["starts"]] for side in SIDES))
        if part["theirs"]["clicks"] and part["ours"]["clicks"]:
            for q, name in ((50, "p50"), (95, "p95")):
                theirs, ours = (percentile(part[side]["clicks"]["painted"], q) * 1000 for side in SIDES)
                add(f"(3) **warm click → prediction painted, {name}**", "ms", [theirs], [ours], paired=False)
    if "load" in results:
        part = results["load"]
        for when, which in (("cold", "first"), ("warm", "second")):
            add(
                f"(4) model load, {when} ({which} in the process)",
                "s",
                *([r[when] for r in part[side]] for side in SIDES),
            )
    if "search" in results:
        seconds = results["search"]["seconds"]
        trials = results["search"]["trials"]
        bare, naive, ours = seconds["bare"], seconds["naive"], seconds["workbench"]
        add(f"(5) {trials} search trials untracked (the same bare loop on both sides)", "s", bare, bare, paired=False)
        rows[-1]["ratio"] = None
        add(
            f"(5) **{trials} search trials tracked**: theirs a `start_run` per trial, ours `run_search`",
            "s",
            naive,
            ours,
        )
        add(
            "(5) tracking overhead: tracked / untracked (same round)",
            "×",
            [n / b for n, b in zip(naive, bare, strict=True)],
            [o / b for o, b in zip(ours, bare, strict=True)],
        )
    return rows


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.0f} ms"
    if unit == "×":
        return f"{value:.2f}×"
    return f"{value:.2f} s"


def report(rows: list[dict], results: dict, args) -> None:
    print(f"\n## Ours vs theirs, medians of {args.repeat} (search: {args.search_repeat or args.repeat})\n")
    print(
        "| figure | theirs (handout) | ours (workbench) | ours / theirs | per round: median (range) |\n"
        "|---|---|---|---|---|"
    )
    for row in rows:
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "—"
        rounds = row["round_ratios"]
        paired = "—"
        if rounds:
            paired = f"{row['paired_ratio']:.2f}" + (
                f" ({min(rounds):.2f}–{max(rounds):.2f})" if len(rounds) > 1 else ""
            )
        print(
            f"| {row['figure']} | {fmt(row['theirs'], row['unit'])} | {fmt(row['ours'], row['unit'])} | {ratio} | "
            f"{paired} |"
        )
    if "browser" in results:
        for side in SIDES:
            starts = results["browser"][side]["starts"]
            spread = ", ".join(f"{s['idle']:.1f}/{s['predicted']:.1f}" for s in starts)
            clicks = results["browser"][side]["clicks"]
            extra = ""
            if clicks:
                extra = (
                    f"; warm clicks: {len(clicks['painted'])} timed, {clicks['unchanged']} with an unchanged alert, "
                    f"{clicks['inputs']} distinct inputs, classes {clicks['classes']}"
                )
            print(f"\n{side}: interactive/first prediction per start (s): {spread}{extra}")
    print(f"\nload average (1/5/15 min): {json.dumps(results['load_average'])}")


def machine() -> dict:
    import mlflow
    import sklearn
    import streamlit

    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    return {
        "cores": os.cpu_count(),
        "ram_gib": round(int(memory.split()[1]) / 1024**2, 1),
        "cpu": next(
            (
                line.split(":", 1)[1].strip()
                for line in Path("/proc/cpuinfo").read_text().splitlines()
                if "model name" in line
            ),
            platform.processor(),
        ),
        "python": platform.python_version(),
        "mlflow": mlflow.__version__,
        "streamlit": streamlit.__version__,
        "scikit_learn": sklearn.__version__,
        "utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }


# -------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of each part (medians)")
    parser.add_argument("--clicks", type=int, default=30, help="warm clicks per side (0: none)")
    parser.add_argument("--search-trials", type=int, default=30)
    parser.add_argument("--search-repeat", type=int, default=0, help="rounds of the search part (default: --repeat)")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--skip", nargs="*", default=[], choices=("logging", "browser", "load", "search"), help="parts to leave out"
    )
    parser.add_argument("--json", type=Path, help="write every raw figure and the summary to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (stores and server logs)")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--store", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    if args.child:
        import logging

        logging.getLogger("mlflow").setLevel(logging.ERROR)
        args.out.write_text(json.dumps(CHILDREN[args.child](args.store)))
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    folder = Path(tempfile.mkdtemp(prefix="bench-handout-")).resolve()
    try:
        measure(args, folder)
    finally:
        if args.keep:
            print(f"(kept {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def measure(args, folder: Path) -> None:
    results: dict = {"machine": machine(), "load_average": {"start": load()}, "argv": sys.argv[1:]}
    info = results["machine"]
    print(
        f"Machine: {info['cores']} cores ({info['cpu']}), {info['ram_gib']} GiB, Python {info['python']}, MLflow "
        f"{info['mlflow']}, Streamlit {info['streamlit']}, scikit-learn {info['scikit_learn']}; {info['utc']}; "
        f"load average (1/5/15 min) at the start: {load()}",
        flush=True,
    )
    stores = {"theirs": folder / "store-theirs", "ours": folder / "store-ours"}
    if {"browser", "load"} - set(args.skip):  # the apps' stores: train.py as the handout runs it, and ours seeded
        started = time.perf_counter()
        run_child("log-theirs", stores["theirs"])
        seeded = run_child("seed-ours", stores["ours"])
        print(
            f"  stores built in {time.perf_counter() - started:.0f} s: theirs by train.py (twice: version 2 is "
            f"@{HANDOUT_ALIAS}), ours iris-classifier v{seeded['version']} @production (load {load()})",
            flush=True,
        )
    parts = {
        "logging": lambda: logging_part(args, folder),
        "browser": lambda: browser_part(args, stores, folder),
        "load": lambda: load_part(args, stores),
        "search": lambda: search_part(args, folder),
    }
    for name, part in parts.items():
        if name in args.skip:
            continue
        started = time.perf_counter()
        results["load_average"][f"{name} start"] = load()
        results[name] = part()
        results["load_average"][f"{name} end"] = load()
        print(f"  ({name}: {time.perf_counter() - started:.0f} s)", flush=True)
    rows = summarise(results)
    results["summary"] = rows
    report(rows, results, args)
    print(
        "\ncommand: MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_handout "
        + " ".join(sys.argv[1:])
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str))
        print(f"(raw figures in {args.json})")


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as exc:
        print(f"bench_handout: {exc}", file=sys.stderr)
        sys.exit(1)
