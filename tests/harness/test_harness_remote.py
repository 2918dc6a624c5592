"""A remote manager over ssh://, as docker contexts reach one (here: an sshd on loopback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from swarmlab import LocalSshd, service_spec, swarm_scenario
from test_harness_swarm import BASE, CRASH_MONITOR, DIE, HEAD, NEW, SERVE, harness_cli

from compose_policy.harness.pytest_plugin import ci_requires_swarm

pytestmark = pytest.mark.swarm


def local_sshd(tmp_path):
    """An sshd on loopback for one scenario (skipped, or failed under CI, without openssh)."""
    missing = [tool for tool in ("sshd", "ssh", "ssh-keygen") if not (shutil.which(tool) or os.path.exists(f"/usr/sbin/{tool}"))]
    if missing:
        message = f"{', '.join(missing)} not installed (.ci/swarm-up.sh installs openssh-server)"
        if ci_requires_swarm():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        import paramiko  # noqa: F401  the docker SDK's ssh transport module imports it
    except ImportError:
        pytest.skip("the docker SDK's ssh:// support needs paramiko (pip install 'docker[ssh]')")
    return LocalSshd(tmp_path / "sshd")


@swarm_scenario
def test_upgrade_checked_through_ssh_docker_host(lab, tmp_path):
    with local_sshd(tmp_path) as sshd:
        check_rollback_over_ssh(lab, tmp_path, sshd)


def check_rollback_over_ssh(lab, tmp_path, sshd):
    stack = lab.new_stack("ssh")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": CRASH_MONITOR}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy, rollback={"monitor": "1s"})
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": app(SERVE, BASE)}))
    env = dict(sshd.env(), DOCKER_HOST=sshd.url)

    pre = tmp_path / "pre.json"
    run = harness_cli("snapshot", "--stack", stack, "--output", str(pre), env=env)
    assert run.returncode == 0, run.stderr
    assert f"{stack}_app" in json.loads(pre.read_text())["services"]

    lab.deploy(stack, lab.write("compose.yml", {"app": app(DIE, NEW)}))
    run = harness_cli("verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "60", env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{stack}_app: rolled back" in run.stdout
    assert f"expected {HEAD}, deployed {BASE}" in run.stdout


@swarm_scenario
def test_docker_context_with_an_ssh_endpoint(lab, tmp_path):
    with local_sshd(tmp_path) as sshd:
        check_context(lab, tmp_path, sshd)


def check_context(lab, tmp_path, sshd):
    stack = lab.new_stack("ctx")
    lab.deploy_base(stack, lab.write("compose.yml", {"app": service_spec(SERVE.format(v=1), chaos=NEW, stack=stack)}))
    config_dir = tmp_path / "docker-config"
    config_dir.mkdir()
    (config_dir / "config.json").write_text("{}")
    env = dict(sshd.env(), DOCKER_CONFIG=str(config_dir))
    env.pop("DOCKER_HOST", None)
    created = subprocess.run(
        ["docker", "context", "create", "hx-remote", "--docker", f"host={sshd.url}"],
        capture_output=True, text=True, env=dict(os.environ, **env),
    )
    assert created.returncode == 0, created.stderr

    run = harness_cli("hc1", "--stack", stack, "--expect", HEAD, env=dict(env, DOCKER_CONTEXT="hx-remote"))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "HC1 ok" in run.stdout
    # the same context, unreachable: exit 2 naming the context
    sshd.__exit__()
    run = harness_cli("hc1", "--stack", stack, "--expect", HEAD, env=dict(env, DOCKER_CONTEXT="hx-remote"))
    assert run.returncode == 2, run.stdout + run.stderr
    # ssh's own complaint may come first; the harness's is one line
    assert run.stderr.splitlines()[-1].startswith("could not check: cannot reach the docker daemon at docker context hx-remote: ")
