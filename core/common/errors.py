"""Turning exceptions into the one line a person reads (UI message or CLI stderr)."""

from __future__ import annotations

MAX_LENGTH = 300


def one_line(exc: BaseException, limit: int = MAX_LENGTH) -> str:
    """The exception's message on one line (MLflow's ``message`` when it has one), shortened to ``limit``."""
    text = getattr(exc, "message", None) or str(exc)
    text = " ".join(text.split())
    if not text:
        return type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(exc: BaseException) -> str:
    """Our own errors (ValueError subclasses with messages for people) as they are; others with their type."""
    return one_line(exc) if isinstance(exc, ValueError) else f"{type(exc).__name__}: {one_line(exc)}"
