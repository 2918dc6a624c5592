"""The whole story on a real swarm: lint flags the policy, the upgrade is silently rolled
back and the harness says so, the fixer's overlay makes the same upgrade converge.

The app holds an exclusive lock on its volume (a directory it creates), so two copies cannot run
at once: under start-first the new task dies inside the monitor window and swarm rolls
the spec back, exactly as a memory-starved heavy app does; under stop-first it converges.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from swarmlab import IMAGE, wait_for

from compose_policy.harness import UpgradeFailed, snapshot_stack, verify_upgrade

CLI = str(Path(sys.executable).with_name("compose-policy"))
EXIT_FIXED = 3


def recipe_text(stack: str, version: str, commit: str) -> str:
    return f"""---
version: "3.8"
services:
  app:
    image: {IMAGE}
    init: true
    stop_grace_period: 1s
    # one writer only: mkdir is the lock; a second copy cannot take it and exits
    command: ["sh", "-c", "mkdir /data/lock || exit 1; trap 'rmdir /data/lock; exit 0' TERM INT; echo serving {version}; sleep 3600 & wait"]
    environment:
      - APP_VERSION={version}
    volumes:
      - data:/data
    x-compose-policy:
      memory-heavy: true
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
        monitor: 3s
      restart_policy:
        condition: any
        delay: 1s
      labels:
        - "coop-cloud.{stack}.chaos-version={commit}"

volumes:
  data:
"""


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120)


def test_lint_fix_and_harness_on_a_real_upgrade(lab, tmp_path):
    stack = lab.new_stack("e2e")
    folder = tmp_path / "recipe"
    folder.mkdir()
    compose = folder / "compose.yml"

    # 1. lint reports the headline finding
    compose.write_text(recipe_text(stack, "1", "aaaaaaaa"))
    lint = run("lint", str(folder), "--select", "CP101", "--format", "json")
    assert lint.returncode == 1, lint.stderr
    [finding] = json.loads(lint.stdout)["findings"]
    assert (finding["rule"], finding["service"], finding["line"]) == ("CP101", "app", 19)

    # 2. the base release runs; the upgrade is rolled back and the harness says so
    lab.deploy_base(stack, compose)
    compose.write_text(recipe_text(stack, "2", "bbbbbbbb"))
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, compose)
    with pytest.raises(UpgradeFailed) as failed:
        verify_upgrade(lab.client, stack, before, "bbbbbbbb", timeout=90)
    verdict = failed.value.verdict
    assert not verdict.passed
    report = str(failed.value)
    assert "roll" in report.lower() and "aaaaaaaa" in report and "bbbbbbbb" in report
    labels = lab.client.services.get(f"{stack}_app").attrs["Spec"]["Labels"]
    assert labels[f"coop-cloud.{stack}.chaos-version"] == "aaaaaaaa"  # the silent revert

    # 3. fix writes the overlay; lint of base + overlay is clean of CP101
    fix = run("fix", str(folder), "--select", "CP101")
    assert fix.returncode == EXIT_FIXED, fix.stdout + fix.stderr
    overlay = folder / "compose.ccci.yml"
    assert "order: stop-first" in overlay.read_text()
    assert compose.read_text() == recipe_text(stack, "2", "bbbbbbbb")  # the base is untouched
    relint = run("lint", str(folder), "-c", "compose.yml", "-c", "compose.ccci.yml", "--select", "CP101")
    assert relint.returncode == 0, relint.stdout

    # 4. the same upgrade with the overlay converges and deploys the commit under test,
    # once the rollback is over: it can itself fail on the lock (rollback_paused), and
    # a rollback task still starting would take the lock from the upgrade
    wait_for(
        lambda: (lab.client.api.inspect_service(f"{stack}_app").get("UpdateStatus") or {}).get("State")
        in ("rollback_completed", "rollback_paused"),
        "the rollback to end",
    )
    lab.wait_running(stack)
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, compose, overlay)
    verdict = verify_upgrade(lab.client, stack, before, "bbbbbbbb", timeout=90, min_stability=2)
    assert verdict.passed
    spec = lab.client.services.get(f"{stack}_app").attrs["Spec"]
    assert spec["UpdateConfig"]["Order"] == "stop-first"
    assert spec["UpdateConfig"]["FailureAction"] == "rollback"  # detection kept
