"""The one error base of the workbench, and turning any exception into the one line a person reads.

A ``WorkbenchError`` carries a message for people (what is wrong and what to do). The store's own refusals and
unreachable servers (MLflow, the database, the network) are shown with their type, since the person or their
admin can act on them. Anything else is a defect of ours: it is logged with its traceback under a short
reference, and the person reads "something went wrong" with that reference."""

from __future__ import annotations

import logging
import uuid

from core.common.i18n import tr

MAX_LENGTH = 300
LOGGER = logging.getLogger("qua3ck")
# modules whose exceptions mean "the store or the network refused", not a defect of the workbench
_STORE_MODULES = ("mlflow", "sqlalchemy", "requests", "urllib3", "psycopg", "botocore", "sqlite3")


class WorkbenchError(ValueError):
    """An error with a message for people. (A ValueError, so that callers that catch bad input catch it.)"""


def one_line(exc: BaseException, limit: int = MAX_LENGTH) -> str:
    """The exception's message on one line (MLflow's ``message`` when it has one), shortened to ``limit``."""
    text = getattr(exc, "message", None) or str(exc)
    text = " ".join(text.split())
    if not text:
        return type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def is_store_error(exc: BaseException) -> bool:
    """Whether the store, the database or the network raised it (they answer for it, not our code)."""
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] in _STORE_MODULES


def describe(exc: BaseException) -> str:
    """Our own errors as they are, the store's with their type; anything else is logged as an internal error."""
    if isinstance(exc, WorkbenchError):
        return one_line(exc)
    if is_store_error(exc):
        if (cause := _os_cause(exc)) is not None:  # a full disk, a quota, a read-only folder under the store's words
            return tr("common.store_write_failed", error=f"{type(cause).__name__}: {one_line(cause)}")
        return f"{type(exc).__name__}: {one_line(exc)}"
    return internal_error(exc)


def _os_cause(exc: BaseException) -> OSError | None:
    """The operating system's refusal behind an exception of the store, if there is one. MLflow reports a model
    file it could not write as a model it could not serialise ("skops does not support custom functions …"),
    which sends a person looking in the wrong place."""
    seen, cause = {id(exc)}, exc.__cause__ or exc.__context__
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, OSError) and cause.errno is not None:
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def describe_in_document(exc: BaseException) -> str:
    """Like ``describe``, but a defect keeps its type and message instead of the reference: for text written into a
    document (a model card section that could not be built), whose readers report what they see; still logged."""
    if isinstance(exc, WorkbenchError) or is_store_error(exc):
        return describe(exc)
    LOGGER.error("a document's section failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
    return f"{type(exc).__name__}: {one_line(exc)}"


def internal_error(exc: BaseException) -> str:
    """Log a defect with its traceback under a new reference; the line a person reads about it."""
    reference = uuid.uuid4().hex[:8]
    LOGGER.error("internal error %s: %s: %s", reference, type(exc).__name__, exc, exc_info=exc)
    files = [h.baseFilename for h in LOGGER.handlers if isinstance(h, logging.FileHandler)]
    return tr("common.internal_error", reference=reference, where=f" in {files[0]}" if files else "")
