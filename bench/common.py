"""What the benchmarks share: the machine's load, a percentile, the example store with a registered model, a
Streamlit server on a free port (started, ready, stopped), Debian's Chromium, and cProfile helpers.

Run the benchmarks from the repository root as modules, e.g. ``.venv/bin/python -m bench.bench_predict``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# a Streamlit server whose script runs are timed and profiled (bench_predict --profile); BENCH_RUNS_DIR receives them
LAUNCHER = """
import cProfile, gc, os, runpy, sys, threading, time
from streamlit.runtime.scriptrunner import script_runner

folder = os.environ["BENCH_RUNS_DIR"]
original = script_runner.ScriptRunner._run_script
lock = threading.Lock()
counter = [0]
collected = threading.local()  # seconds of the post-run gc.collect (runner.postScriptGC) in this thread's run


class TimedGC:  # script_runner's gc module, with collect() timed
    def __getattr__(self, name):
        return getattr(gc, name)

    def collect(self, *args):
        begun = time.perf_counter()
        try:
            return gc.collect(*args)
        finally:
            collected.seconds = getattr(collected, "seconds", 0.0) + time.perf_counter() - begun


script_runner.gc = TimedGC()


def timed(self, *args, **kwargs):
    with lock:
        counter[0] += 1
        number = counter[0]
    profiler = cProfile.Profile() if os.path.exists(os.path.join(folder, "profile-on")) else None
    collected.seconds = 0.0
    started, clock = time.time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    try:
        return original(self, *args, **kwargs)
    finally:
        elapsed = time.perf_counter() - clock
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(os.path.join(folder, f"run-{number:04d}.prof"))
        with open(os.path.join(folder, "runs.tsv"), "a") as runs:
            fields = (number, f"{started * 1000:.1f}", f"{elapsed * 1000:.1f}", int(profiler is not None))
            runs.write("\\t".join(map(str, fields)) + f"\\t{collected.seconds * 1000:.1f}\\n")


script_runner.ScriptRunner._run_script = timed
sys.argv = ["streamlit", *sys.argv[1:]]
runpy.run_module("streamlit", run_name="__main__", alter_sys=True)
"""

MODEL = "iris-classifier"


CHROMIUM = "/usr/bin/chromium"


CHROMIUM_ARGS = [  # as in tests/e2e/conftest.py
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


STARTUP_TIMEOUT_S = 120


class BenchFailure(RuntimeError):
    """The page or the store is not in a state worth measuring; reported in one line."""


def load() -> str:
    return "/".join(f"{v:.2f}" for v in os.getloadavg())


def percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(values, q))


def build_store() -> dict:
    """Example project, iris data, a random forest registered as v1 with @production on it."""
    from core.data import datastore, sets
    from core.question import projects
    from core.registry import governance, model_registry
    from core.train import training

    project = projects.ensure_example_project()
    record = datastore.record_dataset(project.experiment_id, sets.load_builtin("iris"), "iris", "species")
    run = training.train_model(project.experiment_id, record, "random_forest")
    version = model_registry.register(run.run_id, MODEL)
    governance.move_alias(
        MODEL,
        "production",
        version.version,
        governance.Actor("bench"),
        override=True,
        reason="benchmark, not evaluated",
    )
    return {"experiment_id": project.experiment_id, "version": version.version, "params": run.params}


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: Path
    started: float  # time.time() just before Popen

    def tail(self) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1][:200] if lines else "(empty log)"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200 and response.read().decode().strip() == "ok"
    except (urllib.error.URLError, OSError):
        return False


def start_server(
    store: Path,
    folder: Path,
    log_switch: str | None,
    number: int,
    runs_dir: Path | None = None,
    extra_env: dict[str, str] | None = None,
    script: str = "Home.py",
    cwd: Path = ROOT,
) -> Server:
    """``streamlit run Home.py`` as tests/e2e/conftest.py starts it; returns at once (not yet ready). With
    ``runs_dir``, through LAUNCHER (script runs timed there); ``extra_env`` is set last (e.g. another store's
    MLFLOW_TRACKING_URI: bench/bench_load.py); ``script`` and ``cwd``: another app, run from another folder
    (the handout's app in its own project folder: bench/bench_handout.py)."""
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    env["QUA3CK_DATA_DIR"] = str(store)
    env["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("QUA3CK_PREDICTION_LOG", None)
    if log_switch is not None:
        env["QUA3CK_PREDICTION_LOG"] = log_switch
    port = free_port()
    if runs_dir is not None:
        env["BENCH_RUNS_DIR"] = str(runs_dir)
    env.update(extra_env or {})
    command = [
        sys.executable,
        *(["-c", LAUNCHER] if runs_dir is not None else ["-m", "streamlit"]),
        "run",
        script,
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    log_path = folder / f"server-{number}.log"
    with log_path.open("wb") as log:
        started = time.time()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
    return Server(f"http://127.0.0.1:{port}", process, log_path, started)


def wait_ready(server: Server) -> float:
    """Seconds from Popen until the health endpoint answers (polled every 20 ms)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not healthy(server.url):
        if server.process.poll() is not None:
            raise BenchFailure(f"streamlit exited with code {server.process.returncode}: {server.tail()}")
        if time.monotonic() > deadline:
            raise BenchFailure(f"streamlit did not answer within {STARTUP_TIMEOUT_S} s: {server.tail()}")
        time.sleep(0.02)
    return time.time() - server.started


def stop_server(server: Server) -> None:
    process = server.process
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=15)


def profiled(action) -> tuple[float, list[tuple[str, object]]]:
    """Run ``action`` with a cProfile in every thread it starts (AppTest runs the script in its own thread)."""
    import cProfile

    profilers: list[tuple[str, cProfile.Profile]] = []

    def start_in_thread(*_):
        sys.setprofile(None)
        profiler = cProfile.Profile()
        profilers.append((threading.current_thread().name, profiler))
        profiler.enable()

    threading.setprofile(start_in_thread)
    try:
        elapsed = action()
    finally:
        threading.setprofile(None)
    for _, profiler in profilers:
        profiler.disable()
    return elapsed, profilers


def print_profile(title: str, elapsed: float, profilers: list, top: int) -> None:
    """The top entries by cumulative time in core/ and pages/, in mlflow, in the script thread; by own time."""
    import pstats

    if not profilers:
        print(f"\nno profile of {title}: AppTest started no thread")
        return
    every = pstats.Stats(*(p for _, p in profilers))  # helper threads too (MLflow downloads artifacts in a pool)
    script_threads = [p for n, p in profilers if "script" in n.lower()] or [profilers[0][1]]
    script = pstats.Stats(*script_threads)
    print(f"\n### cProfile of {title}: {elapsed:.2f} s under the profiler ({len(profilers)} threads)")
    for part, stats, keep in (
        ("core/ and pages/", every, lambda f: f.startswith((str(ROOT / "core"), str(ROOT / "pages")))),
        ("mlflow", every, lambda f: "/mlflow/" in f),
        ("everything in the script thread", script, lambda f: True),
        ("by own time, everything in the script thread", script, lambda f: True),
    ):
        by = 2 if part.startswith("by own") else 3  # stats values: (cc, nc, own, cumulative, callers)
        entries = sorted(stats.stats.items(), key=lambda item: item[1][by], reverse=True)
        heading = part if by == 2 else f"cumulative, {part}"
        print(f"\ntop {top} {heading}:\n\n| cumulative s | own s | calls | function |\n|---|---|---|---|")
        for (filename, line, name), (_, calls, own, cumulative, _) in [e for e in entries if keep(e[0][0])][:top]:
            where = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
            print(f"| {cumulative:.3f} | {own:.3f} | {calls} | `{where}:{line}({name})` |")
