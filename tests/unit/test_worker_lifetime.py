"""Nothing outlives the server: its search workers and their helper processes end when it is killed outright."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# a stand-in for the server: it warms the search pool (as the A³ page does), names its children, then waits
SERVER = """
import time
from core.train import tuning
for future in tuning.warm_up_workers():
    future.result(timeout=180)
print("ready", flush=True)
time.sleep(600)
"""


def _children(pid: int) -> set[int]:
    """The processes whose parent is ``pid``, from /proc."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended; only its entry is left


def test_search_workers_end_when_the_server_is_killed_with_sigkill():
    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ}
    )
    try:
        assert server.stdout.readline().strip() == "ready"
        children = _children(server.pid)
        assert len(children) >= 2  # the workers (one per core) and loky's resource tracker
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in children if _alive(pid)], "processes outlived the server"
    finally:
        if server.poll() is None:
            server.kill()
