"""Layering: core/ (outside core/ui/) never imports streamlit, and importing it does no work."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
UI = CORE / "ui"
CORE_FILES = sorted(p for p in CORE.rglob("*.py") if UI not in p.parents)
CORE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in CORE_FILES
    if p.name != "__main__.py"  # running it is the CLI, not an import
)


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_core_files_are_found():
    assert CORE / "config.py" in CORE_FILES
    assert not any(UI in p.parents for p in CORE_FILES)
    assert {"core.config", "core.training", "core.status"} <= set(CORE_MODULES)


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_core_does_not_import_streamlit(path):
    offending = {m for m in imported_modules(path) if m == "streamlit" or m.startswith("streamlit.")}
    assert not offending, f"{path.relative_to(ROOT)} imports {sorted(offending)}; only core/ui/ may"


def test_the_checker_sees_streamlit_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\ndef f():\n    import streamlit as st\nfrom streamlit.runtime import x\n")
    assert {"streamlit", "streamlit.runtime", "os"} <= imported_modules(sample)


def test_importing_core_creates_nothing_and_sets_no_tracking_uri(tmp_path):
    missing = tmp_path / "not-there" / "data"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    script = (
        "import importlib, json, os, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "import core.config\n"
        "report = {'active': core.config._active is not None,\n"
        "          'env_tracking': os.environ.get('MLFLOW_TRACKING_URI'),\n"
        "          'env_registry': os.environ.get('MLFLOW_REGISTRY_URI'),\n"
        "          'streamlit': 'streamlit' in sys.modules,\n"
        "          'tracking_set': False, 'registry_set': False}\n"
        "if 'mlflow' in sys.modules:\n"
        "    from mlflow.tracking._tracking_service import utils as t\n"
        "    from mlflow.tracking._model_registry import utils as r\n"
        "    report['tracking_set'] = t.is_tracking_uri_set()\n"
        "    report['registry_set'] = r._registry_uri is not None\n"
        "print(json.dumps(report))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "QUA3CK_"))}
    env["QUA3CK_DATA_DIR"] = str(missing)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "active": False,
        "env_tracking": None,
        "env_registry": None,
        "streamlit": False,
        "tracking_set": False,
        "registry_set": False,
    }
    assert not missing.exists()
    assert not missing.parent.exists()
    assert list(workdir.iterdir()) == []  # no ./mlruns or ./mlflow.db either
