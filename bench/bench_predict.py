"""Benchmark: predicting (issue 7) — the Predict page in a real browser, one row in process, a 100,000-row CSV.

One throw-away embedded store holds the example project, the iris data, one random forest (the catalogue's
defaults: 100 trees) registered as version 1 of ``iris-classifier`` with ``@production`` on it (gate overridden:
the run is not evaluated). Then three parts, each against a baseline measured in the same run:

  browser     ``streamlit run Home.py`` on a free port against the store, headless Debian Chromium (Playwright).
              first prediction: from ``Popen`` to the first "Predicted class" alert painted after one click on
              a fresh server, split into server ready (``/_stcore/health`` answers), page shown (the Predict
              button painted on ``/predict``), page idle, prediction shown (target ≤ 5 s; the handout's app
              took 13.4 s to interactive). Repeated ``--repeat`` times (a fresh server each), median reported.
              warm clicks: ``--clicks`` times change a petal slider inside the form (keyboard: End/Home/PageUp/
              PageDown/arrows, checked to change the value, then a 400 ms pause, untimed, before the click),
              click "Predict" and take, inside the page, the click event's time → the success alert's text
              changed in the DOM and the next frame painted after it → the script run finished. The first
              server of each variant is used. Targets p50 ≤ 150 ms, p95 ≤ 300 ms (click → painted).
              Both with the prediction log on (the default) and with ``QUA3CK_PREDICTION_LOG=off``.
  one row     ``core.serve.predict.predict_one(model, values)`` against the raw ``pipeline.predict(one_row_frame)``
              (``model.estimator``), interleaved, ``--reps`` each after a warm-up (target ≤ 1.2× by median).
  batch       a ``--rows`` CSV sampled from iris with noise (the 4 feature columns): ``read_batch`` +
              ``predict_frame`` + ``to_csv`` against bare ``pd.read_csv`` + ``predict`` + ``predict_proba`` +
              ``to_csv``; medians of ``--repeat`` after a warm-up (targets ≤ 2 s and ≤ 1.5× the bare loop).

Timings in the page use the page's own clock (a capture-phase click listener and a MutationObserver installed
before the app's scripts), so Playwright's round trips are not in them. A page showing an exception
(``[data-testid="stException"]``) stops the benchmark with exit code 1 and one line on stderr. The servers are
always stopped (terminate, then kill) and the temporary folder removed.

``--profile N`` adds, after the tables (top N entries each):
  - one more server (log on) started through a small launcher that wraps Streamlit's ``ScriptRunner._run_script``
    (the app is not changed): 20 warm clicks with each script run timed (and the post-run ``gc.collect`` that
    Streamlit's ``runner.postScriptGC`` does), then 20 with each run under cProfile — which core calls a rerun
    makes in the real server;
  - the same rerun through AppTest in this process (no browser, no websocket), timed and profiled;
  - predict_one step by step (round robin) and under cProfile; one batch round under cProfile;
  - the cold start in a fresh interpreter: the deep-linked Predict page's first run and first click through
    AppTest, by phase, then again under cProfile (imports and model load).

Run by hand:
    MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_predict [--repeat 3] [--clicks 50]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import (
    CHROMIUM,
    CHROMIUM_ARGS,
    MODEL,
    ROOT,
    STARTUP_TIMEOUT_S,
    BenchFailure,
    Server,
    build_store,
    load,
    percentile,
    start_server,
    stop_server,
    wait_ready,
)

CLICK_TIMEOUT_MS = 60_000
SETTLE_MS = 400  # after the key presses: longer than the slider's debounce, so the form submits the new value
TARGET_P50_MS = 150.0
TARGET_P95_MS = 300.0
TARGET_FIRST_S = 5.0
TARGET_ONE_ROW_RATIO = 1.2
TARGET_BATCH_S = 2.0
TARGET_BATCH_RATIO = 1.5
SLIDERS = (2, 3)  # petal length and width: they move the predicted class
KEYS = ("End", "Home", "PageUp", "PageDown", "ArrowRight", "ArrowLeft")
OPPOSITE = {"End": "Home", "Home": "End", "PageUp": "PageDown", "PageDown": "PageUp"}
OPPOSITE |= {"ArrowRight": "ArrowLeft", "ArrowLeft": "ArrowRight"}
ALERT = re.compile(r"Predicted class: (\S+) \(version (\d+), ([\d.]+) ms\)")
VARIANTS = {"log on": None, "log off": "off"}  # QUA3CK_PREDICTION_LOG of the server

# Installed in every document before the app's own scripts: the page's clock for clicks, the success alert's
# text changes (and the next painted frame after each) and the app's script state; the time the Predict
# button first appeared. Epoch milliseconds, comparable with Python's time.time().
INSTRUMENT_JS = """
(() => {
  if (window.__bench) return;
  const now = () => performance.timeOrigin + performance.now();
  const B = (window.__bench = { clicks: [], alerts: [], states: [], messages: [], shown: null });
  // every websocket message from the server: arrival time and whether it carries the success alert's text
  const decoder = new TextDecoder();
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        const t = now();
        const data = event.data;
        const text = data instanceof ArrayBuffer ? decoder.decode(new Uint8Array(data)) : String(data);
        B.messages.push({ t, alert: text.includes("Predicted class") });
      });
    }
  };
  let lastAlert = null, lastState = null;
  const alertText = () => {
    for (const el of document.querySelectorAll('[data-testid="stAlert"]')) {
      const text = el.textContent || "";
      if (text.includes("Predicted class")) return text;
    }
    return null;
  };
  const check = () => {
    const t = now();
    const text = alertText();
    if (text !== lastAlert) {
      lastAlert = text;
      const entry = { t, text, painted: null };
      B.alerts.push(entry);
      requestAnimationFrame(() => setTimeout(() => { entry.painted = now(); }, 0));
    }
    const app = document.querySelector('[data-testid="stApp"]');
    const state = app ? app.getAttribute("data-test-script-state") : null;
    if (state !== lastState) { lastState = state; B.states.push({ t, state }); }
    if (B.shown === null) {
      const buttons = document.querySelectorAll('[data-testid="stFormSubmitButton"] button');
      if ([...buttons].some((b) => b.textContent.trim() === "Predict" && b.offsetParent !== null)) B.shown = t;
    }
  };
  new MutationObserver(check).observe(document, {
    subtree: true, childList: true, characterData: true,
    attributes: true, attributeFilter: ["data-test-script-state"],
  });
  document.addEventListener("click", () => B.clicks.push(now()), true);
})();
"""

# After a click: the click's time, the first new "Predicted class" text (once painted) and the end of the run
# the click started; null while any of them is still missing.
CLICK_DONE_JS = """
([nClicks, nAlerts, nStates]) => {
  const B = window.__bench;
  if (B.clicks.length <= nClicks) return null;
  const states = B.states.slice(nStates);
  const started = states.findIndex((s) => s.state !== "notRunning");
  if (started < 0) return null;
  const done = states.slice(started + 1).find((s) => s.state === "notRunning");
  if (!done) return null;
  const alert = B.alerts.slice(nAlerts).find((a) => a.text && a.text.includes("Predicted class"));
  if (alert && alert.painted === null) return null;
  const messages = B.messages.filter((m) => m.t >= B.clicks[nClicks]);
  const first = messages.length ? messages[0].t : null;
  const carrying = messages.find((m) => m.alert);
  return {
    click: B.clicks[nClicks], done: done.t, started: states[started].t,
    alert: alert ? alert.t : null, painted: alert ? alert.painted : null, text: alert ? alert.text : null,
    firstMessage: first, alertMessage: carrying ? carrying.t : null,
    lastMessage: messages.filter((m) => m.t <= done.t).map((m) => m.t).pop() ?? null,
  };
}
"""

MARK_JS = "() => [window.__bench.clicks.length, window.__bench.alerts.length, window.__bench.states.length]"
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return window.__bench && window.__bench.shown !== null && app
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning";
}"""

# After MARK_JS's marks: a script run started and has finished. Under load a quick run's states may reach the
# page in one render (nothing seen running): then an alert the run removed, with the page idle, shows it ended.
RERUN_DONE_JS = """([nClicks, nAlerts, nStates]) => {
  const B = window.__bench;
  const states = B.states.slice(nStates);
  const started = states.findIndex((s) => s.state !== "notRunning");
  if (started >= 0 && states.slice(started + 1).some((s) => s.state === "notRunning")) return true;
  const app = document.querySelector('[data-testid="stApp"]');
  return B.alerts.slice(nAlerts).some((a) => a.text === null) && app !== null
    && app.getAttribute("data-test-script-state") === "notRunning";
}"""


@dataclass(frozen=True)
class PredictPage:
    """What the browser part looks for on a page that predicts one row; the defaults are the workbench's Predict
    page (bench/bench_handout.py drives the handout's app with another one).

    ``sliders``: a CSS selector per input slider, in input order; ``moved``: the ones the warm clicks move;
    ``reruns_on_input``: moving a slider reruns the script (it is not in a form), so a warm click waits for that run
    to end and then ``SETTLE_MS`` more (untimed); ``pattern``: the alert's text, group 1 the class, a group 3
    predict_one's own ms."""

    path: str = "/predict"
    button: str = "Predict"
    button_selector: str = ".st-key-predict_submit button"  # a button in a fragment since the inputs left their form
    alert: str = "Predicted class"
    pattern: re.Pattern = ALERT
    sliders: tuple[str, ...] = tuple(f".st-key-predict_input_{i} input[type=range]" for i in range(4))
    moved: tuple[int, ...] = SLIDERS
    reruns_on_input: bool = True  # a slider's change reruns the one-row fragment

    def instrument_js(self) -> str:
        """INSTRUMENT_JS looking for this page's button and alert."""
        return (
            INSTRUMENT_JS.replace('"Predicted class"', json.dumps(self.alert))
            .replace("'[data-testid=\"stFormSubmitButton\"] button'", f"'{self.button_selector}'")
            .replace('=== "Predict"', f"=== {json.dumps(self.button)}")
        )

    def click_done_js(self) -> str:
        return CLICK_DONE_JS.replace('"Predicted class"', json.dumps(self.alert))


WORKBENCH_PAGE = PredictPage()


# --profile only: `streamlit run` started through this launcher, which times every script run of the server
# (ScriptRunner._run_script, in the script thread) and, while the file ``profile-on`` exists in BENCH_RUNS_DIR,
# keeps a cProfile of each run there. The app itself is not changed.


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def verdict(ok: bool) -> str:
    return "met" if ok else "**NOT met**"


# --------------------------------------------------------------------------------------------------- the store


# -------------------------------------------------------------------------------------------------- the server


# ------------------------------------------------------------------------------------------------- the browser


@dataclass
class StartTimes:
    ready: float
    shown: float
    idle: float
    predicted: float
    click_to_alert: float


@dataclass
class Clicks:
    painted: list[float] = field(default_factory=list)  # click → next frame after the alert text changed
    alert: list[float] = field(default_factory=list)  # click → alert text changed in the DOM
    done: list[float] = field(default_factory=list)  # click → the script run finished
    server_ms: list[float] = field(default_factory=list)  # predict_one's own latency, as the alert shows it
    first_message: list[float] = field(default_factory=list)  # click → the server's first message of the run
    alert_message: list[float] = field(default_factory=list)  # click → the message with the alert's text
    to_dom: list[float] = field(default_factory=list)  # that message → the alert's text in the DOM
    last_message: list[float] = field(default_factory=list)  # click → the run's last message
    finish: list[float] = field(default_factory=list)  # the run's last message → the page says it finished
    unchanged: int = 0  # clicks whose alert text came back identical (no text change to time)
    timed_out: list[str] = field(default_factory=list)  # clicks with no finished run in time: what the page showed
    click_at: list[float] = field(default_factory=list)  # epoch ms of each click
    inputs: set = field(default_factory=set)
    classes: set = field(default_factory=set)


class ClickTimeout(BenchFailure):
    """A click after which no script run with a prediction finished within CLICK_TIMEOUT_MS."""


def check_page(page, what: str) -> None:
    boxes = page.locator('[data-testid="stException"]')
    if boxes.count():
        text = " ".join(boxes.first.inner_text().split())[:200]
        raise BenchFailure(f"the Predict page shows an exception {what}: {text}")


def page_state(page) -> str:
    """What the page says of itself after a click that did not finish: the script's state and the alert's text."""
    try:
        return page.evaluate(
            """() => ({state: (window.__bench && window.__bench.states.slice(-1)[0] || {}).state || "unknown",
                       alert: (document.querySelector('[data-testid="stAlert"]') || {}).innerText || ""})"""
        ).__repr__()[:200]
    except Exception as exc:  # noqa: BLE001 — a page that hangs may not answer either: say so
        return f"the page did not answer: {exc}"[:200]


def click_predict(page, what: str, spec: PredictPage = WORKBENCH_PAGE) -> dict:
    """Click "Predict" and return the page's timings of that click (epoch ms)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    mark = page.evaluate(MARK_JS)
    page.get_by_role("button", name=spec.button, exact=True).click()
    try:
        handle = page.wait_for_function(spec.click_done_js(), arg=mark, polling=20, timeout=CLICK_TIMEOUT_MS)
    except PlaywrightTimeoutError:
        check_page(page, what)
        raise ClickTimeout(f"no finished run with a prediction within {CLICK_TIMEOUT_MS / 1000:.0f} s {what}") from None
    result = handle.json_value()
    check_page(page, what)
    return result


def first_prediction(browser, server: Server, spec: PredictPage = WORKBENCH_PAGE) -> tuple[StartTimes, object, object]:
    """A fresh browser context on the fresh server: /predict (``spec.path``), wait until idle, one click."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(CLICK_TIMEOUT_MS)
    context.add_init_script(script=spec.instrument_js())
    page = context.new_page()
    ready = wait_ready(server)
    page.goto(f"{server.url}{spec.path}", wait_until="commit")
    try:
        page.wait_for_function(IDLE_JS, polling=20, timeout=STARTUP_TIMEOUT_S * 1000)
    except PlaywrightTimeoutError:
        check_page(page, "after opening it")
        raise BenchFailure(f"{spec.path} showed no {spec.button} button: {server.tail()}") from None
    check_page(page, "after opening it")
    page_times = page.evaluate("() => ({shown: window.__bench.shown, states: window.__bench.states})")
    idle_at = [s["t"] for s in page_times["states"] if s["state"] == "notRunning"][-1]
    result = click_predict(page, "after the first click", spec)
    if result["painted"] is None:
        raise BenchFailure(f"the first click finished without a '{spec.alert}' alert")
    origin = server.started * 1000
    times = StartTimes(
        ready=ready,
        shown=(page_times["shown"] - origin) / 1000,
        idle=(idle_at - origin) / 1000,
        predicted=(result["painted"] - origin) / 1000,
        click_to_alert=(result["painted"] - result["click"]) / 1000,
    )
    return times, context, page


def change_input(page, rng: random.Random, number: int, spec: PredictPage = WORKBENCH_PAGE) -> tuple[str, ...]:
    """Move one petal slider by keyboard until its value changed; the four slider values afterwards."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    selector = spec.sliders[spec.moved[number % len(spec.moved)]]
    slider = page.locator(selector)
    before = slider.input_value()
    mark = page.evaluate(MARK_JS) if spec.reruns_on_input else None
    key = rng.choice(KEYS)
    presses = 1 if key in ("End", "Home") else rng.randint(1, 5)
    for _ in range(3):  # at an end already: the other way
        slider.focus()
        for _ in range(presses):
            slider.press(key)
        try:
            page.wait_for_function(
                "([sel, before]) => document.querySelector(sel).value !== before", arg=[selector, before], timeout=1000
            )
            break
        except PlaywrightTimeoutError:
            key = OPPOSITE[key]
    else:
        raise BenchFailure(f"the keys {key}/{OPPOSITE[key]} did not move {selector} from {before}")
    page.wait_for_timeout(SETTLE_MS)
    if spec.reruns_on_input:  # the rerun the slider started (under load it may start late) ends before the click
        try:
            page.wait_for_function(RERUN_DONE_JS, arg=mark, polling=20, timeout=CLICK_TIMEOUT_MS)
            page.wait_for_function(IDLE_JS, polling=20, timeout=CLICK_TIMEOUT_MS)
        except PlaywrightTimeoutError:
            check_page(page, f"after moving {selector}")
            raise BenchFailure(f"moving {selector} started no script run that ended") from None
        # a person reaches the button later than this; clicking at once would land in Streamlit's post-run
        # gc.collect(2) of the slider's run, which starts after the page is told the run finished
        page.wait_for_timeout(SETTLE_MS)
    return tuple(page.locator(each).input_value() for each in spec.sliders)


def warm_clicks(page, count: int, seed: int, spec: PredictPage = WORKBENCH_PAGE) -> Clicks:
    rng = random.Random(seed)
    out = Clicks()
    for number in range(count):
        out.inputs.add(change_input(page, rng, number, spec))
        try:
            result = click_predict(page, f"after click {number + 2}", spec)
        except ClickTimeout as exc:  # counted, not the end of the comparison: the page is reloaded and it goes on
            out.timed_out.append(f"{exc} ({page_state(page)})")
            page.reload(wait_until="commit")
            page.wait_for_function(IDLE_JS, polling=20, timeout=CLICK_TIMEOUT_MS)
            continue
        out.click_at.append(result["click"])
        out.done.append((result["done"] - result["click"]) / 1000)
        if result["text"] is None:  # the same text as before (same class and latency): only the run's end counts
            out.unchanged += 1
            continue
        out.alert.append((result["alert"] - result["click"]) / 1000)
        out.painted.append((result["painted"] - result["click"]) / 1000)
        if result["firstMessage"] is not None and result["alertMessage"] is not None:
            out.first_message.append((result["firstMessage"] - result["click"]) / 1000)
            out.alert_message.append((result["alertMessage"] - result["click"]) / 1000)
            out.to_dom.append((result["alert"] - result["alertMessage"]) / 1000)
            out.last_message.append((result["lastMessage"] - result["click"]) / 1000)
            out.finish.append((result["done"] - result["lastMessage"]) / 1000)
        match = spec.pattern.search(result["text"])
        if match is None:
            raise BenchFailure(f"unexpected alert text after click {number + 2}: {result['text'][:120]}")
        out.classes.add(match.group(1))
        if spec.pattern.groups >= 3:
            out.server_ms.append(float(match.group(3)))
    return out


def logged_rows(experiment_id: str) -> tuple[int, int]:
    """Rows in the model's prediction log and how many distinct inputs they hold."""
    from core.serve import prediction_log

    log = prediction_log.read_log(experiment_id, MODEL)
    inputs = [c for c in log.columns if c.startswith("input.")]
    return len(log), (len(log[inputs].drop_duplicates()) if inputs else 0)


def browser_part(args, store: Path, folder: Path, experiment_id: str) -> dict:
    """Per variant: --repeat fresh servers (first prediction each), the warm clicks on the first."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise BenchFailure(f"{CHROMIUM} is missing: apt-get install -y chromium")
    results: dict[str, dict] = {name: {"starts": [], "clicks": None, "logged": None} for name in VARIANTS}
    number = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        results["chromium"] = browser.version
        try:
            for round_number in range(args.repeat):
                for name, switch in VARIANTS.items():
                    number += 1
                    rows_before = logged_rows(experiment_id)
                    server = start_server(store, folder, switch, number)
                    context = None
                    try:
                        times, context, page = first_prediction(browser, server)
                        results[name]["starts"].append(times)
                        line = (
                            f"  {name}, start {round_number + 1}: ready {times.ready:.2f} s, shown "
                            f"{times.shown:.2f} s, idle {times.idle:.2f} s, predicted {times.predicted:.2f} s "
                            f"(load {load()})"
                        )
                        if round_number == 0 and args.clicks:
                            clicks = warm_clicks(page, args.clicks, args.seed)
                            results[name]["clicks"] = clicks
                            line += (
                                f"; {args.clicks} clicks: p50 {ms(statistics.median(clicks.painted))}, "
                                f"p95 {ms(percentile(clicks.painted, 95))} (load {load()})"
                            )
                        print(line, flush=True)
                    finally:
                        if context is not None:
                            context.close()
                        stop_server(server)  # the prediction log is flushed at the server's exit
                    if round_number == 0:
                        rows_after = logged_rows(experiment_id)
                        results[name]["logged"] = (rows_after[0] - rows_before[0], rows_after[1])
        finally:
            browser.close()
    return results


# ---------------------------------------------------------------------------------------------- in the process


def one_row_part(model, reps: int, seed: int) -> dict[str, list[float]]:
    """predict_one vs raw pipeline.predict on the same row, interleaved; seconds per call."""
    import pandas as pd

    from core.serve import predict

    values = predict.default_inputs(model)
    frame = pd.DataFrame([values])[model.features]
    pipeline = model.estimator
    variants = {
        "raw": lambda: pipeline.predict(frame),
        "raw_proba": lambda: pipeline.predict_proba(frame),
        "workbench": lambda: predict.predict_one(model, values),
    }
    for call in variants.values():  # warm-up
        for _ in range(50):
            call()
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    order = list(variants)
    rng = random.Random(seed)
    for _ in range(reps):
        rng.shuffle(order)  # no variant always runs right after another
        for name in order:
            started = time.perf_counter()
            variants[name]()
            seconds[name].append(time.perf_counter() - started)
    return seconds


def big_csv(model, rows: int, seed: int) -> bytes:
    """``rows`` iris rows sampled with replacement, Gaussian noise of a tenth of each column's spread."""
    import numpy as np

    from core.data import sets

    rng = np.random.default_rng(seed)
    iris = sets.load_builtin("iris")[model.features]
    sample = iris.iloc[rng.integers(0, len(iris), rows)].reset_index(drop=True)
    sample = sample + rng.normal(0.0, 1.0, sample.shape) * (0.1 * iris.std().to_numpy())
    return sample.clip(lower=0.05).round(2).to_csv(index=False).encode()


def workbench_batch(model, content: bytes) -> dict[str, float]:
    from core.serve import predict

    times = {}
    started = time.perf_counter()
    rows, findings = predict.read_batch(content, "big.csv", model)
    times["read"] = time.perf_counter() - started
    if any(f.severity == "error" for f in findings):
        raise BenchFailure(f"read_batch found errors in the generated CSV: {findings[0].message}")
    started = time.perf_counter()
    scored = predict.predict_frame(model, rows)
    times["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    text = scored.to_csv(index=False)
    times["to_csv"] = time.perf_counter() - started
    times["total"] = sum(times.values())
    times["_rows"], times["_chars"] = len(scored), len(text)
    return times


def bare_batch(pipeline, content: bytes) -> dict[str, float]:
    import pandas as pd

    times = {}
    started = time.perf_counter()
    rows = pd.read_csv(io.BytesIO(content))
    times["read"] = time.perf_counter() - started
    started = time.perf_counter()
    labels = pipeline.predict(rows)
    proba = pipeline.predict_proba(rows)
    out = rows.copy()
    out["prediction"] = labels
    for i, cls in enumerate(pipeline.classes_):
        out[f"proba_{cls}"] = proba[:, i]
    times["predict"] = time.perf_counter() - started
    started = time.perf_counter()
    text = out.to_csv(index=False)
    times["to_csv"] = time.perf_counter() - started
    times["total"] = sum(times.values())
    times["_rows"], times["_chars"] = len(out), len(text)
    return times


def log_records(model, content: bytes) -> float:
    """What the page adds synchronously for a batch with the prediction log on (building the log rows)."""
    from core.serve import predict, prediction_log

    rows, _ = predict.read_batch(content, "big.csv", model)
    scored = predict.predict_frame(model, rows)
    started = time.perf_counter()
    prediction_log.records(rows, scored, model.name, model.version, "batch")
    return time.perf_counter() - started


def batch_part(model, content: bytes, repeat: int) -> dict[str, list[dict]]:
    workbench_batch(model, content)  # warm-up: imports of the readers, first predict of the process
    bare_batch(model.estimator, content)
    rounds: dict[str, list[dict]] = {"bare": [], "workbench": []}
    for number in range(repeat):
        first, second = ("bare", "workbench") if number % 2 == 0 else ("workbench", "bare")
        for name in (first, second):
            run = bare_batch(model.estimator, content) if name == "bare" else workbench_batch(model, content)
            rounds[name].append(run)
        if rounds["bare"][-1]["_rows"] != rounds["workbench"][-1]["_rows"]:
            raise BenchFailure("the bare loop and the workbench scored a different number of rows")
        print(
            f"  batch round {number + 1}: bare {rounds['bare'][-1]['total']:.2f} s, "
            f"workbench {rounds['workbench'][-1]['total']:.2f} s (load {load()})",
            flush=True,
        )
    return rounds


# -------------------------------------------------------------------------------------------------- the profile


def profile_page(top: int, reruns: int = 20) -> None:
    """The Predict page's rerun after a click, through AppTest in this process: timed, then profiled."""
    import logging

    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from bench.common import print_profile, profiled

    for name in ("error_util", "runtime.caching.cache_data_api", "runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(f"streamlit.{name}").disabled = True
    st.cache_data.clear()
    st.cache_resource.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/predict.py").run()

    def click(value: float) -> float:
        at.slider(key="predict_input_2").set_value(value)
        button = next(b for b in at.button if b.label == "Predict")
        started = time.perf_counter()
        button.click().run()
        elapsed = time.perf_counter() - started
        if at.exception:
            raise BenchFailure(f"the Predict page raised under AppTest: {at.exception[0].message}")
        if not any("Predicted class" in s.value for s in at.success):
            raise BenchFailure("the Predict page showed no 'Predicted class' under AppTest")
        return elapsed

    values = [1.5 + 0.25 * (i % 20) for i in range(reruns + 3)]
    for value in values[:3]:
        click(value)  # warm-up: model cached, first plotly figure, writer thread
    times = [click(value) for value in values[3:]]
    print(
        f"\nAppTest rerun after a click (the script alone, no browser, no websocket), {reruns} reruns: "
        f"median {ms(statistics.median(times))}, p95 {ms(percentile(times, 95))}"
    )
    print_profile("the Predict page's rerun after a click (AppTest)", *profiled(lambda: click(3.0)), top)


def cold_child(top: int) -> None:
    """In a fresh interpreter (started by ``profile_cold``): the deep-linked Predict page's first run and first
    click through AppTest, as the server's first request runs them (the page builds the shell in place), by phase."""
    import logging

    started = time.perf_counter()
    from streamlit.testing.v1 import AppTest

    imported = time.perf_counter() - started
    for name in ("error_util", "runtime.caching.cache_data_api", "runtime.scriptrunner_utils.script_run_context"):
        logging.getLogger(f"streamlit.{name}").disabled = True
    at = AppTest.from_file(str(ROOT / "pages" / "predict.py"), default_timeout=300)

    def first_run() -> float:
        begun = time.perf_counter()
        at.run()
        return time.perf_counter() - begun

    def first_click() -> float:
        button = next(b for b in at.button if b.label == "Predict")
        begun = time.perf_counter()
        button.click().run()
        return time.perf_counter() - begun

    print(f"\n### Cold start in a fresh interpreter{' under cProfile' if top else ''} (AppTest, no browser)\n")
    print(f"import streamlit + AppTest (the server's own start-up is of this kind): {imported:.2f} s")
    for what, phase in (
        ("first run of /predict (imports of core, mlflow, the page; model load)", first_run),
        ("first click on Predict", first_click),
    ):
        if top:
            from bench.common import print_profile, profiled

            elapsed, profilers = profiled(phase)
            print(f"{what}: {elapsed:.2f} s under the profiler")
            print_profile(what, elapsed, profilers, top)
        else:
            print(f"{what}: {phase():.2f} s")
        if at.exception:
            raise BenchFailure(f"the Predict page raised under AppTest: {at.exception[0].message}")
    if not any("Predicted class" in s.value for s in at.success):
        raise BenchFailure("the cold Predict page showed no 'Predicted class' under AppTest")


def profile_cold(top: int) -> None:
    """``cold_child`` twice in fresh interpreters: timed, then profiled."""
    env = {k: v for k, v in os.environ.items() if k not in {"MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI"}}
    for flags in ([], ["--profile", str(top)]):
        command = [sys.executable, "-m", "bench.bench_predict", "--cold-child", *flags]
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stdout, stderr=subprocess.PIPE, text=True)
        sys.stdout.flush()
        if done.returncode:
            lines = [line for line in done.stderr.splitlines() if line.strip()] or ["(no output)"]
            raise BenchFailure(f"the cold-start child failed: {lines[-1][:200]}")


def profile_server(store: Path, folder: Path, clicks: int, seed: int, top: int) -> None:
    """One more server (log on) through LAUNCHER: ``clicks`` warm clicks with the script runs only timed, then
    as many with each run under cProfile; the server's own view of the runs the clicks started."""
    from playwright.sync_api import sync_playwright

    from bench.common import print_profile

    runs_dir = folder / "server-runs"
    runs_dir.mkdir()
    server = start_server(store, folder, None, 0, runs_dir)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                _, context, page = first_prediction(browser, server)
                timed = warm_clicks(page, clicks, seed)
                (runs_dir / "profile-on").touch()
                profiled_clicks = warm_clicks(page, clicks, seed + 1)
                context.close()
            finally:
                browser.close()
    finally:
        stop_server(server)
    runs = []
    for line in (runs_dir / "runs.tsv").read_text().splitlines():
        number, started, elapsed, profiled, gc_ms = line.split("\t")
        runs.append((int(number), float(started), float(elapsed), profiled == "1", float(gc_ms)))

    def runs_of(click_at: list[float]) -> list[tuple]:
        """The run each click started: the first run that began after the click."""
        found = []
        for click in click_at:
            after = [r for r in runs if r[1] >= click - 1]
            if after:
                found.append(after[0])
        return found

    plain, under = runs_of(timed.click_at), runs_of(profiled_clicks.click_at)
    print(f"\n### The real server's script runs ({clicks} warm clicks timed, {clicks} more under cProfile; log on)\n")
    print(
        "| clicks | server: script run (`ScriptRunner._run_script`) | of it the post-run `gc.collect(2)` "
        "(after the run's last message) | browser: click → alert painted |"
    )
    print("|---|---|---|---|")
    for label, chosen, clicked in (("timed only", plain, timed), ("under cProfile", under, profiled_clicks)):
        values, collects = [r[2] / 1000 for r in chosen], [r[4] / 1000 for r in chosen]
        print(
            f"| {label} | p50 {ms(statistics.median(values))}, p95 {ms(percentile(values, 95))} | "
            f"p50 {ms(statistics.median(collects))}, p95 {ms(percentile(collects, 95))} | "
            f"p50 {ms(statistics.median(clicked.painted))}, p95 {ms(percentile(clicked.painted, 95))} |"
        )
    paths = [runs_dir / f"run-{r[0]:04d}.prof" for r in under if r[3]]
    if not paths:
        print("\nno profiled runs were written")
        return
    elapsed = sum(r[2] for r in under) / 1000
    print_profile(
        f"the real server's {len(paths)} script runs after warm clicks, summed (a 'thread' per run)",
        elapsed,
        [("ScriptRunner.scriptThread", str(path)) for path in paths],  # one "thread" per run
        top,
    )


def print_main_thread_profile(title: str, action, top: int) -> None:
    """cProfile of ``action`` in this thread: the top entries by cumulative time."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    action()
    profiler.disable()
    elapsed = time.perf_counter() - started
    stats = pstats.Stats(profiler)
    print(f"\n### cProfile of {title}: {elapsed:.2f} s under the profiler")
    print(f"\ntop {top} cumulative:\n\n| cumulative s | own s | calls | function |\n|---|---|---|---|")
    entries = sorted(stats.stats.items(), key=lambda item: item[1][3], reverse=True)[:top]
    for (filename, line, name), (_, calls, own, cumulative, _) in entries:
        where = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        print(f"| {cumulative:.3f} | {own:.3f} | {calls} | `{where}:{line}({name})` |")


def profile_one_row(model, top: int, calls: int = 300) -> None:
    """Where predict_one's time goes beyond the estimator: its steps timed alone, then a cProfile."""
    import pandas as pd

    from core.data.roles import coerce_for_roles
    from core.serve import predict

    values = predict.default_inputs(model)
    roles = {c: spec.get("role", "") for c, spec in (model.schema or {}).get("features", {}).items()}
    row = pd.DataFrame([{f: values.get(f) for f in model.features}])
    X = row[model.features]
    proba = model.estimator.predict_proba(X)
    out = row.copy()

    def scored() -> None:  # predict_frame's output columns on a copy, as it builds them
        frame = row.copy()
        frame["prediction"] = model.estimator.classes_[proba.argmax(axis=1)]
        for i, cls in enumerate(model.estimator.classes_):
            frame[f"proba_{cls}"] = proba[:, i]

    for column in model.estimator.classes_:
        out[f"proba_{column}"] = 0.5
    steps = {
        "one-row DataFrame from the dict": lambda: pd.DataFrame([{f: values.get(f) for f in model.features}]),
        "coerce_for_roles (a copy, dtype checks)": lambda: coerce_for_roles(row, roles),
        "rows[model.features]": lambda: row[model.features],
        "estimator.predict_proba (the model itself)": lambda: model.estimator.predict_proba(X),
        "estimator.predict_proba of the frame predict_frame passes": lambda: model.estimator.predict_proba(
            coerce_for_roles(row, roles)[model.features]
        ),
        "copy + prediction + 3 proba columns": scored,
        "probabilities dict from the output": lambda: {
            c[len("proba_") :]: float(out[c].iloc[0]) for c in out.columns if c.startswith("proba_")
        },
        "predict_one, all of it": lambda: predict.predict_one(model, values),
    }
    times: dict[str, list[float]] = {label: [] for label in steps}
    for _ in range(calls):  # round robin: every step sees the same machine
        for label, step in steps.items():
            started = time.perf_counter()
            step()
            times[label].append(time.perf_counter() - started)
    print(f"\n### predict_one step by step (median of {calls} calls each, round robin)\n\n| step | median |\n|---|---|")
    for label, seconds in times.items():
        print(f"| {label} | {statistics.median(seconds) * 1000:.2f} ms |")
    print_main_thread_profile(
        f"{calls} predict_one calls", lambda: [predict.predict_one(model, values) for _ in range(calls)], top
    )


def profile_batch(model, content: bytes, top: int) -> None:
    print_main_thread_profile("one workbench batch round", lambda: workbench_batch(model, content), top)


# ------------------------------------------------------------------------------------------------------ report


def report_browser(results: dict, clicks_wanted: int, repeat: int) -> None:
    print(f"\n### Predict page in Chromium ({results['chromium']}), real `streamlit run` server\n")
    print(f"First prediction on a fresh server, seconds from `Popen`, median of {repeat} starts:\n")
    print("| variant | server ready | page shown | page idle | prediction shown | click → shown | target | met? |")
    print("|---|---|---|---|---|---|---|---|")
    for name in VARIANTS:
        starts = results[name]["starts"]
        med = {k: statistics.median(getattr(s, k) for s in starts) for k in StartTimes.__dataclass_fields__}
        spread = f" ({min(s.predicted for s in starts):.2f}–{max(s.predicted for s in starts):.2f})"
        print(
            f"| {name} | {med['ready']:.2f} s | {med['shown']:.2f} s | {med['idle']:.2f} s | "
            f"{med['predicted']:.2f} s{spread if len(starts) > 1 else ''} | {ms(med['click_to_alert'])} | "
            f"≤ {TARGET_FIRST_S:.0f} s | {verdict(med['predicted'] <= TARGET_FIRST_S)} |"
        )
    if not clicks_wanted:
        return
    print(f"\nWarm clicks: {clicks_wanted} × (move a petal slider, click Predict), in-page clock:\n")
    print("| variant | measured | p50 | p95 | max | target | met? |\n|---|---|---|---|---|---|---|")
    base = statistics.median(results["log off"]["clicks"].painted)
    for name in VARIANTS:
        clicks: Clicks = results[name]["clicks"]
        for label, values, target in (
            ("click → alert text changed (DOM)", clicks.alert, None),
            ("click → alert painted (next frame)", clicks.painted, (TARGET_P50_MS, TARGET_P95_MS)),
            ("click → script run finished", clicks.done, None),
        ):
            p50, p95 = statistics.median(values), percentile(values, 95)
            if target:
                goal = f"p50 ≤ {target[0]:.0f} ms, p95 ≤ {target[1]:.0f} ms"
                met = verdict(p50 * 1000 <= target[0] and p95 * 1000 <= target[1])
            else:
                goal, met = "—", "—"
            print(f"| {name} | {label} | {ms(p50)} | {ms(p95)} | {ms(max(values))} | {goal} | {met} |")
    print("\nWhere a warm click's time goes (medians, in-page clock; websocket messages timed on arrival):\n")
    print(
        "| variant | click → server's first message | click → message with the alert | that message → alert in "
        "the DOM | DOM → painted | click → run's last message | last message → run finished |"
    )
    print("|---|---|---|---|---|---|---|")
    for name in VARIANTS:
        c: Clicks = results[name]["clicks"]
        if not c.alert_message:
            print(f"| {name} | no websocket messages seen | | | | | |")
            continue
        med = statistics.median
        print(
            f"| {name} | {ms(med(c.first_message))} | {ms(med(c.alert_message))} | {ms(med(c.to_dom))} | "
            f"{ms(med(p - a for p, a in zip(c.painted, c.alert, strict=True)))} | {ms(med(c.last_message))} | "
            f"{ms(med(c.finish))} |"
        )
    for name in VARIANTS:
        clicks = results[name]["clicks"]
        on = statistics.median(clicks.painted)
        print(
            f"\n{name}: predict_one's own latency (shown in the alert) median "
            f"{statistics.median(clicks.server_ms):.1f} ms; p50 {on / base:.2f}× the log-off p50; "
            f"{len(clicks.inputs)} distinct inputs, classes "
            f"{sorted(clicks.classes)}, {clicks.unchanged} clicks with an unchanged alert text (not in the alert/"
            f"painted rows); prediction log: {results[name]['logged'][0]} rows written by that server "
            f"(the first click and the warm ones), {results[name]['logged'][1]} distinct inputs in the whole log"
        )


def report_one_row(seconds: dict[str, list[float]], reps: int) -> None:
    base = statistics.median(seconds["raw"])
    print(f"\n### One row in process ({reps} calls each, interleaved, after 50 warm-up calls)\n")
    print("| variant | median | p95 | ratio (median) | ratio (p95) | target | met? |\n|---|---|---|---|---|---|---|")
    labels = {
        "raw": ("raw `pipeline.predict(one_row_frame)` (baseline)", False),
        "raw_proba": ("raw `pipeline.predict_proba(one_row_frame)` (for reference)", False),
        "workbench": ("**`core.serve.predict.predict_one(model, values)`**", True),
    }
    base95 = percentile(seconds["raw"], 95)
    for name, (label, targeted) in labels.items():
        med, p95 = statistics.median(seconds[name]), percentile(seconds[name], 95)
        goal = f"≤ {TARGET_ONE_ROW_RATIO}×" if targeted else "—"
        met = verdict(med / base <= TARGET_ONE_ROW_RATIO) if targeted else "—"
        print(f"| {label} | {ms(med)} | {ms(p95)} | {med / base:.2f} | {p95 / base95:.2f} | {goal} | {met} |")


def report_batch(rounds: dict[str, list[dict]], repeat: int, rows: int, size: int, records_s: float) -> None:
    med = {
        name: {k: statistics.median(r[k] for r in runs) for k in ("read", "predict", "to_csv", "total")}
        for name, runs in rounds.items()
    }
    base = med["bare"]["total"]
    work = med["workbench"]["total"]
    print(f"\n### A {rows:,}-row CSV ({size / 1e6:.1f} MB), median of {repeat} after a warm-up\n")
    print("| variant | read | predict | to_csv | total | ratio | target | met? |\n|---|---|---|---|---|---|---|---|")
    print(
        f"| bare `read_csv` + `predict` + `predict_proba` + `to_csv` (baseline) | {med['bare']['read']:.2f} s | "
        f"{med['bare']['predict']:.2f} s | {med['bare']['to_csv']:.2f} s | {base:.2f} s | 1.00 | — | — |"
    )
    ok = work <= TARGET_BATCH_S and work / base <= TARGET_BATCH_RATIO
    print(
        f"| **`read_batch` + `predict_frame` + `to_csv`** | {med['workbench']['read']:.2f} s | "
        f"{med['workbench']['predict']:.2f} s | {med['workbench']['to_csv']:.2f} s | **{work:.2f} s** | "
        f"**{work / base:.2f}** | ≤ {TARGET_BATCH_S:.0f} s and ≤ {TARGET_BATCH_RATIO}× | {verdict(ok)} |"
    )
    print(
        "\n(not in the total: the page with the log on also builds the log rows, `prediction_log.records`: "
        f"{records_s:.2f} s)"
    )


# -------------------------------------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="server starts per variant and batch rounds (medians)")
    parser.add_argument("--clicks", type=int, default=50, help="warm clicks per variant (0: none)")
    parser.add_argument("--reps", type=int, default=1000, help="one-row calls per variant in process")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the generated batch CSV")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--skip-browser", action="store_true", help="only the in-process parts")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="profile a page rerun and a batch, top N")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (store and server logs)")
    parser.add_argument("--cold-child", action="store_true", help=argparse.SUPPRESS)  # used by --profile
    args = parser.parse_args()
    if args.cold_child:  # the store is the parent's (QUA3CK_DATA_DIR)
        warnings.filterwarnings("ignore")
        cold_child(args.profile)
        return
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    folder = Path(tempfile.mkdtemp(prefix="bench-predict-")).resolve()
    try:
        measure(args, folder)
    finally:
        if "core.serve.prediction_log" in sys.modules:  # queued log rows go to the store before it is removed
            sys.modules["core.serve.prediction_log"].flush(timeout=10.0)
        if args.keep:
            print(f"(kept {folder})")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def measure(args: argparse.Namespace, folder: Path) -> None:
    warnings.filterwarnings("ignore")
    store = folder / "store"
    store.mkdir()
    os.environ["QUA3CK_DATA_DIR"] = str(store)  # before core and mlflow are imported
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)
    os.environ.pop("QUA3CK_PREDICTION_LOG", None)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.chdir(ROOT)

    import logging

    import mlflow
    import pandas
    import sklearn
    import streamlit

    from core.common.config import activate_store
    from core.serve import predict

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    if not activate_store().embedded:
        raise BenchFailure("expected the temporary embedded store")
    started = time.perf_counter()
    built = build_store()
    print(
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, MLflow {mlflow.__version__}, "
        f"Streamlit {streamlit.__version__}, scikit-learn {sklearn.__version__}, pandas {pandas.__version__}; "
        f"load average (1/5/15 min) before: {load()}"
    )
    print(
        f"  (store built in {time.perf_counter() - started:.1f} s: random forest {built['params']} registered as "
        f"{MODEL} v{built['version']}, @production)",
        flush=True,
    )

    browser = None
    if not args.skip_browser:
        browser = browser_part(args, store, folder, built["experiment_id"])
    load_after_browser = load()

    model = predict.load_served_model(MODEL, built["version"])
    if model.estimator is None:
        raise BenchFailure("load_served_model gave no scikit-learn estimator to compare with")
    one_row = one_row_part(model, args.reps, args.seed)
    print(f"  one row: {args.reps} calls each done (load {load()})", flush=True)
    content = big_csv(model, args.rows, args.seed)
    rounds = batch_part(model, content, args.repeat)
    records_s = log_records(model, content)
    load_after = load()

    print(
        f"\n## Results (load average before: see above; after the browser part: {load_after_browser}; "
        f"at the end: {load_after})"
    )
    if browser is not None:
        report_browser(browser, args.clicks, args.repeat)
    report_one_row(one_row, args.reps)
    report_batch(rounds, args.repeat, args.rows, len(content), records_s)
    print(
        "\ncommand: MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false .venv/bin/python -m bench.bench_predict "
        + " ".join(sys.argv[1:])
    )
    if args.profile:
        if not args.skip_browser:
            profile_server(store, folder, min(args.clicks, 20) or 20, args.seed, args.profile)
        profile_page(args.profile)
        profile_one_row(model, args.profile)
        profile_batch(model, content, args.profile)
        profile_cold(args.profile)


if __name__ == "__main__":
    try:
        main()
    except BenchFailure as exc:
        print(f"bench_predict: {exc}", file=sys.stderr)
        sys.exit(1)
