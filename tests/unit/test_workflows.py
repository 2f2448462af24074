"""The example CI/CT workflows in .github/workflows parse, read their server from secrets, and every
``python -m core …`` line in them is a command with options the CLI's own parser accepts."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from core import cli

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
SECRETS = ("MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")


def load(name: str) -> dict:
    return yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))


def triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def expression_value(expression: str, inputs: dict) -> str:
    """A stand-in for a GitHub expression: an input's default (or a file name), else a placeholder."""
    match = re.fullmatch(r"inputs\.(\w+)", expression)
    if match:
        default = str(inputs.get(match.group(1), {}).get("default", ""))
        return default or "batch.csv"
    return "placeholder"


def core_commands(workflow: dict) -> list[list[str]]:
    """The argument lists of every ``python -m core`` command in the workflow's run steps, with expressions and
    environment variables replaced by stand-ins, cut at the first shell operator (pipe, redirect)."""
    dispatch = triggers(workflow).get("workflow_dispatch") or {}
    inputs = dispatch.get("inputs") or {}

    def substitute(text: str, env: dict[str, str]) -> str:
        text = EXPRESSION.sub(lambda m: expression_value(m.group(1), inputs), text)
        return VARIABLE.sub(lambda m: env.get(m.group(1), "value"), text)

    top = {k: substitute(str(v), {}) for k, v in (workflow.get("env") or {}).items()}
    commands = []
    for job in workflow["jobs"].values():
        job_env = {**top, **{k: substitute(str(v), top) for k, v in (job.get("env") or {}).items()}}
        for step in job.get("steps", []):
            env = {**job_env, **{k: substitute(str(v), job_env) for k, v in (step.get("env") or {}).items()}}
            for line in str(step.get("run", "")).splitlines():
                if "python -m core " not in line:
                    continue
                tail = substitute(line.split("python -m core ", 1)[1], env)
                lexer = shlex.shlex(tail, posix=True, punctuation_chars=True)
                lexer.whitespace_split = True
                args = []
                for token in lexer:
                    if set(token) <= set("|&;<>()"):
                        break
                    args.append(token)
                commands.append(args)
    return commands


@pytest.mark.parametrize("name", ["ct.yml", "monitor.yml"])
def test_workflow_parses_and_reads_the_server_from_secrets(name):
    workflow = load(name)
    assert workflow["name"] and workflow["jobs"]
    assert "workflow_dispatch" in triggers(workflow)
    for secret in SECRETS:
        assert workflow["env"][secret] == f"${{{{ secrets.{secret} }}}}"
    for job in workflow["jobs"].values():
        uses = [step.get("uses", "") for step in job["steps"]]
        assert any(u.startswith("actions/setup-python") for u in uses)
        assert any("pip install -r requirements.txt" in str(step.get("run", "")) for step in job["steps"])


def test_ct_runs_on_main_and_trains_evaluates_and_promotes_through_the_gate():
    workflow = load("ct.yml")
    assert triggers(workflow)["push"]["branches"] == ["main"]
    commands = core_commands(workflow)
    names = [c[0] for c in commands]
    assert names.index("train") < names.index("evaluate") < names.index("promote")
    assert "retrain" in names
    promote = commands[names.index("promote")]
    assert promote[promote.index("--alias") + 1] == "production"
    assert "--force" not in sum(commands, [])  # CI never overrides the gate


def test_monitor_runs_daily_and_fails_the_job_on_drift():
    workflow = load("monitor.yml")
    (schedule,) = triggers(workflow)["schedule"]
    assert len(schedule["cron"].split()) == 5
    (monitor,) = core_commands(workflow)
    assert monitor[0] == "monitor" and "--json" in monitor
    steps = workflow["jobs"]["monitor"]["steps"]
    assert any(s.get("uses", "").startswith("actions/upload-artifact") and s.get("if") == "always()" for s in steps)
    assert any("exit 1" in str(s.get("run", "")) and "steps.monitor.outputs.code" in s.get("if", "") for s in steps)


@pytest.mark.parametrize("name", ["ct.yml", "monitor.yml"])
def test_every_core_command_in_the_workflow_is_accepted_by_the_cli(name):
    commands = core_commands(load(name))
    assert commands
    parser = cli.build_parser()
    for args in commands:
        assert args[0] in cli.COMMANDS, f"{name}: 'python -m core {args[0]}' is not a CLI command"
        try:
            parsed = parser.parse_args(args)
        except SystemExit:
            pytest.fail(f"{name}: the CLI refuses 'python -m core {shlex.join(args)}'")
        assert parsed.command == args[0]
