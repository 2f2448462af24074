"""Fault drill: a server killed with SIGKILL in the middle of a search. At the app's next start its runs are ended
KILLED with the reason, the project says a search was lost, and one click runs the same search again."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from mlflow import MlflowClient

from core.common.run_recovery import TAG_ENDED_BY
from core.question import projects
from core.train import jobs, orphans
from core.train.recipe import read_search_json, search_config_from_dict
from core.ui import keys
from tests.app.conftest import ROOT, goto, no_exception, texts

EXPERIMENT = "killed-mid-search"


def _killed_search() -> str:
    """Run a CLI search in a process of its own (the server stand-in) and SIGKILL it after its first trial."""
    command = [sys.executable, "-m", "core", "train", "--experiment", EXPERIMENT, "--data", "iris"]
    command += ["--algorithm", "random_forest", "--search", "random", "--trials", "200"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 180
        for line in server.stdout:
            if line.startswith("trial ") or time.monotonic() > deadline:
                break
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
    finally:
        if server.poll() is None:
            server.kill()
    return projects.find_project(EXPERIMENT).experiment_id


def test_a_search_killed_with_its_server_is_ended_named_and_run_again(store):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    experiment_id = _killed_search()
    client = MlflowClient()
    parent = next(r for r in client.search_runs([experiment_id]) if r.data.tags.get("qua3ck.search") == "1")
    assert parent.info.status == "RUNNING"  # nobody could end it
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.query_params["project"] = EXPERIMENT
    at.run()  # the app's start ends what the killed server left RUNNING, before anyone opens A³
    no_exception(at)
    ended = client.get_run(parent.info.run_id)
    assert ended.info.status == "KILLED" and ended.data.tags[TAG_ENDED_BY] == orphans.ORPHAN_REASON
    assert not [r for r in client.search_runs([experiment_id]) if r.info.status == "RUNNING"]
    assert "1 search of this project was lost when the server stopped" in texts(at.warning)

    goto(at, "train")
    assert "The random search of Random forest started" in texts(at.warning)
    assert "Its run is marked KILLED" in texts(at.warning)
    at.button(key=f"train_lost_restart_{parent.info.run_id}").click().run()
    no_exception(at)
    assert "The random search of Random forest runs again: follow it on the tab" in texts(at.success)
    job = jobs.get_job(at.session_state[keys.SEARCH_JOB])
    assert job is not None and job.config == search_config_from_dict(read_search_json(parent.info.run_id))
    assert orphans.lost_searches(experiment_id) == []  # offered once
    job.stop()
    job.wait(120)
