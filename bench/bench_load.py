"""Benchmark: many sessions at once (issue 9) — searches and predictions in 20 sessions, one server.

For each store (``--store sqlite|server|both``):

  store    a fresh one: the embedded SQLite store in a temporary QUA3CK_DATA_DIR, or a real ``mlflow server`` on
           PostgreSQL started by ``scripts/team-server.sh start --dir <tmp>`` (stopped in a ``finally``). It is
           seeded in a child process by bench_predict's ``build_store``: the example project, the iris data, a
           random forest registered as ``iris-classifier`` v1 with ``@production``.
  app      ``streamlit run Home.py`` on a free port against it (bench_predict's ``start_server``), warmed up by one
           session (the Predict page and one click, then the A³ page), as a server that has been running is.
  clients  ``--client protocol`` (default): each session is a ``bench/st_client.AppSession``, which speaks the
           app's own websocket protocol — the page runs, widget values, clicks and the live view's timed fragment
           reruns a browser sends, the same messages back — and renders nothing: on two cores, 20 Chromium pages
           took 64 % of the CPU and their starved renderers, not the server, made most of a click's latency
           (``--client browser`` shows it), while people's browsers run on their own machines. A click's time
           ends when the message carrying its answer arrives (a browser paints it ~30–50 ms later: the Predict
           benchmark). ``--client browser``: one headless Debian Chromium, a context per session (optionally
           under ``--browser-nice N``), the page's own clock (bench_predict's instrument), until painted.
  load     ``--searchers + --predictors`` sessions (default 4 + 16) driven from one asyncio loop. All open their
           page at once. Then a baseline: the predictors alone for ``--baseline`` seconds (the searchers' pages
           open and idle). Then all are released together (``--release``: ``spread``, the default with
           ``--think``, gives each session its own first pause, drawn as every later one — people told "go" do
           not all press within the same millisecond; ``together``, the default without, presses all at once:
           16 clicks and 4 search starts in the same instant, the stress case):
             searchers   the A³ page's "Tune hyperparameters" tab, the trial budget set to ``--trials`` N, "Start
                         the search" (the default random search of the random forest) clicked, then they follow
                         the live view (its fragment reruns every second) until the search's end alert ("The
                         search finished…" or an error) and note its run id.
             predictors  the Predict page: move a petal slider (protocol: to another value of its range; browser:
                         by keyboard, as bench_predict does), wait 400 ms as a person would, click "Predict", time
                         click → answer, over and over (after each answer a pause of ``--think`` seconds ±
                         ``--think-spread``, drawn per session: people released together do not stay in step) until
                         every search has ended or ``--duration`` seconds have passed. In a browser a click's run
                         has ended when the page showed it running and then not, or — a starved renderer may batch
                         both into one frame — when the new answer is painted and the page is not running; a click
                         with neither within 60 s has no answer (the page's state is recorded).
           Every session records every error or exception box it is sent or shows (``stException``,
           ``st.error``), any text "database is locked", and every loss of the server connection.
  check    after the app is stopped (the prediction log is flushed at its exit), with ``MlflowClient``: the
           project's runs and their status, the trial runs (``qua3ck.kind=trial``) and the searches' parent runs
           (``qua3ck.search``), their children, and the rows in the prediction log against the clicks made.

Criteria per store (exit code 1 when any fails): no page shows "database is locked"; no page shows an error or
exception box, or loses its connection; every search ends "finished" within ``--duration`` with its model;
every run in the project FINISHED; trial runs = searchers × N, N under each parent; every click answered;
prediction p95 (click → answer) ≤ 0.5 s with the searches. Also reported: p50/p95/max with and without the
searches, the split of a click (→ server's first message → the answer's message → painted), the clicks that
overlapped a search's refit (its last trial logged → its run ended), load average before/during/after, CPU
seconds by process group (app server, search workers, Chromium, MLflow server, PostgreSQL, the rest of the
machine), the server logs' "database is locked" and traceback lines, and the prediction-log rows against the
clicks. Where the time goes: ``--py-spy BIN`` samples which of the app server's threads hold the GIL (search
threads, the searches' live view, Predict clicks, Streamlit's post-run ``gc.collect``, …); ``--trace-runs``
starts the app through bench_predict's launcher, which times every script run and its post-run gc.

Run by hand (results also as JSON in ``--json``):
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_load [--store both] [--trials 10] \\
        [--py-spy "$(command -v py-spy)" --trace-runs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.bench_predict import ALERT, IDLE_JS, INSTRUMENT_JS, KEYS, MARK_JS, OPPOSITE, SETTLE_MS, SLIDERS
from bench.common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MODEL,
    ROOT,
    BenchFailure,
    build_store,
    load,
    percentile,
    start_server,
    stop_server,
    wait_ready,
)

TARGET_P95_S = 0.5  # issue 24 (issue 9 asked for 1 s)
SPY_RATE = 50  # py-spy samples per second
CLICK_TIMEOUT_MS = 60_000
OPEN_TIMEOUT_MS = 240_000  # 20 sessions opening at once on two cores
LOCKED = "database is locked"
SEARCH_END = re.compile(r"The search (finished|stopped|ended|failed)")
TAG_KIND = "qua3ck.kind"
TAG_SEARCH = "qua3ck.search"
TAG_SEARCH_STATUS = "qua3ck.search_status"
TAG_MODEL_URI = "qua3ck.model_uri"
TAG_PARENT = "mlflow.parentRunId"

# Installed in every document: every error/exception box the page ever shows (text, once each), the first time
# "database is locked" appears anywhere in it, and every change of the connection state after it first connected.
ERRORS_JS = """
(() => {
  if (window.__errors) return;
  const E = (window.__errors = { entries: [], seen: new Set(), locked: false, connected: false, state: null });
  const add = (kind, text) => {
    const key = kind + ":" + text;
    if (E.seen.has(key)) return;
    E.seen.add(key);
    E.entries.push({ t: Date.now(), kind, text });
  };
  let pending = false;
  const scan = () => {
    pending = false;
    const boxes = document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]');
    for (const el of boxes) {
      const kind = el.getAttribute("data-testid") === "stException" ? "exception" : "error";
      add(kind, (el.textContent || "").replace(/\\s+/g, " ").trim().slice(0, 600));
    }
    if (!E.locked && document.body && (document.body.textContent || "").includes("database is locked")) {
      E.locked = true;
      add("locked", "'database is locked' in the page's text");
    }
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute("data-test-connection-state") : null;
    if (state !== E.state) {
      if (E.connected && state !== "CONNECTED") add("connection", "connection state " + state);
      if (state === "CONNECTED") E.connected = true;
      E.state = state;
    }
  };
  new MutationObserver(() => { if (!pending) { pending = true; setTimeout(scan, 50); } }).observe(document, {
    subtree: true, childList: true, characterData: true, attributes: true,
    attributeFilter: ["data-test-connection-state"],
  });
})();
"""

# bench_predict's CLICK_DONE_JS, and one more way to see a click's run end: a busy renderer may commit "running"
# and "notRunning" in one React batch, so the script-state attribute never changes; then the run counts as done
# when the new answer is painted and the app says it is not running. "batched" tells which way it ended.
LOAD_CLICK_DONE_JS = """
([nClicks, nAlerts, nStates]) => {
  const B = window.__bench;
  if (B.clicks.length <= nClicks) return null;
  const states = B.states.slice(nStates);
  const started = states.findIndex((s) => s.state !== "notRunning");
  const ended = started >= 0 ? states.slice(started + 1).find((s) => s.state === "notRunning") : undefined;
  const alert = B.alerts.slice(nAlerts).find((a) => a.text && a.text.includes("Predicted class"));
  if (alert && alert.painted === null) return null;
  const app = document.querySelector('[data-testid="stApp"]');
  const idle = !!app && app.getAttribute("data-test-script-state") === "notRunning";
  let done, batched = false;
  if (ended) done = ended.t;
  else if (alert && idle) { done = alert.painted; batched = true; }
  else return null;
  const messages = B.messages.filter((m) => m.t >= B.clicks[nClicks]);
  const carrying = messages.find((m) => m.alert);
  return {
    click: B.clicks[nClicks], done, batched,
    alert: alert ? alert.t : null, painted: alert ? alert.painted : null, text: alert ? alert.text : null,
    firstMessage: messages.length ? messages[0].t : null, alertMessage: carrying ? carrying.t : null,
  };
}
"""

# What a page looks like when a click got no answer in time.
STUCK_JS = """
([nClicks, nAlerts, nStates]) => {
  const B = window.__bench;
  const app = document.querySelector('[data-testid="stApp"]');
  const click = B.clicks.length > nClicks ? B.clicks[nClicks] : null;
  return {
    click_registered: click !== null,
    states_since: B.states.slice(nStates).map((s) => s.state),
    alerts_since: B.alerts.slice(nAlerts).length,
    messages_since: click === null ? null : B.messages.filter((m) => m.t >= click).length,
    script_state: app ? app.getAttribute("data-test-script-state") : null,
    connection: app ? app.getAttribute("data-test-connection-state") : null,
    button_disabled: [...document.querySelectorAll('.st-key-predict_submit button')].map((b) => b.disabled),
  };
}
"""

APP_IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return !!app && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning";
}"""


# ------------------------------------------------------------------------------------------------------ helpers


def uptime() -> str:
    done = subprocess.run(["uptime"], capture_output=True, text=True, check=False)
    return done.stdout.strip()


def secs(values: list[float], q: float | None = None) -> float | None:
    if not values:
        return None
    return max(values) if q is None else percentile(values, q)


def fmt(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f} ms"


# ------------------------------------------------------------------------------------------- CPU by process group

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _proc_table() -> dict[int, tuple[int, str, int]]:
    """pid → (ppid, comm, utime + stime + cutime + cstime in ticks) of every process now."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1 : raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2 :].split()
        # own time plus that of the children it reaped (Chromium's renderers of closed pages, for instance)
        table[int(entry.name)] = (int(fields[1]), comm, sum(int(v) for v in fields[11:15]))
    return table


def _machine_busy() -> int:
    """Ticks every core spent busy since boot (user, nice, system, irq, softirq, steal)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return sum(values[i] for i in (0, 1, 2, 5, 6, 7))


def cpu_snapshot(roots: dict[str, int]) -> dict:
    """CPU ticks per process and the group each belongs to: a named root's descendants (the first root an
    ancestor matches), Chromium and this process's other children, PostgreSQL, else 'rest of the machine'."""
    table = _proc_table()
    me = os.getpid()

    def group(pid: int) -> str:
        ppid, comm, _ = table[pid]
        if comm == "postgres":
            return "PostgreSQL"
        seen, current = 0, pid
        while current in table and seen < 64:
            for name, root in roots.items():
                if current == root:
                    return name
            if current == me:
                return "Chromium" if "chrom" in comm.lower() else "benchmark (Python, Playwright driver)"
            current, seen = table[current][0], seen + 1
        return "rest of the machine"

    return {
        "at": time.monotonic(),
        "busy": _machine_busy(),
        "procs": {pid: (group(pid), ticks) for pid, (_, _, ticks) in table.items()},
    }


def cpu_split(before: dict, after: dict, app_pid: int) -> dict[str, float]:
    """CPU seconds per group between two snapshots (processes that ended in between are not counted)."""
    out: dict[str, float] = {}
    for pid, (name, ticks) in after["procs"].items():
        start = before["procs"].get(pid, (name, 0))[1]
        label = "app server (streamlit)" if pid == app_pid else name
        out[label] = out.get(label, 0.0) + (ticks - start) / CLOCK_TICKS
    busy = (after["busy"] - before["busy"]) / CLOCK_TICKS
    # the others' processes come and go (and reap children): what the machine did beyond ours is theirs
    out["rest of the machine"] = max(0.0, busy - sum(v for k, v in out.items() if k != "rest of the machine"))
    out["machine busy (all cores)"] = busy
    out["capacity (cores × wall)"] = (os.cpu_count() or 1) * (after["at"] - before["at"])
    return {k: round(v, 1) for k, v in out.items()}


# ------------------------------------------------------------------------------------------------- the stores


def seed_store(store: Path, extra_env: dict[str, str]) -> dict:
    """bench_predict's build_store in a child process (core keeps its store for the process's life)."""
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    env.update(QUA3CK_DATA_DIR=str(store), MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR="false", **extra_env)
    command = [sys.executable, "-m", "bench.bench_load", "--seed-child"]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SEEDED ")]
    if done.returncode or not lines:
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise BenchFailure(f"seeding the store failed: {tail[:300]}")
    return json.loads(lines[-1][len("SEEDED ") :])


def seed_child() -> None:
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("mlflow").setLevel(logging.ERROR)
    os.chdir(ROOT)
    from core.common.config import activate_store

    store = activate_store()
    built = build_store()
    built["tracking_uri"] = store.tracking_uri
    print("SEEDED " + json.dumps(built, default=str), flush=True)


def team_server(command: str, folder: Path) -> str:
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "team-server.sh"), command, "--dir", str(folder)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode and command == "start":
        raise BenchFailure(f"team-server.sh start failed: {(done.stderr or done.stdout).strip()[-300:]}")
    return done.stdout.strip()


# ---------------------------------------------------------------------------------------------- the sessions


@dataclass
class Clicks:
    """One predictor's clicks in one phase (the baseline or the load)."""

    painted: list[float] = field(default_factory=list)  # click → prediction painted, seconds
    finished: list[float] = field(default_factory=list)  # click → the run finished, seconds (every click)
    click_at: list[float] = field(default_factory=list)  # epoch s of each timed click (with painted)
    server_ms: list[float] = field(default_factory=list)  # predict_one's own latency, from the alert
    # where a timed click's time went (seconds, page clock): click → the server's first message of the run,
    # click → the message carrying the new alert text, that message → the alert painted
    to_first: list[float] = field(default_factory=list)
    to_answer: list[float] = field(default_factory=list)
    answer_to_paint: list[float] = field(default_factory=list)
    unchanged: int = 0
    timeouts: int = 0
    batched: int = 0  # ended by the painted answer (the page never showed the run as running)
    stuck: list[dict] = field(default_factory=list)  # the first few clicks without an answer: the page's state
    classes: set = field(default_factory=set)

    def count(self) -> int:
        return len(self.finished) + self.timeouts

    def add(self, result: dict) -> None:
        if "stuck" in result:
            self.timeouts += 1
            if len(self.stuck) < 3:
                self.stuck.append(result["stuck"])
            return
        self.batched += bool(result["batched"])
        self.finished.append((result["done"] - result["click"]) / 1000)
        if result["text"] is None:  # the same alert text as before: nothing painted to time
            self.unchanged += 1
            return
        self.painted.append((result["painted"] - result["click"]) / 1000)
        self.click_at.append(result["click"] / 1000)
        match = ALERT.search(result["text"])
        if match:
            self.classes.add(match.group(1))
            self.server_ms.append(float(match.group(3)))
        if result["firstMessage"] is not None and result["alertMessage"] is not None:
            self.to_first.append((result["firstMessage"] - result["click"]) / 1000)
            self.to_answer.append((result["alertMessage"] - result["click"]) / 1000)
            self.answer_to_paint.append((result["painted"] - result["alertMessage"]) / 1000)


@dataclass
class Session:
    kind: str  # searcher or predictor
    number: int
    ready_s: float | None = None  # opening the page, from the common start
    failure: str | None = None  # the driver could not go on (not an app error by itself)
    errors: list[dict] = field(default_factory=list)  # from ERRORS_JS
    # predictors
    baseline: Clicks = field(default_factory=Clicks)  # before the searches, predictors alone
    load: Clicks = field(default_factory=Clicks)  # with the searches
    parked: bool = False  # the baseline is over for this predictor
    # searchers
    started_at: float | None = None
    ended_at: float | None = None
    end_text: str | None = None
    run_id: str | None = None


async def wait_app_idle(page, timeout_ms: int = OPEN_TIMEOUT_MS) -> None:
    await page.wait_for_timeout(200)  # a click reaches the server a moment later: let its run start
    await page.wait_for_function(APP_IDLE_JS, polling=100, timeout=timeout_ms)


async def new_page(browser, with_instrument: bool):
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(OPEN_TIMEOUT_MS)
    await context.add_init_script(script=ERRORS_JS)
    if with_instrument:
        await context.add_init_script(script=INSTRUMENT_JS)
    return context, await context.new_page()


async def change_input(page, rng: random.Random, number: int) -> None:
    """bench_predict's change_input, async: move a petal slider by keyboard until its value changed."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    key_name = f"predict_input_{SLIDERS[number % len(SLIDERS)]}"
    selector = f".st-key-{key_name} input[type=range]"
    slider = page.locator(selector)
    before = await slider.input_value()
    key = rng.choice(KEYS)
    presses = 1 if key in ("End", "Home") else rng.randint(1, 5)
    for _ in range(3):
        await slider.focus()
        for _ in range(presses):
            await slider.press(key)
        try:
            await page.wait_for_function(
                "([sel, before]) => document.querySelector(sel).value !== before", arg=[selector, before], timeout=5000
            )
            break
        except PlaywrightTimeoutError:
            key = OPPOSITE[key]
    else:
        raise BenchFailure(f"the keys {key}/{OPPOSITE[key]} did not move {key_name} from {before}")
    await page.wait_for_timeout(SETTLE_MS)


async def click_predict(page) -> dict | None:
    """Click "Predict"; the page's timings of that click (epoch ms), None when no answer came in time."""
    from playwright.async_api import TimeoutError as PlaywrightTimeoutError

    mark = await page.evaluate(MARK_JS)
    await page.get_by_role("button", name="Predict", exact=True).click()
    try:
        handle = await page.wait_for_function(LOAD_CLICK_DONE_JS, arg=mark, polling=50, timeout=CLICK_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        return {"stuck": await page.evaluate(STUCK_JS, mark)}
    return await handle.json_value()


async def open_predict(page, url: str) -> None:
    await page.goto(f"{url}/predict", wait_until="commit")
    await page.wait_for_function(IDLE_JS, polling=100, timeout=OPEN_TIMEOUT_MS)


async def open_search_tab(page, url: str, trials: int) -> None:
    await page.goto(f"{url}/train", wait_until="commit")
    tab = page.get_by_role("tab", name=re.compile("Tune hyperparameters"))
    await tab.wait_for(timeout=OPEN_TIMEOUT_MS)
    await wait_app_idle(page)
    await tab.click()
    await wait_app_idle(page)
    budget = page.locator(".st-key-train_search_trials input")
    await budget.fill(str(trials))
    await budget.press("Enter")
    await wait_app_idle(page)
    if await budget.input_value() != str(trials):
        raise BenchFailure(f"the trial budget shows {await budget.input_value()}, not {trials}")


async def searcher(session: Session, page, url: str, args, origin: float, go: asyncio.Event) -> None:
    """Open the search tab, wait for the common start, start the search and wait for its end alert."""
    try:
        await open_search_tab(page, url, args.trials)
        session.ready_s = time.time() - origin
    except Exception as exc:  # noqa: BLE001 — reported with the session, the others go on
        session.failure = f"could not open the search tab: {str(exc).splitlines()[0][:200]}"
        return
    await go.wait()
    await first_pause(args, random.Random(args.seed + 1000 + session.number))
    session.started_at = time.time()
    await page.locator(".st-key-train_search_start").get_by_role("button").click()
    end = page.locator('[data-testid="stAlert"]').filter(has_text=SEARCH_END).first
    remaining = max(1.0, args.duration - (time.time() - session.started_at))
    try:
        await end.wait_for(timeout=remaining * 1000)
        session.ended_at = time.time()
        session.end_text = " ".join((await end.inner_text()).split())[:600]
        found = re.search(r"run ([0-9a-f]{32})", session.end_text)
        session.run_id = found.group(1) if found else None
    except Exception as exc:  # noqa: BLE001
        session.failure = f"no end of the search within {args.duration:.0f} s: {str(exc).splitlines()[0][:160]}"


async def first_pause(args, rng: random.Random) -> None:
    """A session's pause between the common start and its first action: none when all are released together."""
    if args.release == "spread":
        await asyncio.sleep(args.pause(rng))


def think_time(rng: random.Random, think: float, spread: float) -> float:
    """A person's pause after an answer: ``think`` seconds ± ``spread`` of it, uniform (0: none).

    With one fixed pause, sessions released together click together for ever — every click one of a burst of
    16 — which no group of people does after their first few clicks."""
    return think * rng.uniform(1 - spread, 1 + spread) if think else 0.0


async def predict_until(page, session: Session, rng: random.Random, out: Clicks, stop: asyncio.Event, think):
    number = session.baseline.count() + session.load.count()
    missed = 0
    while not stop.is_set():
        try:
            await change_input(page, rng, number)
        except Exception as exc:  # noqa: BLE001 — keys lost on a starved page: try again, give up after five
            missed += 1
            if missed >= 5:
                session.failure = f"after {number} clicks: {str(exc).splitlines()[0][:200]}"
                return
            continue
        missed = 0
        try:
            out.add(await click_predict(page))
        except Exception as exc:  # noqa: BLE001 — a page the driver cannot use any more
            session.failure = f"after {number} clicks: {str(exc).splitlines()[0][:200]}"
            return
        number += 1
        if pause := think(rng):
            await asyncio.sleep(pause)


async def predictor_phases(session: Session, args, origin: float, phases: dict[str, asyncio.Event], open_page, until):
    """Open the Predict page (``open_page()``); predict (``until(rng, clicks, stop_event)``) through the baseline
    (alone), then from the common start until the searches have ended."""
    rng = random.Random(args.seed + session.number)
    try:
        await open_page()
        session.ready_s = time.time() - origin
    except Exception as exc:  # noqa: BLE001
        session.failure = f"could not open the Predict page: {str(exc).splitlines()[0][:200]}"
        return
    await phases["baseline"].wait()
    await first_pause(args, rng)
    await until(rng, session.baseline, phases["baseline_over"])
    session.parked = True
    if session.failure:
        return
    await phases["go"].wait()
    await first_pause(args, rng)
    await until(rng, session.load, phases["stop"])


# ------------------------------------------------------------------- the same sessions without a browser


def run_errors(run) -> list[dict]:
    """What a protocol client's run showed that a page's ERRORS_JS would have recorded."""
    out = [
        {"t": e.at * 1000, "kind": "exception" if e.kind == "exception" else "error", "text": e.text}
        for e in run.errors()
    ]
    out += [{"t": e.at * 1000, "kind": "locked", "text": e.text} for e in run.shown if LOCKED in e.text]
    if run.status == "timeout":
        out.append({"t": time.time() * 1000, "kind": "connection", "text": "no end of the run within its timeout"})
    return out


async def ws_open(session: Session, client, page_name: str) -> None:
    run = await client.open(page_name)
    session.errors += run_errors(run)
    if run.status != "FINISHED_SUCCESSFULLY":
        raise BenchFailure(f"opening {page_name} ended {run.status}")


async def ws_click_predict(client, rng: random.Random, number: int) -> dict:
    """Move a petal slider to another value inside its range, wait as a person would, click Predict: the
    timings of that click (epoch ms) in the page's format (answer "painted" = its message arrived)."""
    key = f"predict_input_{SLIDERS[number % len(SLIDERS)]}"
    slider = client.widget(key)
    widget_id = client.widget_id(key)
    before = client.values[widget_id].double_array_value.data[0] if widget_id in client.values else slider.default[0]
    value = before
    while value == before:
        value = round(round(rng.uniform(slider.min, slider.max) / slider.step) * slider.step, 6)
    client.set_form_value(key, value)
    await asyncio.sleep(SETTLE_MS / 1000)
    run = await client.click(label="Predict")
    hit = run.find("Predicted class")
    if run.status != "FINISHED_FRAGMENT_RUN_SUCCESSFULLY" or hit is None:
        return {
            "stuck": {"status": run.status, "closed": client.closed, "texts": [e.text[:80] for e in run.shown][-4:]}
        }
    at = lambda t: t * 1000 if t is not None else None  # noqa: E731
    return {
        "click": at(run.sent),
        "done": at(run.finished),
        "text": hit.text.replace("**", ""),
        "alert": at(hit.at),
        "painted": at(hit.at),
        "batched": False,
        "firstMessage": at(run.first),
        "alertMessage": at(hit.at),
        "errors": run_errors(run),
    }


async def ws_predict_until(client, session: Session, rng: random.Random, out: Clicks, stop: asyncio.Event, think):
    number = session.baseline.count() + session.load.count()
    while not stop.is_set():
        try:
            result = await ws_click_predict(client, rng, number)
        except Exception as exc:  # noqa: BLE001 — a connection the client cannot use any more
            session.failure = f"after {number} clicks: {str(exc).splitlines()[0][:200]}"
            return
        session.errors += result.pop("errors", [])
        out.add(result)
        number += 1
        if pause := think(rng):
            await asyncio.sleep(pause)


class ProtocolClients:
    """Each session is a bench/st_client.AppSession: the app's own websocket protocol, no browser."""

    version = "none (bench/st_client.py: Streamlit's websocket protocol)"

    def __init__(self, url: str) -> None:
        self.url = url
        self.clients: dict[int, object] = {}

    async def warm_up(self, args) -> dict:
        from bench.st_client import AppSession

        started = time.time()
        client = AppSession(self.url)
        await client.connect()
        probe = Session("warm-up", 0)
        try:
            await ws_open(probe, client, "predict")
            answer = await ws_click_predict(client, random.Random(0), 0)
            if "stuck" in answer:
                raise BenchFailure(f"the warm-up click on Predict got no answer: {answer['stuck']}")
            predicted = time.time() - started
            await ws_open(probe, client, "train")
            if probe.errors:
                raise BenchFailure(f"the warm-up session shows an error: {probe.errors[0]['text'][:200]}")
        finally:
            await client.close()
        return {"predict_page_and_click_s": round(predicted, 2), "total_s": round(time.time() - started, 2)}

    async def open(self, session: Session) -> None:
        from bench.st_client import AppSession

        client = self.clients[id(session)] = AppSession(self.url)
        await client.connect()

    async def searcher(self, session: Session, args, origin: float, go: asyncio.Event) -> None:
        """The A³ page, the trial budget set, then at the common start "Start the search"; the live view's
        fragment rerun on the timer the server set (as the browser does) until the search's end alert."""
        client = self.clients[id(session)]
        try:
            await ws_open(session, client, "train")
            run = await client.set_value("train_search_trials", args.trials)
            session.errors += run_errors(run)
            session.ready_s = time.time() - origin
        except Exception as exc:  # noqa: BLE001
            session.failure = f"could not open the search tab: {str(exc).splitlines()[0][:200]}"
            return
        await go.wait()
        await first_pause(args, random.Random(args.seed + 1000 + session.number))
        session.started_at = time.time()
        run = await client.click(key="train_search_start")
        while True:
            session.errors += run_errors(run)
            end = next((e for e in run.shown if e.kind == "alert" and SEARCH_END.search(e.text)), None)
            if end is not None:
                session.ended_at = end.at
                session.end_text = end.text.replace("**", "")[:600]
                found = re.search(r"run `?([0-9a-f]{32})", session.end_text)
                session.run_id = found.group(1) if found else None
                return
            if time.time() - session.started_at > args.duration or client.closed or not client.auto_reruns:
                session.failure = f"no end of the search within {args.duration:.0f} s (closed: {client.closed})"
                return
            fragment, interval = next(iter(client.auto_reruns.items()))
            await asyncio.sleep(interval)
            run = await client.rerun(fragment_id=fragment, auto=True)

    async def predictor(self, session: Session, args, origin: float, phases: dict[str, asyncio.Event]) -> None:
        client = self.clients[id(session)]

        async def until(rng, out, stop):
            await ws_predict_until(client, session, rng, out, stop, args.pause)

        await predictor_phases(session, args, origin, phases, lambda: ws_open(session, client, "predict"), until)

    async def finish(self, sessions: list[Session]) -> None:
        for s in sessions:
            client = self.clients.get(id(s))
            if client is None:
                continue
            if client.closed:
                s.errors.append({"t": time.time() * 1000, "kind": "connection", "text": client.closed})
            await client.close()


class BrowserClients:
    """Each session is a headless Chromium context of one browser (Playwright)."""

    def __init__(self, url: str, browser) -> None:
        self.url = url
        self.browser = browser
        self.version = browser.version
        self.pages: dict[int, tuple] = {}

    async def warm_up(self, args) -> dict:
        return await warm_up(self.browser, self.url, args.trials)

    async def open(self, session: Session) -> None:
        # contexts stay open until the CPU is counted (a closed page's renderer takes its CPU time along)
        self.pages[id(session)] = await new_page(self.browser, with_instrument=session.kind == "predictor")

    async def searcher(self, session: Session, args, origin: float, go: asyncio.Event) -> None:
        await searcher(session, self.pages[id(session)][1], self.url, args, origin, go)

    async def predictor(self, session: Session, args, origin: float, phases: dict[str, asyncio.Event]) -> None:
        page = self.pages[id(session)][1]

        async def until(rng, out, stop):
            await predict_until(page, session, rng, out, stop, args.pause)

        await predictor_phases(session, args, origin, phases, lambda: open_predict(page, self.url), until)

    async def finish(self, sessions: list[Session]) -> None:
        for s in sessions:
            context, page = self.pages[id(s)]
            try:
                s.errors = await page.evaluate("() => window.__errors.entries")
            except Exception as exc:  # noqa: BLE001 — a page that crashed: say so
                s.errors = [{"t": time.time() * 1000, "kind": "exception", "text": f"page unreadable: {exc}"}]
            await context.close()


async def warm_up(browser, url: str, trials: int) -> dict:
    """One session as a running server has seen: the Predict page and a click, then the A³ search tab."""
    started = time.time()
    context, page = await new_page(browser, with_instrument=True)
    try:
        await open_predict(page, url)
        answer = await click_predict(page)
        if "stuck" in answer:
            raise BenchFailure(f"the warm-up click on Predict got no answer: {answer['stuck']}")
        predicted = time.time() - started
        await open_search_tab(page, url, trials)
        errors = await page.evaluate("() => window.__errors.entries")
        if errors:
            raise BenchFailure(f"the warm-up session shows an error: {errors[0]['text'][:200]}")
    finally:
        await context.close()
    return {"predict_page_and_click_s": round(predicted, 2), "total_s": round(time.time() - started, 2)}


def start_py_spy(args, app_pid: int, out: Path) -> subprocess.Popen | None:
    """``py-spy record --gil`` on the app server for the load phase: which threads hold the interpreter lock."""
    if not args.py_spy:
        return None
    command = [args.py_spy, "record", "--gil", "--threads", "--nonblocking", "--format", "raw"]
    command += ["-r", str(SPY_RATE), "--pid", str(app_pid), "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_py_spy(spy: subprocess.Popen | None) -> None:
    if spy is None or spy.poll() is not None:
        return
    spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    try:
        spy.wait(timeout=60)
    except subprocess.TimeoutExpired:
        spy.kill()
        spy.wait(timeout=10)


THREAD_GROUPS = (  # a frame the stack holds (thread names may be cut), the group it counts for; first match
    ("SearchJob._run (", "search threads (trial logging, refit, model logging)"),
    ("_Writer._run (", "prediction-log writer"),
    ("live_search.", "script runs: the search's live view (fragment, every 1 s)"),
    ("one_row (", "script runs: the Predict click (one_row fragment)"),
    ("ScriptRunner._run_script_thread (", "script runs: other (whole pages)"),
    ("streamlit/__main__.py", "server event loop (tornado, websockets)"),
)
POST_RUN_GC = "script runs: Streamlit's post-run gc.collect(2) (runner.postScriptGC)"
# wrappers every stack of a group holds: left out of the function lists
PLUMBING = ("threading.py", "concurrent/futures/thread.py", "scriptrunner/", "runtime/fragment.py", "click/core.py")
PLUMBING += ("<frozen runpy>", "streamlit/__main__.py", "metrics_util.py", "mlflow/telemetry/", "core/train/jobs.py")


def read_py_spy(path: Path, seconds: float, top: int = 40) -> dict | None:
    """Share of the load phase each thread group held the GIL, and the functions it held it in (inclusive)."""
    if not path.exists():
        return None
    groups: dict[str, int] = {}
    functions: dict[str, dict[str, int]] = {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        if "ScriptRunner._on_script_finished (" in frames[-1] or (  # its leaf line is gc.collect(2), C code
            len(frames) > 1 and "TimedGC.collect" in frames[-1] and "_on_script_finished" in frames[-2]
        ):  # (with --trace-runs, bench_predict's launcher wraps that gc.collect)
            group = POST_RUN_GC
        else:
            group = next((label for frame, label in THREAD_GROUPS if frame in stack), "other threads")
        groups[group] = groups.get(group, 0) + count
        seen = set()
        for frame in frames[1:]:
            if any(b in frame for b in PLUMBING) or frame in seen:
                continue
            seen.add(frame)
            where = re.sub(r"\(/.*?(site-packages/|/tmp/[^/]+/|/work/main/)", "(", frame)
            functions.setdefault(group, {})[where] = functions.setdefault(group, {}).get(where, 0) + count
    possible = max(1.0, seconds * SPY_RATE)
    return {
        "seconds": round(seconds, 1),
        "gil_held_share": {g: round(n / possible, 3) for g, n in sorted(groups.items(), key=lambda i: -i[1])},
        "top_functions": {
            g: [(f, round(n / possible, 3)) for f, n in sorted(f.items(), key=lambda i: -i[1])[:top]]
            for g, f in functions.items()
        },
    }


async def drive(url: str, args, samples: list, app_pid: int, spy_out: Path) -> dict:
    """The sessions as ``--client`` says: browsers (Playwright) or protocol clients."""
    if args.client == "protocol":
        return await drive_sessions(ProtocolClients(url), args, samples, app_pid, spy_out)
    from playwright.async_api import async_playwright

    executable = CHROMIUM
    if args.browser_nice:  # the browsers stand in for people's own machines: let the server go first
        executable = str(spy_out.parent / "chromium-niced")
        Path(executable).write_text(f'#!/bin/sh\nexec nice -n {args.browser_nice} {CHROMIUM} "$@"\n')
        Path(executable).chmod(0o755)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            return await drive_sessions(BrowserClients(url, browser), args, samples, app_pid, spy_out)
        finally:
            await browser.close()


async def drive_sessions(clients, args, samples: list, app_pid: int, spy_out: Path) -> dict:
    """Warm up, open every session at once, release them together, stop the predictors when the searches end."""
    warm = await clients.warm_up(args)
    print(f"  warm-up: {warm} (load {load()})", flush=True)
    sessions = [Session("searcher", i) for i in range(args.searchers)]
    sessions += [Session("predictor", i) for i in range(args.predictors)]
    phases = {name: asyncio.Event() for name in ("baseline", "baseline_over", "go", "stop")}
    for s in sessions:
        await clients.open(s)
    origin = time.time()
    tasks = []
    for s in sessions:
        if s.kind == "searcher":
            tasks.append(asyncio.create_task(clients.searcher(s, args, origin, phases["go"])))
        else:
            tasks.append(asyncio.create_task(clients.predictor(s, args, origin, phases)))

    async def sample() -> None:
        while True:
            samples.append((round(time.time(), 1), round(os.getloadavg()[0], 2)))
            await asyncio.sleep(5)

    sampler = asyncio.create_task(sample())
    while any(s.ready_s is None and s.failure is None for s in sessions):
        if time.time() - origin > OPEN_TIMEOUT_MS / 1000 + 30:
            break
        await asyncio.sleep(0.2)
    opened = time.time() - origin
    print(f"  {len(sessions)} sessions opened in {opened:.1f} s (load {load()})", flush=True)
    predictors = [s for s in sessions if s.kind == "predictor"]
    baseline: dict = {"seconds": 0.0, "began": None}
    if args.baseline > 0:  # the predictors alone first, the searchers' pages open and idle
        cpu_before = cpu_snapshot(args.roots)
        spy = start_py_spy(args, app_pid, spy_out.with_suffix(".baseline.txt"))
        began = baseline["began"] = time.time()
        phases["baseline"].set()
        await asyncio.sleep(args.baseline)
        phases["baseline_over"].set()
        while not all(s.parked or s.failure for s in predictors):
            await asyncio.sleep(0.1)
        baseline["seconds"] = time.time() - began
        stop_py_spy(spy)
        baseline["cpu"] = cpu_split(cpu_before, cpu_snapshot(args.roots), app_pid)
        if args.py_spy:
            baseline["py_spy"] = read_py_spy(spy_out.with_suffix(".baseline.txt"), baseline["seconds"])
        print(f"  baseline (predictors alone) {baseline['seconds']:.0f} s (load {load()})", flush=True)
    else:
        phases["baseline"].set()
        phases["baseline_over"].set()
    print("  released", flush=True)
    cpu_before = cpu_snapshot(args.roots)
    spy = start_py_spy(args, app_pid, spy_out)
    released = time.time()
    phases["go"].set()
    searches = [t for t, s in zip(tasks, sessions, strict=True) if s.kind == "searcher"]
    try:
        await asyncio.gather(*searches)
    finally:
        searches_done = time.time()
        stop_py_spy(spy)
    phases["stop"].set()
    await asyncio.gather(*tasks)
    cpu_after = cpu_snapshot(args.roots)
    sampler.cancel()
    await clients.finish(sessions)
    return {
        "warm_up": warm,
        "baseline": baseline,
        "sessions": sessions,
        "opened_s": round(opened, 1),
        "released_at": released,
        "searches_done_at": searches_done,
        "load_phase_s": round(searches_done - released, 1),
        "cpu": cpu_split(cpu_before, cpu_after, app_pid),
        "chromium": clients.version,
        "py_spy": read_py_spy(spy_out, searches_done - released) if args.py_spy else None,
    }


# -------------------------------------------------------------------------------------------------- the check


def check_store(tracking_uri: str, experiment_id: str, args) -> dict:
    """The project's runs after the load: statuses, trials, parents, their children, the prediction log."""
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    runs, token = [], None
    while True:
        page = client.search_runs(
            [experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token, order_by=["start_time ASC"]
        )
        runs += list(page)
        token = page.token
        if not token:
            break
    statuses: dict[str, int] = {}
    for run in runs:
        statuses[run.info.status] = statuses.get(run.info.status, 0) + 1
    trials = [r for r in runs if r.data.tags.get(TAG_KIND) == "trial"]
    parents = [r for r in runs if r.data.tags.get(TAG_SEARCH)]
    by_parent: dict[str, list] = {}
    for trial in trials:
        by_parent.setdefault(trial.data.tags.get(TAG_PARENT, ""), []).append(trial)
    parent_rows = []
    for parent in parents:
        children = by_parent.get(parent.info.run_id, [])
        last_child = max((c.info.end_time or 0 for c in children), default=None)
        parent_rows.append(
            {
                "run_id": parent.info.run_id,
                "status": parent.info.status,
                "search_status": parent.data.tags.get(TAG_SEARCH_STATUS),
                "model": bool(parent.data.tags.get(TAG_MODEL_URI)),
                "trials": len(children),
                "trials_finished": sum(c.info.status == "FINISHED" for c in children),
                "start_ms": parent.info.start_time,
                "last_trial_ms": last_child,
                "end_ms": parent.info.end_time,
            }
        )
    not_finished = [
        {"run_id": r.info.run_id, "name": r.info.run_name, "status": r.info.status}
        for r in runs
        if r.info.status != "FINISHED"
    ]
    log_rows = None
    log_runs = [r for r in runs if r.data.tags.get(TAG_KIND) == "predictions"]
    if log_runs:
        import mlflow

        with tempfile.TemporaryDirectory() as tmp:
            run_id = log_runs[0].info.run_id
            try:
                folder = mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path="predictions", dst_path=tmp, tracking_uri=tracking_uri
                )
                parts = sorted(Path(folder).glob("*.parquet"))
                log_rows = int(sum(len(pd.read_parquet(p)) for p in parts))
            except Exception:  # noqa: BLE001 — no parts written at all
                log_rows = 0
    return {
        "runs": len(runs),
        "statuses": statuses,
        "not_finished": not_finished,
        "trial_runs": len(trials),
        "orphan_trials": sum(len(v) for k, v in by_parent.items() if k not in {p.info.run_id for p in parents}),
        "parents": parent_rows,
        "prediction_log_runs": len(log_runs),
        "prediction_log_rows": log_rows,
    }


def read_runs(path: Path, driven: dict) -> dict:
    """The server's script runs (bench_predict's LAUNCHER: start, duration, post-run gc.collect) per phase."""
    rows = []
    for line in path.read_text().splitlines() if path.exists() else []:
        _, started, elapsed, _, gc_ms = line.split("\t")
        rows.append((float(started) / 1000, float(elapsed) / 1000, float(gc_ms) / 1000))
    phases = {"with the searches": (driven["released_at"], driven["searches_done_at"])}
    if driven["baseline"].get("began"):
        phases = {"baseline": (driven["baseline"]["began"], driven["released_at"]), **phases}
    out = {}
    for name, (start, end) in phases.items():
        inside = [r for r in rows if start <= r[0] < end]
        if not inside:
            continue
        runs, gcs = [r[1] for r in inside], [r[2] for r in inside]
        out[name] = {
            "runs": len(inside),
            "runs_per_s": round(len(inside) / max(1.0, end - start), 2),
            "run_p50_ms": round(percentile(runs, 50) * 1000),
            "run_p95_ms": round(percentile(runs, 95) * 1000),
            "gc_p50_ms": round(percentile(gcs, 50) * 1000),
            "gc_p95_ms": round(percentile(gcs, 95) * 1000),
            "runs_total_s": round(sum(runs), 1),
            "gc_total_s": round(sum(gcs), 1),
            "wall_s": round(end - start, 1),
        }
    return out


def scan_log(path: Path) -> dict:
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    locked = [line.strip()[:300] for line in lines if LOCKED in line]
    return {
        "locked_lines": len(locked),
        "locked_first": locked[:3],
        "tracebacks": sum("Traceback (most recent call last)" in line for line in lines),
        "error_lines": [line.strip()[:300] for line in lines if re.search(r"\b(ERROR|Exception|Error:)\b", line)][:10],
    }


# ------------------------------------------------------------------------------------------------ one store


def run_store(kind: str, args, folder: Path, number: int) -> dict:
    store = folder / f"store-{kind}"
    store.mkdir()
    team = folder / f"team-{kind}" if kind == "server" else None
    extra_env: dict[str, str] = {}
    out: dict = {"store": kind, "uptime_before": uptime(), "load_before": load()}
    print(f"\n## {kind}: {out['uptime_before']}", flush=True)
    try:
        if team is not None:
            started = time.perf_counter()
            uri = team_server("start", team).splitlines()[-1]
            extra_env["MLFLOW_TRACKING_URI"] = uri
            print(f"  team server at {uri} ({time.perf_counter() - started:.1f} s)", flush=True)
        started = time.perf_counter()
        seeded = seed_store(store, extra_env)
        out["tracking"] = "embedded SQLite" if kind == "sqlite" else "mlflow server + PostgreSQL"
        print(
            f"  seeded in {time.perf_counter() - started:.1f} s: {MODEL} v{seeded['version']} @production, "
            f"experiment {seeded['experiment_id']}",
            flush=True,
        )
        runs_dir = None
        if args.trace_runs:  # bench_predict's launcher: every script run and its post-run gc.collect timed
            runs_dir = folder / f"runs-{kind}"
            runs_dir.mkdir()
        server = start_server(store, folder, None, number, runs_dir=runs_dir, extra_env=extra_env)
        samples: list = []
        try:
            wait_ready(server)
            roots = {"app server: search workers (loky)": server.process.pid}
            if team is not None and (team / "mlflow.pid").exists():
                roots["MLflow server"] = int((team / "mlflow.pid").read_text().strip())
            args.roots = roots
            spy_out = folder / f"py-spy-{kind}.txt"
            driven = asyncio.run(drive(server.url, args, samples, server.process.pid, spy_out))
        finally:
            stop_server(server)
        out["uptime_after"] = uptime()
        out["load_after"] = load()
        out["checks"] = check_store(seeded["tracking_uri"], seeded["experiment_id"], args)
        out["app_log"] = scan_log(server.log_path)
        if runs_dir is not None:
            out["script_runs"] = read_runs(runs_dir / "runs.tsv", driven)
        if team is not None:
            out["mlflow_server_log"] = scan_log(team / "mlflow.log")
    finally:
        if team is not None:
            target = (team / "postgres").resolve() if (team / "postgres").is_symlink() else None
            team_server("stop", team)
            if target is not None and target.is_relative_to("/tmp"):
                shutil.rmtree(target, ignore_errors=True)
    out.update(summarise(driven, samples, out["checks"], args))
    return out


def click_stats(phase: list[Clicks]) -> dict:
    """Counts, percentiles and the split of the predictors' clicks in one phase."""
    painted = [v for c in phase for v in c.painted]
    finished = [v for c in phase for v in c.finished]
    server_ms = [v for c in phase for v in c.server_ms]
    return {
        "clicks": sum(c.count() for c in phase),
        "timed": len(painted),
        "unchanged_text": sum(c.unchanged for c in phase),
        "timeouts": sum(c.timeouts for c in phase),
        "ended_by_painted_answer": sum(c.batched for c in phase),
        "stuck_pages": [s for c in phase for s in c.stuck][:10],
        "p50_s": secs(painted, 50),
        "p95_s": secs(painted, 95),
        "max_s": secs(painted),
        "run_finished_p95_s": secs(finished, 95),
        "predict_one_ms_median": statistics.median(server_ms) if server_ms else None,
        "split_p50_p95_s": {
            label: [secs(values, 50), secs(values, 95)]
            for label, values in (
                ("click → server's first message", [v for c in phase for v in c.to_first]),
                ("click → message with the answer", [v for c in phase for v in c.to_answer]),
                ("that message → painted", [v for c in phase for v in c.answer_to_paint]),
            )
        },
        "per_session_clicks": [c.count() for c in phase],
    }


def summarise(driven: dict, samples: list, checks: dict, args) -> dict:
    sessions: list[Session] = driven["sessions"]
    predictors = [s for s in sessions if s.kind == "predictor"]
    searchers = [s for s in sessions if s.kind == "searcher"]
    stats = click_stats([s.load for s in predictors])
    clicks = [(t, v) for s in predictors for t, v in zip(s.load.click_at, s.load.painted, strict=True)]
    # the refit of each search: from its last trial logged to its run's end (store clocks, same machine)
    windows = [
        (p["last_trial_ms"] / 1000, p["end_ms"] / 1000) for p in checks["parents"] if p["last_trial_ms"] and p["end_ms"]
    ]
    in_refit = [v for t, v in clicks if any(a <= t + v and t <= b for a, b in windows)]
    outside = [v for t, v in clicks if not any(a <= t + v and t <= b for a, b in windows)]
    stats["during_refit"] = {"clicks": len(in_refit), "p95_s": secs(in_refit, 95), "max_s": secs(in_refit)}
    stats["outside_refit"] = {"clicks": len(outside), "p95_s": secs(outside, 95), "max_s": secs(outside)}
    errors = [
        {"session": f"{s.kind} {s.number}", **e}
        for s in sessions
        for e in s.errors
        if e["kind"] in ("exception", "error", "locked", "connection")
    ]
    durations = [round(s.ended_at - s.started_at, 1) for s in searchers if s.ended_at and s.started_at]
    released = driven["released_at"]
    timeline = []
    if clicks:
        span = max(t for t, _ in clicks) - released
        step = max(10.0, span / 12)
        edge = released
        while edge <= released + span:
            inside = [v for t, v in clicks if edge <= t < edge + step]
            loads = [v for t, v in samples if edge <= t < edge + step]
            if inside:
                timeline.append(
                    {
                        "from_s": round(edge - released),
                        "clicks": len(inside),
                        "p50_ms": round(statistics.median(inside) * 1000),
                        "p95_ms": round(percentile(inside, 95) * 1000),
                        "max_ms": round(max(inside) * 1000),
                        "load1": round(max(loads), 2) if loads else None,
                    }
                )
            edge += step
    stats["timeline"] = timeline
    # the clicks of the first seconds one by one (from release, ms): the release itself is a burst of 16 clicks
    stats["released_at"] = released
    stats["first_clicks"] = sorted((round(t - released, 3), round(v * 1000)) for t, v in clicks if t - released < 3)
    baseline = dict(driven["baseline"])
    if baseline["seconds"]:
        baseline.update(click_stats([s.baseline for s in predictors]))
    all_clicks = sum(s.baseline.count() + s.load.count() for s in predictors)
    parents_by_id = {p["run_id"]: p for p in checks["parents"]}
    summary = {
        "chromium": driven["chromium"],
        "warm_up": driven["warm_up"],
        "sessions_opened_s": driven["opened_s"],
        "page_ready_s": {
            "searchers_max": max((s.ready_s or 0 for s in searchers), default=None),
            "predictors_max": max((s.ready_s or 0 for s in predictors), default=None),
        },
        "baseline": baseline,
        "load_phase_s": driven["load_phase_s"],
        "load1_during_max": max((v for _, v in samples), default=None),
        "load1_samples": samples,
        "cpu_seconds": driven["cpu"],
        "py_spy_gil": driven["py_spy"],
        "predictions": stats,
        "searches": [
            {
                "session": s.number,
                "seconds": round(s.ended_at - s.started_at, 1) if s.ended_at and s.started_at else None,
                "run_id": s.run_id,
                "end": s.end_text,
                "store": parents_by_id.get(s.run_id or ""),
            }
            for s in searchers
        ],
        "search_seconds": durations,
        "errors": errors,
        "driver_failures": [f"{s.kind} {s.number}: {s.failure}" for s in sessions if s.failure],
        # every click logs one row, and so did the warm-up's
        "prediction_log": {"clicks_incl_warm_up": all_clicks + 1, "rows": checks["prediction_log_rows"]},
    }
    want, n = args.searchers * args.trials, args.searchers
    parents = checks["parents"]
    searches_ok = (
        len(durations) == n
        and len(parents) == n
        and all(p["search_status"] == "finished" and p["model"] for p in parents)
        and len({s.run_id for s in searchers}) == n
    )
    trials_ok = (
        checks["trial_runs"] == want
        and all(p["trials"] == args.trials for p in parents)
        and not checks["orphan_trials"]
    )
    summary["criteria"] = {
        "no 'database is locked' on any page": not any(LOCKED in e["text"] or e["kind"] == "locked" for e in errors),
        "no error/exception box, no lost connection": not errors,
        "every session driven to the end": not summary["driver_failures"],
        f"{n} searches ended 'finished' within {args.duration:.0f} s, with a model": searches_ok,
        "every run in the project FINISHED": not checks["not_finished"],
        f"trial runs = {n} × {args.trials} = {want}, {args.trials} under each parent": trials_ok,
        "every click answered (none > 60 s)": not stats["timeouts"] and not baseline.get("timeouts") and bool(clicks),
        "prediction p95 ≤ 0.5 s (with the searches)": bool(clicks) and stats["p95_s"] <= TARGET_P95_S,
    }
    return summary


# ---------------------------------------------------------------------------------------------------- report


def report(results: list[dict], args) -> None:
    print("\n## Results\n")
    names = [r["store"] for r in results]
    print("| | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))

    def row(label: str, get) -> None:
        print(f"| {label} | " + " | ".join(str(get(r)) for r in results) + " |")

    row(
        "load before → max during → after (1 min)",
        lambda r: f"{r['load_before']} → {r['load1_during_max']} → {r['load_after']}",
    )
    row("sessions opened together", lambda r: f"{r['sessions_opened_s']} s")
    if args.baseline > 0:
        row(
            "baseline, predictors alone: seconds, clicks, p50 / p95 / max",
            lambda r: (
                f"{r['baseline']['seconds']:.0f} s, {r['baseline'].get('timed')} / {r['baseline'].get('clicks')}, "
                f"{fmt(r['baseline'].get('p50_s'))} / **{fmt(r['baseline'].get('p95_s'))}** / "
                f"{fmt(r['baseline'].get('max_s'))}"
            ),
        )
        row(
            "baseline p50 / p95: first message · answer's message · → painted",
            lambda r: " · ".join(f"{fmt(a)} / {fmt(b)}" for a, b in r["baseline"].get("split_p50_p95_s", {}).values()),
        )
        row(
            "baseline CPU s: app / Chromium / rest",
            lambda r: " / ".join(
                str(r["baseline"].get("cpu", {}).get(k, 0))
                for k in ("app server (streamlit)", "Chromium", "rest of the machine", "capacity (cores × wall)")
            ),
        )
    row("load phase (release → last search ended)", lambda r: f"{r['load_phase_s']} s")
    row("search durations", lambda r: ", ".join(f"{v:.0f} s" for v in r["search_seconds"]) or "—")
    row("predictions (timed / clicks)", lambda r: f"{r['predictions']['timed']} / {r['predictions']['clicks']}")
    row(
        "click → painted p50 / p95 / max",
        lambda r: (
            f"{fmt(r['predictions']['p50_s'])} / **{fmt(r['predictions']['p95_s'])}** / "
            f"{fmt(r['predictions']['max_s'])}"
        ),
    )
    row("click → run finished p95", lambda r: fmt(r["predictions"]["run_finished_p95_s"]))
    row(
        "p50 / p95: click → server's first message · → the answer's message · that message → painted",
        lambda r: " · ".join(f"{fmt(a)} / {fmt(b)}" for a, b in r["predictions"]["split_p50_p95_s"].values()),
    )
    row("predict_one itself (median)", lambda r: f"{r['predictions']['predict_one_ms_median'] or 0:.1f} ms")
    row(
        "p95 of clicks overlapping a refit / the others",
        lambda r: (
            f"{fmt(r['predictions']['during_refit']['p95_s'])} ({r['predictions']['during_refit']['clicks']}) "
            f"/ {fmt(r['predictions']['outside_refit']['p95_s'])} ({r['predictions']['outside_refit']['clicks']})"
        ),
    )
    row("runs in the project / status", lambda r: f"{r['checks']['runs']} {r['checks']['statuses']}")
    row("trial runs / parents", lambda r: f"{r['checks']['trial_runs']} / {len(r['checks']['parents'])}")
    row(
        "prediction-log rows / clicks",
        lambda r: f"{r['prediction_log']['rows']} / {r['prediction_log']['clicks_incl_warm_up']}",
    )
    row("errors shown to users", lambda r: len(r["errors"]))
    row("'database is locked' lines in the app log", lambda r: r["app_log"]["locked_lines"])
    row(
        "CPU s: app / workers / Chromium / rest",
        lambda r: (
            " / ".join(
                str(r["cpu_seconds"].get(k, 0))
                for k in (
                    "app server (streamlit)",
                    "app server: search workers (loky)",
                    "Chromium",
                    "rest of the machine",
                )
            )
            + f" of {r['cpu_seconds']['capacity (cores × wall)']}"
        ),
    )
    print("\n### Criteria\n\n| criterion | " + " | ".join(names) + " |\n|---|" + "---|" * len(names))
    for criterion in results[0]["criteria"]:
        marks = ["met" if r["criteria"].get(criterion) else "**NOT met**" for r in results]
        print(f"| {criterion} | " + " | ".join(marks) + " |")
    for r in results:
        print(f"\n### {r['store']}: details\n")
        print(f"uptime before: {r['uptime_before']}\nuptime after:  {r['uptime_after']}")
        print(f"CPU seconds during the load phase: {r['cpu_seconds']}")
        print("timeline (from release; clicks, click → painted, max 1-min load):")
        for bucket in r["predictions"]["timeline"]:
            print(f"  +{bucket['from_s']:>4} s: {bucket}")
        for search in r["searches"]:
            print(
                f"  search {search['session']}: {search['seconds']} s, run {search['run_id']}, store {search['store']}"
            )
        for error in r["errors"][:20]:
            print(f"  ERROR on {error['session']}: [{error['kind']}] {error['text'][:300]}")
        if len(r["errors"]) > 20:
            print(f"  … {len(r['errors']) - 20} more errors in the JSON")
        for phase in ("baseline", "predictions"):
            source = r["baseline"] if phase == "baseline" else r["predictions"]
            if source.get("clicks"):
                print(
                    f"  {phase}: {source['ended_by_painted_answer']} clicks ended by the painted answer (the page "
                    f"never showed 'running'); {source['timeouts']} without an answer in 60 s"
                )
            for stuck in source.get("stuck_pages", [])[:5]:
                print(f"    no answer: {stuck}")
        for failure in r["driver_failures"]:
            print(f"  driver: {failure}")
        if r["checks"]["not_finished"]:
            print(f"  runs not FINISHED: {r['checks']['not_finished'][:10]}")
        print(f"  app log: {r['app_log']}")
        for phase, runs in r.get("script_runs", {}).items():
            print(f"  app server's script runs, {phase}: {runs}")
        for label, spy in (("baseline", r["baseline"].get("py_spy")), ("with the searches", r.get("py_spy_gil"))):
            if spy:
                print(f"  GIL held in the app server, {label} (py-spy, {spy['seconds']} s): {spy['gil_held_share']}")
                for group, functions in spy["top_functions"].items():
                    print(f"    {group}:")
                    for function, share in functions:
                        print(f"      {share:6.1%}  {function}")
        if "mlflow_server_log" in r:
            print(f"  mlflow server log: {r['mlflow_server_log']}")


# -------------------------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=("sqlite", "server", "both"), default="both")
    parser.add_argument(
        "--client",
        choices=("protocol", "browser"),
        default="protocol",
        help="protocol: each session speaks Streamlit's websocket protocol (bench/st_client.py), no browser; "
        "browser: a headless Chromium context each",
    )
    parser.add_argument("--searchers", type=int, default=4, help="sessions that each run one search")
    parser.add_argument("--predictors", type=int, default=16, help="sessions that predict until the searches end")
    parser.add_argument("--trials", type=int, default=10, help="trial budget N of each search")
    parser.add_argument("--duration", type=float, default=900.0, help="seconds the searches may take at most")
    parser.add_argument(
        "--baseline",
        type=float,
        default=60.0,
        help="seconds the predictors click alone before the common start (0: no baseline)",
    )
    parser.add_argument(
        "--browser-nice",
        type=int,
        default=0,
        metavar="N",
        help="run Chromium under `nice -n N` (the browsers stand in for other machines; 0: as is)",
    )
    parser.add_argument(
        "--trace-runs",
        action="store_true",
        help="start the app through bench_predict's launcher: every script run and its post-run gc timed",
    )
    parser.add_argument("--think", type=float, default=0.0, help="seconds a predictor waits after each answer")
    parser.add_argument(
        "--think-spread",
        type=float,
        default=0.5,
        metavar="F",
        help="each wait is --think × a uniform draw from [1-F, 1+F] (0: all predictors click in step for ever)",
    )
    parser.add_argument(
        "--release",
        choices=["spread", "together"],
        help="after the common start, does each session first pause like a person (spread, the default with "
        "--think) or do all act in the same instant (together, the default without)?",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--py-spy",
        metavar="BIN",
        help="a py-spy binary: sample which app-server threads hold the GIL during the load (pip install py-spy)",
    )
    parser.add_argument("--json", type=Path, default=ROOT / "data" / "bench-load.json", help="where the results go")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (stores, logs)")
    parser.add_argument("--seed-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_child:
        seed_child()
        return 0
    if args.client == "browser" and not Path(CHROMIUM).exists():
        raise BenchFailure(f"{CHROMIUM} is missing: apt-get install -y chromium")
    if args.searchers < 1 or args.predictors < 1 or args.trials < 1:
        parser.error("--searchers, --predictors and --trials must be at least 1")
    if not 0 <= args.think_spread <= 1:
        parser.error("--think-spread must be between 0 and 1")
    args.pause = lambda rng: think_time(rng, args.think, args.think_spread)
    args.release = args.release or ("spread" if args.think else "together")
    import mlflow
    import streamlit

    machine = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "mlflow": mlflow.__version__,
        "streamlit": streamlit.__version__,
        "uptime_start": uptime(),
        "started_utc": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    }
    print(f"Machine: {machine}", flush=True)
    stores = ["sqlite", "server"] if args.store == "both" else [args.store]
    folder = Path(tempfile.mkdtemp(prefix="bench-load-")).resolve()
    results = []
    try:
        for number, kind in enumerate(stores, start=1):
            results.append(run_store(kind, args, folder, number))
    finally:
        if args.keep:
            print(f"(kept {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report(results, args)
    command = "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_load " + " ".join(
        sys.argv[1:]
    )
    print(f"\ncommand: {command}")
    machine["uptime_end"] = uptime()
    args_out = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items() if k not in ("roots", "pause")}
    payload = {"command": command, "machine": machine, "args": args_out, "results": results}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(payload, indent=1, default=lambda o: sorted(o) if isinstance(o, set) else str(o)))
    print(f"JSON: {args.json}")
    failed = [(r["store"], c) for r in results for c, ok in r["criteria"].items() if not ok]
    for store, criterion in failed:
        print(f"FAILED [{store}]: {criterion}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchFailure as exc:
        print(f"bench_load: {exc}", file=sys.stderr)
        sys.exit(1)
