"""Layering: core's packages stand on floors without circles, only core/ui/ imports streamlit, and importing core does
no work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "core"
UI = CORE / "ui"
CORE_FILES = sorted(p for p in CORE.rglob("*.py") if UI not in p.parents)
CORE_MODULES = sorted(
    ".".join(p.relative_to(ROOT).with_suffix("").parts)
    for p in CORE_FILES
    if p.name != "__main__.py"  # running it is the CLI, not an import
)


def test_core_files_are_found():
    assert CORE / "common" / "config.py" in CORE_FILES
    assert not any(UI in p.parents for p in CORE_FILES)
    assert {"core.common.config", "core.train.training", "core.lifecycle.status"} <= set(CORE_MODULES)


def test_the_import_contracts_hold():
    """Floors (each package imports only the ones below it), streamlit only in core/ui, no circle in any package:
    the contracts in pyproject.toml, checked by import-linter on every import, those inside functions too."""
    done = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "3 kept, 0 broken" in done.stdout


def test_every_package_of_core_stands_on_a_floor():
    contracts = {
        c["id"]: c for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    }
    floors = {name.strip() for layer in contracts["floors"]["layers"] for name in layer.split("|")}
    packages = {p.parent.name for p in CORE.glob("*/__init__.py")} | {
        p.stem for p in CORE.glob("*.py") if p.stem not in {"__init__", "__main__"}
    }
    assert floors == packages
    assert set(contracts["streamlit-only-in-ui"]["source_modules"]) == {f"core.{p}" for p in packages - {"ui"}} | {
        "core.__main__"
    }


def test_importing_core_creates_nothing_and_sets_no_tracking_uri(tmp_path):
    missing = tmp_path / "not-there" / "data"
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    script = (
        "import importlib, json, os, sys\n"
        f"for name in {CORE_MODULES!r}:\n"
        "    importlib.import_module(name)\n"
        "import core.common.config\n"
        "report = {'active': core.common.config._active is not None,\n"
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


def _imports_inside_functions(path: Path) -> list[tuple[int, str, str]]:
    """(line, top-level package, the line's text) of every import inside a function of this file."""
    import ast

    text = path.read_text()
    lines = text.splitlines()
    found = []
    for function in ast.walk(ast.parse(text)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.Import | ast.ImportFrom) and not getattr(node, "level", 0):
                module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                found.append((node.lineno, module.split(".")[0], lines[node.lineno - 1].strip()))
    return sorted(set(found))


def test_imports_inside_functions_are_only_the_measured_slow_ones():
    """core/__init__.py's LAZY_IMPORTS (each ≥ 50 ms, measured), the CLI's commands importing their phase, and
    imports made to warm a worker up (``noqa: F401``); everything else at the top of its module."""
    from core import LAZY_IMPORTS

    assert all(seconds >= 0.05 for seconds in LAZY_IMPORTS.values())
    files = sorted(CORE.rglob("*.py")) + sorted((ROOT / "pages").glob("*.py")) + [ROOT / "Home.py"]
    stray = [
        f"{path.relative_to(ROOT)}:{line}: {text}"
        for path in files
        for line, package, text in _imports_inside_functions(path)
        if package not in LAZY_IMPORTS
        and "noqa: F401" not in text
        and not (package == "core" and path.parent == CORE / "cli")
    ]
    assert stray == []
    top_level = [
        f"{path.relative_to(ROOT)}: {line}"
        for path in files
        for line in path.read_text().splitlines()
        if line.startswith(("import ", "from ")) and line.split()[1].split(".")[0] in LAZY_IMPORTS
    ]
    assert top_level == []
