"""Benchmark: the compare page with 500 model runs in the store (target: first render ≤ 2 s, new choice ≤ 1 s).

One throw-away embedded store holds a project with KPIs and the iris data, 4 trained and evaluated runs of
different algorithms, one random search (its trials are child runs) whose evaluated parent carries the model,
and synthetic copies of those runs (same tags, model URI tag included, params and varied CV metrics, written
with ``log_batch``) up to ``--runs`` top-level model runs. The synthetic CV scores stay below the real ones, so
the page's default choice (the two best by CV) is two evaluated runs and the first render shows the evidence.

All variants run in the same process, after an untimed warm-up render (a long-running server pays its imports
once), and each repeat starts from cleared ``st.cache_data`` / ``st.cache_resource``:

  baseline          paging every run of the experiment (trials and data run included, no filter, newest
                    first) with bare ``MlflowClient().search_runs``: the floor any page listing the runs pays
  training_runs     ``core.compare.runs.training_runs(experiment_id, metric)`` on its own
  first render      ``AppTest``: Home.py run with the project selected, caches cleared, then the timed
                    ``switch_page("pages/compare.py").run()``
  choose other runs the timed rerun after setting the ``compare_runs`` multiselect to two other evaluated runs

A render that raises (``at.exception``) stops the benchmark with exit code 1 and one line on stderr.
``--profile N`` adds a cProfile of one more cold first render and of the rerun after choosing other runs (not
in the medians): the top N entries by cumulative time inside core/ and pages/, inside mlflow and in the script
thread, and by own time. ``--gc-freeze`` (diagnostic) calls ``gc.freeze()`` after the warm-up, as the app could
after start-up, to show what Python's cyclic collector costs while 500 runs' ORM rows are built.

Run by hand:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_compare [--repeat 3] [--runs 500]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

from bench.common import ROOT, print_profile, profiled

TRAINED = {  # the real trained runs: algorithm -> hyperparameters (small forest: the store, not the fit, matters)
    "random_forest": {"n_estimators": 50},
    "logistic_regression": {},
    "gaussian_nb": {},
    "decision_tree": {},
}
SEARCHED = "knn"  # cheap trials: the search is there for its child runs
TARGET_FIRST_S = 2.0
TARGET_CHOOSE_S = 1.0
COMPARE_PAGE = "pages/compare.py"


class BenchFailure(RuntimeError):
    """The page or the store is not in a state worth measuring; reported in one line."""


def fail_on_exception(at, what: str) -> None:
    if at.exception:
        first = at.exception[0]
        message = " ".join(str(first.message or first.value).split())
        frames = [" ".join(line.split()[:4]) for line in first.stack_trace if line.strip().startswith("File ")]
        where = f" ({frames[-1].rstrip(',')})" if frames else ""
        raise BenchFailure(f"{what} raised {first.proto.type}: {message}{where}; {len(at.exception)} exception(s)")


# --------------------------------------------------------------------------------------------------- the store


@contextmanager
def unsynced_sqlite():
    """Commits without fsync while the throw-away store is built (a third of the copies' time); then SQLite's
    default again: the pooled connections are dropped, so the measured reads use fresh default connections."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    engines = set()

    def no_fsync(dbapi_connection, _record) -> None:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            dbapi_connection.execute("PRAGMA synchronous = OFF")

    def remember(connection) -> None:
        engines.add(connection.engine)

    event.listen(Engine, "connect", no_fsync)
    event.listen(Engine, "engine_connect", remember)
    try:
        yield
    finally:
        event.remove(Engine, "connect", no_fsync)
        event.remove(Engine, "engine_connect", remember)
        for engine in engines:
            engine.dispose()


def primary_metric(kpis) -> str:
    """The score the page ranks runs by (moved from core.compare.runs to core.question.kpis during the rework)."""
    from core.compare import runs as core_runs
    from core.question import kpis as core_kpis

    chooser = getattr(core_kpis, "primary_metric", None) or core_runs.primary_metric
    return chooser(kpis)


def build_store(runs: int, trials: int, seed: int) -> dict:
    """Project, data, real trained + evaluated runs, one search, synthetic copies; returns what the timings need."""
    from mlflow import MlflowClient

    from core.compare import evaluation
    from core.data import datastore, sets
    from core.question import projects
    from core.question.kpis import DEFAULT_KPIS
    from core.train import training
    from core.train.search_space import default_space
    from core.train.tuning import SearchConfig, run_search

    project = projects.create_project(
        "bench-compare", "Which iris species is it? (benchmark of the compare page)", DEFAULT_KPIS
    )
    dataset = datastore.record_dataset(project.experiment_id, sets.load_builtin("iris"), "iris", "species")
    project = projects.get_project(project.experiment_id)
    metric = primary_metric(project.kpis)

    real = [training.train_model(project.experiment_id, dataset, a, p).run_id for a, p in TRAINED.items()]
    config = SearchConfig(SEARCHED, "random", default_space(SEARCHED), max_trials=trials, seed=seed)
    search = run_search(project.experiment_id, dataset, config)
    if search.status != "finished" or not search.model_uri:
        raise BenchFailure(f"the search did not finish with a model: {search.status} {search.error}")
    real.append(search.run_id)  # the parent run carries the refit best model
    _stop_search_workers()

    copying = time.perf_counter()
    synthetic = make_synthetic_runs(project.experiment_id, real, runs - len(real), metric, seed)
    copy_s = time.perf_counter() - copying
    for run_id in real:  # after the copies: they must not carry the real runs' verdicts
        evaluation.evaluate_run(run_id, project.kpis)

    client = MlflowClient()
    cv = {r: client.get_run(r).data.metrics[f"cv_{metric}"] for r in real}
    ranked = sorted(real, key=cv.get, reverse=True)
    return {
        "project": project,
        "metric": metric,
        "real": real,
        "ranked": ranked,  # best CV first; the page's default is the two best (ties in either order)
        "synthetic": synthetic,
        "copy_s": copy_s,
        "trials": len(search.trials),
    }


def _stop_search_workers() -> None:
    """The search's worker processes idle for minutes: stop them so they neither hold memory nor run."""
    from core.train import tuning

    executor = getattr(tuning, "_executor", None)
    if executor is not None:
        executor().shutdown(wait=True)


def make_synthetic_runs(experiment_id: str, real: list[str], count: int, metric: str, seed: int) -> int:
    """``count`` finished top-level runs copying the real runs' tags, params and metrics, CV scores varied.

    Each copy's CV scores sit below the lowest real one, so the page's default choice stays on real runs.
    Three store calls per run: create_run (with the tags), log_batch (params + metrics), set_terminated.
    """
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    from core.question.kpis import SCORE_METRICS

    client = MlflowClient()
    sources = [client.get_run(r) for r in real]
    floor = min(run.data.metrics[f"cv_{metric}"] for run in sources)
    scored = {f"cv_{m}" for m in SCORE_METRICS}
    rng = random.Random(seed)
    now = int(time.time() * 1000)
    for number in range(count):
        source = sources[number % len(sources)]
        tags = {k: v for k, v in source.data.tags.items() if k != "mlflow.runName"}
        algorithm = tags.get("qua3ck.algorithm", "model")
        start = now - (count - number) * 60_000 - 3_600_000  # history: older than the real runs
        run = client.create_run(experiment_id, start_time=start, tags=tags, run_name=f"{algorithm}-copy-{number:04d}")
        drop = rng.uniform(0.005, 0.3)
        metrics = [
            Metric(k, max(0.0, min(v, floor) - drop) if k in scored else v, start + 1000, 0)
            for k, v in source.data.metrics.items()
        ]
        params = [Param(k, v) for k, v in source.data.params.items()]
        client.log_batch(run.info.run_id, metrics=metrics, params=params)
        client.set_terminated(run.info.run_id, "FINISHED", end_time=start + rng.randint(1_000, 20_000))
    return count


# -------------------------------------------------------------------------------------------------- the timings


def bare_listing(experiment_id: str) -> int:
    """The baseline: every run of the experiment, 500 per page, nothing else."""
    from mlflow import MlflowClient

    client = MlflowClient()
    count, token = 0, None
    while True:
        page = client.search_runs(
            [experiment_id], max_results=500, page_token=token, order_by=["attributes.start_time DESC"]
        )
        count += len(page)
        token = page.token
        if not token:
            return count


def fresh_app(experiment_id: str):
    """AppTest of Home.py with the project selected in the session and Home run once (not timed)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from core.ui import keys

    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.session_state[keys.PROJECT_ID] = experiment_id  # what the sidebar's project picker stores
    at.run()
    fail_on_exception(at, "Home.py")
    st.cache_data.clear()  # whatever Home cached: the compare page's first render is cold
    st.cache_resource.clear()
    return at


def first_render(at) -> float:
    started = time.perf_counter()
    at.switch_page(COMPARE_PAGE).run()
    elapsed = time.perf_counter() - started
    fail_on_exception(at, f"{COMPARE_PAGE} (first render)")
    return elapsed


def choose(at, run_ids: list[str]) -> float:
    widget = at.multiselect(key="compare_runs")
    started = time.perf_counter()
    widget.set_value(run_ids).run()
    elapsed = time.perf_counter() - started
    fail_on_exception(at, f"{COMPARE_PAGE} (choosing other runs)")
    return elapsed


def rendered(at) -> str:
    """What the page showed, so a number never stands for an empty page unnoticed."""
    charts = len(at.get("plotly_chart"))
    return f"{charts} charts, {len(at.dataframe)} tables, chosen {len(at.multiselect(key='compare_runs').value)}"


def check_choice(at, expected: list[str], what: str) -> None:
    """The page shows the expected number of evaluated runs (``expected``: the runs it may have chosen)."""
    chosen = list(at.multiselect(key="compare_runs").value)
    if len(chosen) != 2 or not set(chosen) <= set(expected):
        raise BenchFailure(f"{what}: the page chose {chosen}, expected two of the evaluated runs {expected}")
    if not at.get("plotly_chart"):
        raise BenchFailure(f"{what}: the page drew no chart for two evaluated runs")


def timed(action) -> tuple[float, object]:
    started = time.perf_counter()
    info = action()
    return time.perf_counter() - started, info


# -------------------------------------------------------------------------------------------------- the profile


def profile_page(experiment_id: str, others: list[str], top: int) -> None:
    """cProfile one more cold first render and the rerun after choosing other runs (not in the medians)."""
    at = fresh_app(experiment_id)
    print_profile("one more cold first render", *profiled(lambda: first_render(at)), top)
    print_profile("choosing two other runs after it", *profiled(lambda: choose(at, others)), top)


# ------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="rounds of all variants; medians are reported")
    parser.add_argument("--runs", type=int, default=500, help="top-level model runs in the store, real ones included")
    parser.add_argument("--trials", type=int, default=40, help="trials (child runs) of the one real search")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile a render and a choice, top N")
    parser.add_argument("--keep", action="store_true", help="keep the temporary store (its folder is printed)")
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="diagnostic: gc.freeze() after the warm-up, as an app could after start-up (not the app's behaviour)",
    )
    args = parser.parse_args()
    real_count = len(TRAINED) + 1
    if args.runs < real_count:
        parser.error(f"--runs must be at least {real_count} (the real runs)")
    folder = Path(tempfile.mkdtemp(prefix="bench-compare-")).resolve()
    try:
        measure(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def measure(args: argparse.Namespace, folder: Path) -> None:
    """Build the store in ``folder``, time the variants, print the table (and the profile)."""
    warnings.filterwarnings("ignore")
    os.environ["QUA3CK_DATA_DIR"] = str(folder)  # before core, mlflow and streamlit are imported
    os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{folder / 'mlflow.db'}"
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.chdir(ROOT)  # AppTest and Streamlit's config are read relative to the app

    import logging

    import mlflow
    import streamlit

    from core.common.config import activate_store
    from core.compare import runs as core_runs

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    # Streamlit resets its loggers' levels when AppTest applies its config, so switch off by name: the page's
    # traceback (our one line names it) and the warnings about clearing caches outside a server
    for name in ("error_util", "runtime.caching.cache_data_api", "runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(f"streamlit.{name}").disabled = True
    store = activate_store()
    if not store.embedded:
        raise BenchFailure(f"expected the temporary embedded store, got {store.description}")

    started = time.perf_counter()
    with unsynced_sqlite():
        built = build_store(args.runs, args.trials, args.seed)
    build_s = time.perf_counter() - started
    project, metric = built["project"], built["metric"]
    experiment_id = project.experiment_id
    total = bare_listing(experiment_id)
    print(
        f"Compare page with {args.runs} model runs ({len(built['real'])} real and evaluated, {built['synthetic']} "
        f"synthetic copies) + {built['trials']} search trials + 1 data run = {total} runs in the experiment"
    )
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, MLflow {mlflow.__version__}, "
        f"Streamlit {streamlit.__version__}; load before: {os.getloadavg()[0]:.2f}"
    )
    kept = f"; kept in {folder}" if args.keep else ""
    print(f"  (store built in {build_s:.1f} s, not measured, {built['copy_s']:.1f} s of it the synthetic copies{kept})")

    # warm-up, untimed: imports of the pages and their libraries, first SQLAlchemy use of the process
    at = fresh_app(experiment_id)
    warm_first = first_render(at)
    default = list(at.multiselect(key="compare_runs").value)
    check_choice(at, built["real"], "first render")
    others = [r for r in reversed(built["ranked"]) if r not in default][:2]  # the two weakest real runs
    warm_choose = choose(at, others)
    print(f"  (warm-up, untimed: first render {warm_first:.2f} s, choosing other runs {warm_choose:.2f} s)", flush=True)
    if args.gc_freeze:
        import gc

        gc.collect()
        gc.freeze()  # the imported libraries' objects leave the collector's generations: full collections shrink
        print(f"  (diagnostic: gc.freeze() after the warm-up, {gc.get_freeze_count()} objects frozen)")

    names = ["baseline", "training_runs", "first render", "choose other runs"]
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for round_number in range(args.repeat):
        elapsed, listed = timed(lambda: bare_listing(experiment_id))
        seconds["baseline"].append(elapsed)
        elapsed, table = timed(lambda: core_runs.training_runs(experiment_id, metric))
        seconds["training_runs"].append(elapsed)
        if len(table) < args.runs:
            raise BenchFailure(f"training_runs listed {len(table)} runs, the store holds {args.runs} model runs")
        at = fresh_app(experiment_id)
        seconds["first render"].append(first_render(at))
        check_choice(at, default, "first render")
        first_shows = rendered(at)
        seconds["choose other runs"].append(choose(at, others))
        check_choice(at, others, "choosing other runs")
        print(
            f"  round {round_number + 1}: baseline {seconds['baseline'][-1]:.3f} s ({listed} runs), "
            f"training_runs {seconds['training_runs'][-1]:.3f} s, first render {seconds['first render'][-1]:.2f} s "
            f"({first_shows}), choosing {seconds['choose other runs'][-1]:.2f} s ({rendered(at)})",
            flush=True,
        )

    medians = {name: statistics.median(values) for name, values in seconds.items()}
    base = medians["baseline"]
    labels = {
        "baseline": (f"bare `MlflowClient().search_runs`, all {total} runs, 500 per page (baseline)", "—"),
        "training_runs": ("`core.compare.runs.training_runs(experiment_id, metric)`", "—"),
        "first render": ("compare page, first render (AppTest `switch_page`, caches cleared)", f"≤ {TARGET_FIRST_S} s"),
        "choose other runs": ("compare page, choosing two other runs (AppTest rerun)", f"≤ {TARGET_CHOOSE_S} s"),
    }
    print(f"\nmedian of {args.repeat}; load after: {os.getloadavg()[0]:.2f}\n")
    print(f"| variant | median of {args.repeat} | ratio to baseline | target |\n|---|---|---|---|")
    for name in names:
        label, target = labels[name]
        print(f"| {label} | {medians[name]:.3f} s | {medians[name] / base:.1f} | {target} |")
    for name, target in (("first render", TARGET_FIRST_S), ("choose other runs", TARGET_CHOOSE_S)):
        verdict = "met" if medians[name] <= target else "NOT met"
        print(f"target {name} ≤ {target} s: {verdict} ({medians[name]:.2f} s)")
    print(
        "\ncommand: MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_compare "
        + " ".join(sys.argv[1:])
    )
    if args.profile:
        profile_page(experiment_id, others, args.profile)


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as exc:
        print(f"bench_compare: {exc}", file=sys.stderr)
        sys.exit(1)
