"""The CLI's contract without a swarm: bad options and unreachable daemons are exit 2, one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

SHA = "2222bbbbcccc0000dddd1111eeee2222ffff3333"
DEAD = "unix:///nonexistent/compose-policy-test.sock"


def run(*args: str, env: dict | None = None, module: bool = False) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("compose-policy")
    if module or not script.exists():
        cmd = [sys.executable, "-m", "compose_policy.harness"]
    else:
        cmd = [str(script), "harness"]
    full_env = {k: v for k, v in os.environ.items() if k not in ("DOCKER_HOST", "DOCKER_CONTEXT")}
    full_env.update(env or {})
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60, env=full_env)


@pytest.fixture
def snapshot_file(tmp_path):
    path = tmp_path / "pre.json"
    path.write_text(json.dumps({"format": "compose-policy/harness-snapshot@1", "stack": "s", "services": {}}))
    return path


@pytest.mark.parametrize(
    "args, message",
    [
        (["converge", "--stack", "s"], "Missing option '--since'"),
        (["converge", "--stack", "s", "--since", "x", "--timeout", "soon"], "'soon' is not a valid float"),
        (["converge", "--stack", "s", "--since", "x", "--timeout", "0"], "--timeout"),
        (["hc1", "--stack", "s", "--expect", "HEAD"], "expected commit must be a git SHA"),
        (["hc1", "--stack", "s"], "Missing option '--expect'"),
        (["verify-upgrade", "--stack", "s", "--since", "x", "--expect", SHA, "--format", "xml"], "'xml' is not one of"),
        (["snapshot", "--stack", "s", "--bogus"], "--bogus"),
        (["deploy"], "No such command 'deploy'"),
    ],
)
def test_bad_options_are_one_line_exit_2(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ")
    assert message in lines[0]
    assert "Traceback" not in result.stderr


def command_args(command, snapshot_file):
    """The least each harness subcommand needs to reach the daemon."""
    return {
        "snapshot": ["snapshot", "--stack", "s"],
        "converge": ["converge", "--stack", "s", "--since", str(snapshot_file)],
        "hc1": ["hc1", "--stack", "s", "--expect", SHA],
        "verify-upgrade": ["verify-upgrade", "--stack", "s", "--since", str(snapshot_file), "--expect", SHA],
    }[command]


@pytest.mark.parametrize("command", ["snapshot", "converge", "hc1", "verify-upgrade"])
def test_unreachable_daemon_is_exit_2_with_a_clear_message(command, snapshot_file):
    args = command_args(command, snapshot_file)
    result = run(*args, env={"DOCKER_HOST": DEAD})
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    assert result.stderr.startswith(f"could not check: cannot reach the docker daemon at {DEAD}: ")
    assert len(result.stderr.strip().splitlines()) == 1


def test_unreachable_daemon_json_says_not_checked():
    result = run("hc1", "--stack", "s", "--expect", SHA, "--format", "json", "--host", "tcp://127.0.0.1:1")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["passed"] is False and data["checked"] is False
    assert data["error"].startswith("cannot reach the docker daemon at tcp://127.0.0.1:1: ")
    assert "Connection refused" in data["error"]


def test_unreadable_snapshot_is_exit_2(tmp_path):
    bad = tmp_path / "pre.json"
    bad.write_text("{not json")
    result = run("converge", "--stack", "s", "--since", str(bad), env={"DOCKER_HOST": DEAD})
    assert result.returncode == 2
    assert result.stderr.startswith(f"could not check: {bad}: snapshot is not JSON")
    result = run("converge", "--stack", "s", "--since", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "No such file or directory" in result.stderr


def test_snapshot_of_another_stack_is_refused(snapshot_file, swarm_available):
    result = run("converge", "--stack", "other", "--since", str(snapshot_file))
    assert result.returncode == 2
    assert "the snapshot is of stack 's', not 'other'" in result.stderr


def test_python_m_entry_point():
    result = run("--help", module=True)
    assert result.returncode == 0
    assert "verify-upgrade" in result.stdout


@pytest.fixture
def swarm_available(swarm):
    return swarm


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
@pytest.mark.parametrize("option", ["--timeout", "--min-stability", "--poll-interval"])
def test_numbers_that_never_end_a_wait_are_usage_errors(option, value):
    result = run("converge", "--stack", "s", "--since", "x", option, value, env={"DOCKER_HOST": DEAD})
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and option in lines[0], result.stderr


@pytest.fixture
def silent_daemon():
    """A TCP endpoint that accepts connections (the kernel's backlog) and never answers."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


@pytest.mark.parametrize("command", ["snapshot", "converge", "hc1", "verify-upgrade"])
def test_timeout_bounds_a_daemon_that_never_answers(command, snapshot_file, silent_daemon):
    args = command_args(command, snapshot_file)
    started = time.monotonic()
    result = run(*args, "--timeout", "2", "--host", silent_daemon)
    assert time.monotonic() - started < 15
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(f"could not check: cannot reach the docker daemon at {silent_daemon}: ")
    assert "timed out" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


GOOD_SERVICE = {
    "id": "abc",
    "name": "s_app",
    "version": 10,
    "updated_at": "2026-01-01T00:00:00Z",
    "update_status": None,
    "labels": {},
    "running_tasks": [],
}


def snapshot_text(**service_fields) -> str:
    service = dict(GOOD_SERVICE, **service_fields)
    service = {k: v for k, v in service.items() if v is not ...}
    return json.dumps({"format": "compose-policy/harness-snapshot@1", "stack": "s", "services": {"s_app": service}})


@pytest.mark.parametrize(
    "text, message",
    [
        (snapshot_text(version="abc"), "services.s_app.version must be a number, found a str"),
        (snapshot_text(version=None), "services.s_app.version must be a number, found a null"),
        (snapshot_text(version=True), "services.s_app.version must be a number"),
        (snapshot_text(updated_at="yesterday"), 'services.s_app.updated_at must be an RFC 3339 timestamp, found "yesterday"'),
        (snapshot_text(labels=None), "services.s_app.labels must be a JSON object, found a null"),
        (snapshot_text(labels={"a": 1}), "services.s_app.labels must map names to strings"),
        (snapshot_text(running_tasks="t1"), "services.s_app.running_tasks must be a list"),
        (snapshot_text(update_status={"State": "updating", "StartedAt": 5}), "update_status.StartedAt must be an RFC 3339 timestamp"),
        (snapshot_text(id=...), "services.s_app.id must be a string, found missing"),
        (snapshot_text(extra=1), "unknown field(s): extra"),
        (json.dumps({"format": "compose-policy/harness-snapshot@1", "stack": "s", "services": []}), "snapshot.services must be a JSON object, found a list"),
        (json.dumps({"format": "compose-policy/harness-snapshot@1", "stack": "s", "services": {}, "taken_at": "noon"}), "taken_at must be an RFC 3339 timestamp"),
        ('{"format": "compose-policy/harness-snapshot@1", "stack": "s", "services": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ("[" * 100_000, "nested too deeply"),
    ],
)
def test_malformed_snapshot_fields_are_one_line_exit_2(tmp_path, text, message):
    bad = tmp_path / "pre.json"
    bad.write_text(text)
    for command in (["converge", "--stack", "s", "--since", str(bad)], ["hc1", "--stack", "s", "--expect", SHA, "--since", str(bad)]):
        result = run(*command, env={"DOCKER_HOST": DEAD})
        assert result.returncode == 2, result.stdout + result.stderr
        assert "Traceback" not in result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith(f"could not check: {bad}: ") and message in lines[0], lines[0]
