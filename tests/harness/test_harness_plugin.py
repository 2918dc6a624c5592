"""The pytest plugin, exercised the way a recipe CI uses it: in a separate pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from swarmlab import service_spec, swarm_scenario
from test_harness_swarm import CRASH_MONITOR, DIE

HEAD = "2222bbbbcccc0000dddd1111eeee2222ffff3333"


def run_pytest(tmp_path, source: str, env: dict | None = None) -> subprocess.CompletedProcess:
    test_file = tmp_path / "test_recipe_upgrade.py"
    test_file.write_text(textwrap.dedent(source))
    full_env = {k: v for k, v in os.environ.items() if k not in ("CI", "DOCKER_HOST", "PYTEST_ADDOPTS")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(test_file)],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env=full_env,
    )


def test_importing_the_plugin_loads_no_docker_sdk():
    code = "import sys, compose_policy.harness.pytest_plugin; print(sorted(m for m in ('docker', 'requests', 'rich', 'click') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


NEEDS_SWARM = """
    def test_needs_swarm(swarm_client):
        assert swarm_client.info()
"""


def test_without_a_swarm_the_fixture_skips(tmp_path):
    result = run_pytest(tmp_path, NEEDS_SWARM, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode == 0, result.stdout
    assert "1 skipped" in result.stdout
    assert "no usable swarm manager (cannot reach the docker daemon at unix:///nonexistent/docker.sock" in result.stdout


def test_without_a_swarm_under_ci_the_fixture_fails(tmp_path):
    result = run_pytest(tmp_path, NEEDS_SWARM, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock", "CI": "true"})
    assert result.returncode == 1, result.stdout
    assert "1 error" in result.stdout
    assert "CI=true and no usable swarm manager" in result.stdout


GUARDED_UPGRADE = """
    import subprocess

    def test_upgrade(upgrade_guard, stack_snapshot):
        assert {stack!r} + "_app" in stack_snapshot({stack!r}).services
        with upgrade_guard({stack!r}, expect={sha!r}, timeout=60, min_stability=2) as guard:
            subprocess.run(
                ["docker", "stack", "deploy", "--detach=true", "--resolve-image", "never", "-c", {compose!r}, {stack!r}],
                check=True, capture_output=True,
            )
        print("VERDICT", guard.verdict.summary())
"""


def guarded_upgrade(lab, tmp_path, new_command: str, monitor: str = "2s") -> subprocess.CompletedProcess:
    """Base deploy, then a separate pytest run whose test deploys the upgrade inside upgrade_guard."""
    stack = lab.new_stack("pg")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": monitor}
    rollback = {"parallelism": 1, "monitor": "1s"}
    app = lambda cmd, v: service_spec(cmd, chaos=v, stack=stack, update=policy, rollback=rollback)
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": app("exec sleep 100000", "1111aaaa")}))
    compose = lab.write("compose.yml", {"app": app(new_command, HEAD[:8])})
    result = run_pytest(tmp_path, GUARDED_UPGRADE.format(stack=stack, sha=HEAD, compose=str(compose)))
    return stack, result


@pytest.mark.swarm
@swarm_scenario
def test_upgrade_guard_passes_a_converged_upgrade(lab, tmp_path):
    _stack, result = guarded_upgrade(lab, tmp_path, "echo v2; exec sleep 100000")
    assert result.returncode == 0, result.stdout
    assert "1 passed" in result.stdout


@pytest.mark.swarm
@swarm_scenario
def test_upgrade_guard_fails_a_rolled_back_upgrade(lab, tmp_path):
    stack, result = guarded_upgrade(lab, tmp_path, DIE.format(v="v2"), monitor=CRASH_MONITOR)
    assert result.returncode == 1, result.stdout
    assert "UpgradeFailed" in result.stdout, result.stdout
    assert f"{stack}_app: rolled back" in result.stdout, result.stdout
    assert "HC1 FAILED" in result.stdout, result.stdout
