"""The "Show the code" boxes: for each page, the plain ``mlflow``/``sklearn`` lines equivalent to what it did.

Each ``<area>`` module returns source text that needs no workbench code and runs as it stands against the
store in use (unit tests execute every snippet against a temporary store). Values people typed are written as
Python literals (``repr``), so a name or label can never break out of its string.
"""

from __future__ import annotations

from core.codegen.export import shareable_uri
from core.common.config import active_store


def tracking_lines() -> list[str]:
    """``import mlflow`` and the tracking URI of the store in use, without credentials."""
    uri = shareable_uri(active_store().tracking_uri)
    return ["import mlflow", "", f"mlflow.set_tracking_uri({uri!r})"]


def join(*blocks: list[str] | str) -> str:
    """Source text from lines and blocks, ending with one newline."""
    lines: list[str] = []
    for block in blocks:
        lines.extend([block] if isinstance(block, str) else block)
    return "\n".join(lines).rstrip() + "\n"
