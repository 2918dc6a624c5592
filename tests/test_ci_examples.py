"""docs/ci/: the CI examples are valid YAML, run commands that exist, and the lint step works."""

from __future__ import annotations

import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys

import click
import pytest
import yaml
from packaging.requirements import Requirement

ROOT = pathlib.Path(__file__).resolve().parent.parent
CI = ROOT / "docs" / "ci"
EXE = pathlib.Path(sys.executable).with_name("compose-policy")


def load(name: str) -> dict:
    return yaml.safe_load((CI / name).read_text())


def commands(name: str):
    data = load(name)
    if name == "github-actions.yml":
        return [step["run"] for job in data["jobs"].values() for step in job["steps"] if "run" in step]
    steps = data["steps"]
    steps = steps.values() if isinstance(steps, dict) else steps
    return [command for step in steps for command in step["commands"]]


EXAMPLES = sorted(p.name for p in CI.glob("*.yml"))


def test_the_examples_are_there():
    assert EXAMPLES == ["drone.yml", "github-actions.yml", "woodpecker.yml"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_compose_policy_command_parses(name, tmp_path, monkeypatch):
    from compose_policy.cli import cli

    monkeypatch.chdir(tmp_path)
    (tmp_path / "pre.json").write_text("{}")
    # what the CI provides: its commit variable, and the step's environment
    monkeypatch.setenv("CI_COMMIT_SHA", "0123456789abcdef0123456789abcdef01234567")
    monkeypatch.setenv("STACK", "myapp_example_org")
    ran = 0
    for line in commands(name):
        words = shlex.split(os.path.expandvars(line))
        if words[0] != "compose-policy":
            continue
        args = words[1:]
        command = cli
        with cli.make_context("compose-policy", list(args), resilient_parsing=True) as ctx:
            while isinstance(command, click.Group):
                sub = args.pop(0)
                command = command.get_command(ctx, sub)
                assert command is not None, f"{name}: no command {sub!r} in {line!r}"
        command.make_context(command.name, args)  # raises on an unknown option or a bad value
        ran += 1
    assert ran


@pytest.mark.parametrize("name", EXAMPLES)
def test_pip_installs_name_extras_that_exist(name):
    import tomllib

    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    installs = [shlex.split(line)[2] for line in commands(name) if line.startswith("pip install")]
    assert installs
    for spec in installs:
        requirement = Requirement(spec)
        assert requirement.name == "compose-policy" and requirement.extras <= extras


def test_github_workflow_uploads_the_sarif_its_lint_writes(tmp_path):
    workflow = load("github-actions.yml")
    steps = workflow["jobs"]["lint"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert workflow["permissions"]["security-events"] == "write"
    lint_lines = [s["run"] for s in steps if s.get("run", "").startswith("compose-policy lint")]
    words = shlex.split(lint_lines[0])
    outputs = [words[i + 1] for i, w in enumerate(words) if w in ("--output", "-o")]
    assert upload["with"]["sarif_file"] in outputs

    recipe = tmp_path / "recipe"
    shutil.copytree(ROOT / "examples" / "heavy-rails", recipe)
    first = subprocess.run([str(EXE), *words[1:]], cwd=recipe, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0 and "CP101 [error]" in first.stdout  # --exit-zero: the upload step runs
    log = json.loads((recipe / upload["with"]["sarif_file"]).read_text())
    assert log["version"] == "2.1.0" and log["runs"][0]["results"]
    gate = subprocess.run([str(EXE), *shlex.split(lint_lines[1])[1:]], cwd=recipe, capture_output=True, text=True,
                          timeout=120)
    assert gate.returncode == 1 and gate.stdout.startswith("::")


@pytest.mark.parametrize("name", ["drone.yml", "woodpecker.yml"])
def test_drone_and_woodpecker_lint_step_writes_junit(name, tmp_path):
    line = next(c for c in commands(name) if c.startswith("compose-policy lint"))
    recipe = tmp_path / "recipe"
    shutil.copytree(ROOT / "examples" / "heavy-rails", recipe)
    proc = subprocess.run([str(EXE), *shlex.split(line)[1:]], cwd=recipe, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1 and "CP101 [error]" in proc.stdout
    assert (recipe / "compose-policy.xml").read_text().startswith("<?xml")


def test_drone_pipeline_shape():
    pipeline = load("drone.yml")
    assert (pipeline["kind"], pipeline["type"]) == ("pipeline", "docker")
    assert all({"name", "image", "commands"} <= set(step) for step in pipeline["steps"])
