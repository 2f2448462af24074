"""What a server killed outright leaves behind: runs still RUNNING, ended at the next start of the app (or when
anyone opens the project's A³ page), and the searches among them, offered to their project to restart."""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass

from core.common.config import active_store
from core.common.provenance import TAG_OWNER, owner_is_gone
from core.common.run_recovery import TAG_ENDED_BY
from core.train import jobs
from core.train.recipe import read_search_json, search_config_from_dict
from core.train.training import TAG_ALGORITHM, TAG_SEARCH
from core.train.tuning import HEARTBEAT_S, TAG_HEARTBEAT, TAG_PARENT

ORPHAN_REASON = "orphan sweep: its server process had stopped"
# a search whose process is on another machine (an app replica, a CI runner) is lost once its heartbeat is this old
STALE_HEARTBEAT_S = 8 * HEARTBEAT_S
TAG_LOST_SEEN = "qua3ck.lost_search_seen"  # on a lost search once someone restarted or dismissed it


@dataclass(frozen=True)
class LostSearch:
    """A search whose server died while it ran."""

    run_id: str
    method: str
    algorithm: str
    started_ms: int
    trials: int  # trials that had finished


def end_orphaned_runs(experiment_id: str | None = None) -> int:
    """Mark KILLED the runs left RUNNING by a workbench process that no longer exists (in one project, or in every
    active one); how many were ended."""
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    active_store()
    client = MlflowClient()
    if experiment_id is None:
        experiments = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
    else:
        experiments = [experiment_id]
    if not experiments:
        return 0
    ended = 0
    for run in client.search_runs(experiments, filter_string="attributes.status = 'RUNNING'", max_results=1000):
        if owner_is_gone(run.data.tags.get(TAG_OWNER)) or _heartbeat_stopped(run.data.tags):
            client.set_terminated(run.info.run_id, status="KILLED")
            client.set_tag(run.info.run_id, TAG_ENDED_BY, ORPHAN_REASON)
            ended += 1
    return ended


def _heartbeat_stopped(tags: dict[str, str]) -> bool:
    """Whether a search run's heartbeat is older than STALE_HEARTBEAT_S while its process is on another machine
    (one on this machine is judged by its process id, which a paused laptop keeps)."""
    beat = tags.get(TAG_HEARTBEAT, "")
    host = tags.get(TAG_OWNER, "").rpartition(":")[0]
    if not beat.isdigit() or host == socket.gethostname():
        return False
    return time.time() - int(beat) / 1000 > STALE_HEARTBEAT_S


def lost_searches(experiment_id: str) -> list[LostSearch]:
    """The project's searches ended by the sweep that nobody has restarted or dismissed yet, newest first."""
    from mlflow import MlflowClient

    active_store()
    client = MlflowClient()
    found = client.search_runs(
        [experiment_id],
        filter_string=(
            f"attributes.status = 'KILLED' and tags.`{TAG_SEARCH}` = '1' and tags.`{TAG_ENDED_BY}` = '{ORPHAN_REASON}'"
        ),
        order_by=["attributes.start_time DESC"],
        max_results=20,
    )
    lost = []
    for run in found:
        if TAG_LOST_SEEN in run.data.tags:
            continue
        children = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{TAG_PARENT}` = '{run.info.run_id}' and attributes.status = 'FINISHED'",
            max_results=1000,
        )
        params = run.data.params
        lost.append(
            LostSearch(
                run_id=run.info.run_id,
                method=params.get("search.method", "?"),
                algorithm=run.data.tags.get(TAG_ALGORITHM, "?"),
                started_ms=run.info.start_time or 0,
                trials=len(children),
            )
        )
    return lost


def dismiss(run_id: str, how: str = "dismissed") -> None:
    """Stop offering a lost search (``how``: dismissed, or which search replaced it)."""
    from mlflow import MlflowClient

    active_store()
    MlflowClient().set_tag(run_id, TAG_LOST_SEEN, how)


def restart(run_id: str, experiment_id: str, dataset) -> jobs.SearchJob:
    """Start the lost search again, with the configuration it logged, on ``dataset``; it is then no longer offered."""
    config = search_config_from_dict(read_search_json(run_id))
    job = jobs.start_search(experiment_id, dataset, config)
    dismiss(run_id, f"restarted (search {job.job_id})")
    return job
