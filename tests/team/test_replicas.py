"""Two app replicas on the team server: a search started from the A³ page of one is seen live on the A³ page of
the other, which stops it; the first replica's search then ends as stopped, with its best model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.app.conftest import goto, no_exception, texts

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 240


def test_a_second_replica_sees_a_search_started_in_the_first_and_stops_it(team):
    from mlflow import MlflowClient
    from streamlit.testing.v1 import AppTest

    from core.data import datastore
    from core.data import sets as data
    from core.question import projects
    from core.train import tuning

    project = projects.create_project(team.project)
    datastore.record_dataset(project.experiment_id, data.load_builtin("iris"), "iris", "species")
    first = subprocess.Popen(
        [sys.executable, "-m", "tests.team.app_replica", project.experiment_id, "500"],
        cwd=ROOT,
        env=os.environ.copy(),  # the team server's MLFLOW_TRACKING_URI, as a second server would be set up
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = first.stdout.readline()
        assert line.startswith("started "), line + first.stderr.read()[-3000:]
        run_id = line.split()[1]
        client = MlflowClient()
        deadline = time.monotonic() + WAIT_S
        while len(client.search_runs([project.experiment_id], f"tags.`mlflow.parentRunId` = '{run_id}'")) < 2:
            assert time.monotonic() < deadline, "the first replica logged no trials"
            time.sleep(0.5)

        second = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
        second.run()
        second.session_state["project_id"] = project.experiment_id
        goto(second, "train")  # the project's newest search is watched: here, the other replica's
        assert run_id in texts(second.markdown)  # its live view, with its trials so far
        assert "Runs in another process on this store" in texts(second.caption)
        assert any(run_id in str(df.value.get("run", "")) or len(df.value) >= 2 for df in second.dataframe)
        second.button(key=f"train_stop_run-{run_id}").click().run()
        no_exception(second)

        out, err = first.communicate(timeout=WAIT_S)
    finally:
        first.kill()
    ended = json.loads(out.strip().splitlines()[-1])
    assert ended["status"] == "stopped" and 2 <= ended["trials"] < 500, err[-3000:]
    run = MlflowClient().get_run(run_id)
    assert run.info.status == "FINISHED" and run.data.tags[tuning.TAG_SEARCH_STATUS] == "stopped"
    assert run.data.tags["qua3ck.model_uri"]  # refit and logged by the first replica
    time.sleep(1.0)
    second.run()
    no_exception(second)
    assert "Best: trial" in texts(second.success)  # the second replica shows how it ended
    assert "Ran in another process on this store" in texts(second.caption)
