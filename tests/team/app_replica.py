"""An app replica for tests/team: the real pages (through AppTest) in a process of its own, on the store its
environment names, starting a search from the A³ page and reporting how it ended.

    python -m tests.team.app_replica PROJECT_ID TRIALS
prints ``started <run id>`` once the search runs, then ``{"status": …, "trials": …}`` when it has ended."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

from core.train import jobs

ROOT = Path(__file__).resolve().parents[2]


def main(project_id: str, trials: int) -> int:
    at = AppTest.from_file(str(ROOT / "Home.py"), default_timeout=180)
    at.run()
    at.session_state["project_id"] = project_id
    at.switch_page("pages/train.py").run()
    at.radio(key="train_search_method").set_value("random")
    at.number_input(key="train_search_trials").set_value(trials)
    at.slider(key="train_cv_folds").set_value(3)
    at.button(key="train_search_start").click().run()
    if at.exception:
        print(json.dumps({"status": "page failed", "error": [e.value for e in at.exception]}), flush=True)
        return 1
    job = jobs.get_job(at.session_state["search_job"])
    while job.view().run_id is None:
        job.wait(0.2)
    print(f"started {job.view().run_id}", flush=True)
    job.wait(600)
    view = job.view()
    print(json.dumps({"status": view.status, "trials": len(view.trials)}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2])))
