"""Running a page's "Show the code" box in a test: the snippet tests execute it against the test's store."""

from __future__ import annotations


def run_snippet(code: str) -> dict:
    """Execute a generated snippet (our own code) and return its namespace (what it prints goes to pytest's
    capture). It must be plain mlflow / scikit-learn / pandas code: a snippet that imports the workbench teaches
    nothing."""
    assert "import core" not in code and "from core" not in code
    namespace: dict = {"__name__": "snippet"}
    exec(compile(code, "snippet", "exec"), namespace)  # noqa: S102 — the point of the snippet tests
    return namespace
