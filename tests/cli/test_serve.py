"""``mlflow models serve`` on ``models:/<name>@production`` gives programs the Predict page's predictions."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_S = 90
MODEL = "serve-iris"
ROWS = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post_json(url: str, payload: dict) -> tuple[int, dict]:
    request = urllib.request.Request(
        url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:  # the scoring server explains a 4xx/5xx in its JSON body
        return exc.code, json.loads(exc.read() or b"{}")


def _stop(server: subprocess.Popen) -> None:
    """SIGTERM the whole session (the mlflow CLI and the uvicorn it execs), SIGKILL if it lingers."""
    if server.poll() is not None:
        return
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    except ProcessLookupError:
        server.wait()


@pytest.fixture
def promoted_model(iris_project):
    """A workbench model of the example project, registered as version 1 with @production on it."""
    from core.registry import governance
    from core.registry import model_registry as registry
    from core.train.training import train_model

    project, record = iris_project
    trained = train_model(project.experiment_id, record, "random_forest", {"n_estimators": 30}, cv_folds=3)
    version = registry.register(trained.run_id, MODEL)
    governance.move_alias(
        MODEL,
        "production",
        version.version,
        governance.Actor("test"),
        override=True,
        reason="serving test, not evaluated",
    )
    assert registry.resolve_alias(MODEL, "production").version == version.version
    return record, str(version.version)


@pytest.fixture
def model_server(promoted_model, tmp_path):
    """``mlflow models serve -m models:/<MODEL>@production`` against the test's store; yields its URL."""
    from core.common.config import active_store

    store = active_store()
    port = _free_port()
    env = os.environ.copy()
    env["MLFLOW_TRACKING_URI"] = store.tracking_uri
    env["MLFLOW_REGISTRY_URI"] = store.registry_uri
    # with --env-manager local the CLI execs `uvicorn` by name: the venv's bin must be on PATH
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["MLFLOW_MODELS_WORKERS"] = "1"
    command = [
        sys.executable,
        "-m",
        "mlflow",
        "models",
        "serve",
        "-m",
        f"models:/{MODEL}@production",
        "--env-manager",
        "local",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    log_path = tmp_path / "serve.log"
    url = f"http://127.0.0.1:{port}"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT_S
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/ping", timeout=2) as response:
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    state = f"exited with {server.returncode}" if server.poll() is not None else "timed out"
                    pytest.fail(f"mlflow models serve {state}:\n{log_path.read_text(errors='replace')[-4000:]}")
                time.sleep(0.5)
            yield url
        finally:
            _stop(server)


def test_served_alias_predicts_like_the_predict_page(promoted_model, model_server):
    from core.registry import governance
    from core.serve.predict import load_served_model, predict_frame

    record, version = promoted_model
    X_test, _ = record.test_xy()
    rows = X_test.head(ROWS).reset_index(drop=True)
    assert len(rows) == ROWS
    payload = {"dataframe_split": {"columns": list(rows.columns), "data": rows.to_numpy().tolist()}}

    status, body = _post_json(f"{model_server}/invocations", payload)
    assert status == 200, body
    assert set(body) == {"predictions"}, body
    served = [str(label) for label in body["predictions"]]

    workbench = predict_frame(load_served_model(MODEL, version), rows)
    assert served == [str(label) for label in workbench["prediction"]]
    assert set(served) <= set(record.classes)

    # the alias was resolved when the server started: removing it does not change what the server answers
    governance.remove_alias(MODEL, "production", governance.Actor("test"), reason="serving test")
    status, again = _post_json(f"{model_server}/invocations", payload)
    assert status == 200, again
    assert again == body

    # a row missing a feature column is refused by the model's signature, not guessed
    status, refused = _post_json(
        f"{model_server}/invocations",
        {"dataframe_split": {"columns": list(rows.columns[:-1]), "data": rows.iloc[:2, :-1].to_numpy().tolist()}},
    )
    assert status == 400, refused
    assert refused["error_code"] == "INVALID_PARAMETER_VALUE", refused
    assert rows.columns[-1] in refused["message"], refused
