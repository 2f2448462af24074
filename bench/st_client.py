"""A Streamlit client without a browser, for load benchmarks: it speaks the app's websocket protocol.

Twenty headless Chromium pages on a two-core machine take most of its CPU (bench/bench_load.py measured 64 %)
and stand in badly for twenty people on their own machines: their starved renderers, not the server, made most
of a click's latency. This client opens the same websocket a browser opens (``/_stcore/stream``), sends the
same ``BackMsg`` a browser sends — a page run, a widget value, a button or form click, a fragment's automatic
rerun — and reads the same ``ForwardMsg`` stream, at a few milliseconds of CPU per message. It renders nothing:
times end when the message carrying an answer arrives, not when a browser would have painted it (the Predict
benchmark measures that part in a real browser: ~40 ms).

It keeps what a browser keeps for the runs that follow: the latest element at each place of the page, the
widgets and the values set on them (sent with every rerun, as the frontend does), and the fragments the server
asked to rerun on a timer (``auto_rerun``). One request at a time per session: a method returns when the run it
started (and any rerun the script itself asked for) has finished.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

FINISHED = ForwardMsg.ScriptFinishedStatus
RUN_TIMEOUT_S = 300.0


@dataclass
class Shown:
    """One element a run sent: when it arrived (epoch s), what it is and its text."""

    at: float
    kind: str
    text: str
    error: bool  # an exception box or an error alert


@dataclass
class Run:
    """What one request started: send time, first message, every element shown and when the run finished."""

    sent: float
    first: float | None = None
    finished: float | None = None
    status: str | None = None
    shown: list[Shown] = field(default_factory=list)

    def find(self, text: str) -> Shown | None:
        """The first element of this run whose text contains ``text``."""
        return next((s for s in self.shown if text in s.text), None)

    def errors(self) -> list[Shown]:
        return [s for s in self.shown if s.error]


def element_text(element) -> tuple[str, str, bool]:
    """(kind, text, is an error) of an ``Element`` proto."""
    kind = element.WhichOneof("type") or ""
    if kind == "alert":
        return kind, element.alert.body, element.alert.format == Alert.ERROR
    if kind == "exception":
        return kind, f"{element.exception.type}: {element.exception.message}", True
    if kind in ("markdown", "text", "heading", "code"):
        part = getattr(element, kind)
        return kind, getattr(part, "body", ""), False
    if kind == "progress":
        return kind, element.progress.text, False
    return kind, "", False


class AppSession:
    """One person's session with a running app (``url``: ``http://host:port``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.widgets: dict[str, object] = {}  # widget id → its latest Element proto
        self.values: dict[str, WidgetState] = {}  # widget id → the value this client set
        self.auto_reruns: dict[str, float] = {}  # fragment id → seconds between its automatic reruns
        self.page_name = ""
        self.page_script_hash = ""  # from the server's navigation message
        self._socket = None
        self._reader: asyncio.Task | None = None
        self._run: Run | None = None
        self._done = asyncio.Event()
        self._fragment_of: dict[str, str] = {}  # widget id → the fragment it is drawn in ("" outside any)
        self.closed: str | None = None  # why the connection ended, when it did

    async def connect(self) -> None:
        import websockets

        ws_url = self.url.replace("http", "ws", 1) + "/_stcore/stream"
        self._socket = await websockets.connect(
            ws_url, subprotocols=["streamlit"], origin=self.url, max_size=None, open_timeout=120, ping_interval=None
        )
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()

    # ------------------------------------------------------------------------------------------ requests

    async def open(self, page_name: str) -> Run:
        """Run a page as a browser opening ``/<page_name>`` does."""
        self.page_name, self.page_script_hash = page_name, ""
        return await self._request()

    async def rerun(self, fragment_id: str | None = None, auto: bool = False) -> Run:
        return await self._request(fragment_id=fragment_id, auto=auto)

    async def set_value(self, key: str, value) -> Run:
        """Change a widget outside a form (as a person does: the app reruns)."""
        self._store(self.widget_id(key), value)
        return await self._request()

    def set_form_value(self, key: str, value) -> None:
        """Change a widget inside a form: sent with the form's submit, no rerun."""
        self._store(self.widget_id(key), value)

    async def click(self, key: str | None = None, label: str | None = None) -> Run:
        """Click a button or a form's submit button (by key or by label); inside a fragment only it reruns."""
        widget_id = self.widget_id(key) if key else self.button_id(label or "")
        trigger = WidgetState(id=widget_id, trigger_value=True)
        return await self._request(fragment_id=self._fragment_of.get(widget_id) or None, extra=[trigger])

    # ------------------------------------------------------------------------------------------ lookups

    def widget_id(self, key: str) -> str:
        """The id of the widget with user key ``key`` (Streamlit ends such ids with ``-<key>``)."""
        for widget_id in self.widgets:
            if widget_id.endswith(f"-{key}"):
                return widget_id
        raise KeyError(f"no widget with key {key!r} on the page")

    def button_id(self, label: str) -> str:
        for widget_id, element in self.widgets.items():
            if element.WhichOneof("type") == "button" and element.button.label == label:
                return widget_id
        raise KeyError(f"no button {label!r} on the page")

    def widget(self, key: str):
        element = self.widgets[self.widget_id(key)]
        return getattr(element, element.WhichOneof("type"))

    # ------------------------------------------------------------------------------------------ internals

    def _store(self, widget_id: str, value) -> None:
        element = self.widgets[widget_id]
        kind = element.WhichOneof("type")
        state = WidgetState(id=widget_id)
        if kind == "slider":
            state.double_array_value.data.extend([float(v) for v in (value if isinstance(value, list) else [value])])
        elif kind == "number_input":
            if element.number_input.data_type == element.number_input.INT:
                state.int_value = int(value)
            else:
                state.double_value = float(value)
        elif kind == "checkbox":
            state.bool_value = bool(value)
        elif kind == "text_input":
            state.string_value = str(value)
        else:
            raise ValueError(f"setting a {kind} is not supported by this client")
        self.values[widget_id] = state

    async def _request(self, fragment_id: str | None = None, auto: bool = False, extra: list | None = None) -> Run:
        if self.closed:
            raise ConnectionError(f"the connection is closed: {self.closed}")
        message = BackMsg()
        state = message.rerun_script
        state.query_string = ""
        state.page_name = self.page_name
        state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(list(self.values.values()) + (extra or []))
        if fragment_id:
            state.fragment_id = fragment_id
            state.is_auto_rerun = auto
        else:  # a whole run registers the timers of the fragments it still draws
            self.auto_reruns.clear()
        state.context_info.timezone = "UTC"
        state.context_info.locale = "en-US"
        run = self._run = Run(sent=time.time())
        self._done.clear()
        await self._socket.send(message.SerializeToString())
        try:
            await asyncio.wait_for(self._done.wait(), RUN_TIMEOUT_S)
        except TimeoutError:
            run.status = "timeout"
        return run

    async def _read(self) -> None:
        try:
            async for data in self._socket:
                self._handle(data, time.time())
        except Exception as exc:  # noqa: BLE001 — any end of the stream is reported, not raised here
            self.closed = f"{type(exc).__name__}: {exc}"
        else:
            self.closed = "closed by the server"
        self._done.set()

    def _handle(self, data: bytes, now: float) -> None:
        message = ForwardMsg()
        message.ParseFromString(data)
        kind = message.WhichOneof("type")
        run = self._run
        if run is not None and run.first is None:
            run.first = now
        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
            element = message.delta.new_element
            element_kind, text, error = element_text(element)
            part = getattr(element, element_kind, None)
            widget_id = getattr(part, "id", "") if part is not None else ""
            if widget_id:
                self.widgets[widget_id] = element
                self._fragment_of[widget_id] = message.delta.fragment_id
            if run is not None and (text or error):
                run.shown.append(Shown(now, element_kind, text, error))
        elif kind == "navigation":  # the page this run drew (st.navigation): a rerun the script asks for keeps it
            self.page_script_hash = message.navigation.page_script_hash
        elif kind == "auto_rerun":
            self.auto_reruns[message.auto_rerun.fragment_id] = message.auto_rerun.interval
        elif kind == "stop_auto_rerun":
            for fragment in message.stop_auto_rerun.fragment_ids:
                self.auto_reruns.pop(fragment, None)
        elif kind == "script_finished":
            status = FINISHED.Name(message.script_finished)
            if status == "FINISHED_EARLY_FOR_RERUN":  # the script asked for a rerun: that one ends the request
                self.auto_reruns.clear()
                return
            if run is not None:
                run.finished, run.status = now, status
            self._done.set()
