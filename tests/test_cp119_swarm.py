"""CP119 says only what swarm does: each claim deployed on the real swarm.

For every case, ``docker stack config`` must accept the file (else it is CP001's), and CP119
must report it exactly when a real ``docker stack deploy`` is refused by the daemon or the
swarm manager. Each case deploys under its own stack name and removes it afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from compose_policy.engine import LintOptions, lint_paths

IMAGE = "compose-policy-test/busybox:latest"
BASE = f'version: "3.12"\nservices:\n  app:\n    image: {IMAGE}\n    command: ["sleep", "3600"]\n'
HEALTH = '    healthcheck:\n      test: ["CMD", "true"]\n'
CASES = {
    # name: (service lines, swarm refuses)
    "update_failure_action_typo": ("    deploy:\n      update_config:\n        failure_action: rolback\n", True),
    "rollback_failure_action_typo": ("    deploy:\n      rollback_config:\n        failure_action: rolback\n", True),
    "update_delay_negative": ("    deploy:\n      update_config:\n        delay: -5s\n", True),
    "update_monitor_negative": ("    deploy:\n      update_config:\n        monitor: -5s\n", True),
    "update_ratio_above_one": ("    deploy:\n      update_config:\n        max_failure_ratio: 1.5\n", True),
    "update_ratio_negative": ("    deploy:\n      update_config:\n        max_failure_ratio: -0.5\n", True),
    "rollback_delay_negative": ("    deploy:\n      rollback_config:\n        delay: -5s\n", False),
    "rollback_monitor_negative": ("    deploy:\n      rollback_config:\n        monitor: -5s\n", False),
    "rollback_ratio_above_one": ("    deploy:\n      rollback_config:\n        max_failure_ratio: 1.5\n", False),
    "health_interval_500us": (HEALTH + "      interval: 500us\n", True),
    "health_timeout_500us": (HEALTH + "      timeout: 500us\n", True),
    "health_start_period_negative": (HEALTH + "      start_period: -1s\n", True),
    "health_start_interval_500us": (HEALTH + "      start_interval: 500us\n", False),
    "valid_values": ("    deploy:\n      update_config:\n        failure_action: rollback\n        delay: 5s\n"
                     "        max_failure_ratio: 0.5\n", False),
}


def _docker():
    return shutil.which("docker")


@pytest.fixture(scope="module")
def swarm_docker():
    docker = _docker()
    state = ""
    if docker:
        proc = subprocess.run([docker, "info", "--format", "{{.Swarm.LocalNodeState}}"], capture_output=True,
                              text=True, timeout=30)
        state = proc.stdout.strip()
    if state != "active":
        message = "needs a docker CLI and a dockerd in swarm mode (run .ci/swarm-up.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return docker


def _deploy(docker, folder) -> subprocess.CompletedProcess:
    stack = f"cp119-{uuid.uuid4().hex[:10]}"
    try:
        return subprocess.run([docker, "stack", "deploy", "--detach=true", "-c", "compose.yml", stack],
                              cwd=folder, capture_output=True, text=True, timeout=120)
    finally:
        subprocess.run([docker, "stack", "rm", stack], capture_output=True, timeout=120)


@pytest.mark.swarm
def test_cp119_matches_what_the_swarm_refuses(swarm_docker, tmp_path):
    folders = {}
    for name, (lines, _) in CASES.items():
        folder = tmp_path / name
        folder.mkdir()
        (folder / "compose.yml").write_text(BASE + lines)
        folders[name] = folder
    for name, folder in folders.items():
        config = subprocess.run([swarm_docker, "stack", "config", "-c", "compose.yml"], cwd=folder,
                                capture_output=True, text=True, timeout=60)
        assert config.returncode == 0, f"{name}: docker stack config refuses it (CP001's): {config.stderr}"
    with ThreadPoolExecutor(max_workers=4) as pool:
        deploys = dict(zip(folders, pool.map(lambda f: _deploy(swarm_docker, f), folders.values())))
    wrong = []
    for name, folder in folders.items():
        refused = deploys[name].returncode != 0
        findings = lint_paths([str(folder)], LintOptions(select=["CP000", "CP001", "CP119"])).findings
        codes = sorted({f.rule for f in findings})
        if refused != (codes == ["CP119"]) or refused != CASES[name][1]:
            wrong.append(f"{name}: swarm {'refused' if refused else 'accepted'} "
                         f"({deploys[name].stderr.strip()[-160:]}); linter {codes}")
    assert not wrong, "\n".join(wrong)
