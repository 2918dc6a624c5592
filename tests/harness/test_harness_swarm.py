"""The upgrade scenarios, each against the real swarm.

Every test deploys a base stack, snapshots it, redeploys with
``docker stack deploy`` and checks the harness verdict (library and CLI).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compose_policy.harness import (
    UpgradeFailed,
    assert_deployed_commit,
    assert_upgrade_converged,
    check_deployed_commit,
    check_upgrade,
    snapshot_stack,
)

from swarmlab import running_new_task, service_spec, swarm_scenario, wait_for

pytestmark = pytest.mark.swarm

BASE = "1111aaaa"
HEAD = "2222bbbbcccc0000dddd1111eeee2222ffff3333"  # the commit under test
NEW = HEAD[:8]

SERVE = "echo {v}; exec sleep 100000"  # a version that just runs
DIE = "echo {v}; sleep 1; exit 3"  # a version that dies inside the monitor window
# the monitor for versions that must fail: far longer than DIE's 1 s, so that swarm still sees
# the crash inside the window when a loaded machine delays task state reports by seconds
CRASH_MONITOR = "10s"
# a version whose shell doubles a string until it far exceeds the memory limit
HOG = 'echo {v}; sleep 1; x=a; i=0; while [ $$i -lt 27 ]; do x="$$x$$x"; i=$$((i+1)); done; exec sleep 100000'

FAST_ROLLBACK = {"parallelism": 1, "monitor": "2s", "order": "stop-first"}


def harness_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("compose-policy")
    cmd = [str(script), "harness"] if script.exists() else [sys.executable, "-m", "compose_policy.harness"]
    full_env = dict(os.environ, **(env or {}))
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=timeout, env=full_env)


def save_snapshot(before, tmp_path: Path) -> Path:
    path = tmp_path / "pre.json"
    before.save(path)
    return path


def upgrade_stack(lab, stack, base_services, new_services, *, overlay=None):
    """Deploy ``base_services``, snapshot, deploy ``new_services`` (plus an optional overlay)."""
    base = lab.write("compose.base.yml", base_services)
    lab.deploy_base(stack, base)
    before = snapshot_stack(lab.client, stack)
    new = lab.write("compose.yml", new_services)
    files = [new] + ([lab.write("compose.ccci.yml", overlay)] if overlay else [])
    lab.deploy(stack, *files)
    return before


# 1. rollback + start-first: the new version dies inside the monitor window ----------------


@swarm_scenario
def test_rollback_start_first_is_a_failure_naming_the_task_error(lab, tmp_path):
    stack = lab.new_stack("rb")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": CRASH_MONITOR}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy, rollback=FAST_ROLLBACK)
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": app(DIE, NEW)})

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=60)
    verdict = caught.value.verdict
    lab.record("rollback_start_first", stack, before, verdict)
    app_verdict = verdict.service(f"{stack}_app")
    assert app_verdict.outcome == "rolled-back"
    assert app_verdict.update_state in ("rollback_started", "rollback_completed")
    assert app_verdict.failed_task is not None
    assert app_verdict.failed_task.error == "task: non-zero exit (3)"
    assert app_verdict.failed_task.exit_code == 3
    # swarm restored the previous spec, labels included
    key = f"coop-cloud.{stack}.chaos-version"
    assert app_verdict.labels_before[key] == BASE
    assert app_verdict.labels_now[key] == BASE
    text = str(caught.value)
    assert "rolled back" in text
    assert "task: non-zero exit (3)" in text
    assert f"{key} is back to the pre-upgrade '{BASE}'" in text
    assert "would report the base commit" in text

    # HC1 alone sees the base commit, and says why
    check = check_deployed_commit(lab.client, stack, HEAD, before=before)
    assert not check.passed
    assert check.deployed == BASE and check.equals_before is True
    assert "signature of a rollback" in check.reason

    # the CLI: exit 1, both halves reported
    pre = save_snapshot(before, tmp_path)
    run = harness_cli("verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "60")
    assert run.returncode == 1, run.stderr
    assert "rolled back" in run.stdout and "task: non-zero exit (3)" in run.stdout
    assert f"expected {HEAD}, deployed {BASE}" in run.stdout


@swarm_scenario
def test_rollback_after_oom_kill_reports_out_of_memory(lab, tmp_path):
    stack = lab.new_stack("oom")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": CRASH_MONITOR}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy, rollback=FAST_ROLLBACK, memory="24M")
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": app(HOG, NEW)})

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=60)
    verdict = caught.value.verdict
    lab.record("rollback_oom", stack, before, verdict)
    app_verdict = verdict.service("app")
    assert app_verdict.outcome == "rolled-back"
    failure = app_verdict.failed_task
    assert failure.exit_code == 137
    assert failure.error == "task: non-zero exit (137)"
    assert failure.oom_killed is True  # the container is on this node: OOMKilled confirmed
    assert "out of memory" in str(caught.value)
    assert app_verdict.labels_now[f"coop-cloud.{stack}.chaos-version"] == BASE


# 2. the same policy with a stop-first overlay and a healthy new version ---------------------


@swarm_scenario
def test_stop_first_overlay_and_healthy_version_converges_and_hc1_passes(lab, tmp_path):
    stack = lab.new_stack("sf")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": "2s"}
    health = {"test": ["CMD", "true"], "interval": "1s", "timeout": "1s", "retries": 2, "start_period": "0s"}
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=policy, healthcheck=health)
    overlay = {"app": {"deploy": {"update_config": {"order": "stop-first"}}}}
    before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW)}, overlay=overlay)

    spec = lab.client.api.inspect_service(f"{stack}_app")["Spec"]
    assert spec["UpdateConfig"]["Order"] == "stop-first"  # the overlay took effect
    assert spec["UpdateConfig"]["FailureAction"] == "rollback"

    pre = save_snapshot(before, tmp_path)
    run = harness_cli(
        "verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "60", "--format", "json", "--min-stability", "1"
    )
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout)
    assert result["passed"] is True
    [app_result] = result["services"]
    assert app_result["outcome"] == "converged"
    assert app_result["update_state"] == "completed"
    assert "4s stability window" in app_result["reason"]  # 1s floor + healthcheck 1s x 2 + 1s timeout > monitor
    assert result["commit"]["deployed"] == NEW and result["commit"]["passed"] is True

    # the library reaches the same verdict (holding its own stability window again)
    verdict = assert_upgrade_converged(lab.client, stack, before, timeout=30, min_stability=1)
    lab.record("stop_first_converged", stack, before, verdict)
    assert assert_deployed_commit(lab.client, stack, HEAD[:7], before=before).passed


# 3. failure_action pause -------------------------------------------------------------------


@swarm_scenario
def test_pause_fails_although_the_new_label_is_deployed(lab, tmp_path):
    stack = lab.new_stack("pz")
    policy = {"failure_action": "pause", "order": "start-first", "monitor": CRASH_MONITOR}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy)
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": app(DIE, NEW)})

    pre = save_snapshot(before, tmp_path)
    run = harness_cli("converge", "--stack", stack, "--since", str(pre), "--timeout", "60")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "paused" in run.stdout
    assert "task: non-zero exit (3)" in run.stdout

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=30)
    lab.record("paused", stack, before, caught.value.verdict)
    app_verdict = caught.value.verdict.service("app")
    assert app_verdict.outcome == "paused" and app_verdict.update_state == "paused"
    assert app_verdict.labels_now[f"coop-cloud.{stack}.chaos-version"] == NEW
    # a label check alone would pass: that is why convergence is checked first
    assert check_deployed_commit(lab.client, stack, HEAD).passed
    run = harness_cli("verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "30")
    assert run.returncode == 1
    assert "HC1 ok" in run.stdout and "paused" in run.stdout


# 4. unchanged and label-only redeploys -----------------------------------------------------


@swarm_scenario
def test_unchanged_and_label_only_redeploys_need_no_rollout(lab, tmp_path):
    stack = lab.new_stack("nr")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": "2s"}
    app = lambda v: service_spec(SERVE.format(v="same"), chaos=v, stack=stack, update=policy)
    db = service_spec(SERVE.format(v="db"))
    base = lab.write("compose.base.yml", {"app": app(BASE), "db": db})
    lab.deploy_base(stack, base)

    # unchanged redeploy: every service is updated (Version.Index advances) but nothing rolls out
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, base)
    started = time.monotonic()
    verdict = assert_upgrade_converged(lab.client, stack, before, timeout=30, min_stability=1)
    assert time.monotonic() - started < 10  # the window: db's default 5s monitor
    lab.record("unchanged_redeploy", stack, before, verdict)
    for service in verdict.services:
        assert service.outcome == "no-rollout-needed", service
        assert service.reason.startswith("unchanged redeploy")
        assert service.update_state is None
    after = snapshot_stack(lab.client, stack)
    for name, state in after.services.items():
        assert state.version > before.services[name].version
        assert state.running_tasks == before.services[name].running_tasks  # nothing restarted

    # label-only redeploy: the new stamp lands without a rollout
    before = after
    lab.deploy(stack, lab.write("compose.yml", {"app": app(NEW), "db": db}))
    pre = save_snapshot(before, tmp_path)
    run = harness_cli("verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "30", "--min-stability", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    assert "label-only redeploy" in run.stdout
    assert "no rollout needed" in run.stdout
    assert snapshot_stack(lab.client, stack).services[f"{stack}_app"].running_tasks == before.services[f"{stack}_app"].running_tasks



@swarm_scenario
def test_one_shot_service_that_finished_before_the_upgrade_needs_no_rollout(lab, tmp_path):
    """restart_policy condition none: the task ran to completion and swarm never starts it again,
    so the upgrade of the other services leaves it with no running task, as before."""
    stack = lab.new_stack("once")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "1s"}
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=policy)
    init = dict(service_spec("echo init; exit 0"), deploy={"restart_policy": {"condition": "none"}})
    lab.deploy(stack, lab.write("compose.base.yml", {"app": app(BASE), "init": init}))
    wait_for(lambda: running_new_task(lab.client, f"{stack}_app"), "the base version to run")
    wait_for(lambda: [t["Status"]["State"] for t in lab.client.api.tasks(filters={"service": f"{stack}_init"})] == ["complete"], "the one-shot to complete")
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, lab.write("compose.yml", {"app": app(NEW), "init": init}))

    verdict = check_upgrade(lab.client, stack, before, timeout=20, min_stability=2)
    assert verdict.passed, verdict.render()
    once = verdict.service("init")
    assert once.outcome == "no-rollout-needed"
    assert any("ran to completion" in note for note in once.notes), once
    assert verdict.service("app").outcome == "converged"

# 5. wrong stamp ----------------------------------------------------------------------------


@swarm_scenario
def test_wrong_stamp_fails_hc1_with_expected_and_deployed(lab, tmp_path):
    stack = lab.new_stack("ws")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "1s"}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy)
    wrong = "deadbeef"
    new = service_spec(SERVE.format(v="v2"), chaos=wrong, stack=stack, update=policy)
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": new})
    pre = save_snapshot(before, tmp_path)

    run = harness_cli("verify-upgrade", "--stack", stack, "--since", str(pre), "--expect", HEAD, "--timeout", "60", "--min-stability", "1")
    assert run.returncode == 1, run.stdout + run.stderr
    assert f"{stack}_app: converged" in run.stdout  # convergence was fine
    assert f"expected {HEAD}, deployed {wrong}" in run.stdout
    assert "is not the pre-upgrade value either (1111aaaa)" in run.stdout

    run = harness_cli("hc1", "--stack", stack, "--expect", HEAD, "--format", "json")
    assert run.returncode == 1
    commit = json.loads(run.stdout)["commit"]
    assert (commit["expected"], commit["deployed"], commit["passed"]) == (HEAD, wrong, False)

    with pytest.raises(UpgradeFailed) as caught:
        assert_deployed_commit(lab.client, stack, HEAD)
    assert f"expected {HEAD}, deployed {wrong}" in str(caught.value)
    assert check_deployed_commit(lab.client, stack, wrong).passed


# 6. stuck update ---------------------------------------------------------------------------


@swarm_scenario
def test_start_first_with_host_mode_port_is_stuck_and_names_the_pending_reason(lab, tmp_path):
    stack = lab.new_stack("st")
    port = random.randint(20000, 29999)
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": "2s"}
    ports = [{"target": 8080, "published": port, "protocol": "tcp", "mode": "host"}]
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=policy, ports=ports)
    before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW)})
    pre = save_snapshot(before, tmp_path)

    started = time.monotonic()
    run = harness_cli("converge", "--stack", stack, "--since", str(pre), "--timeout", "6", "--format", "json")
    took = time.monotonic() - started
    assert 6 <= took < 20, (took, run.stdout, run.stderr)
    assert run.returncode == 1, run.stdout + run.stderr
    result = json.loads(run.stdout)
    [app_result] = result["services"]
    assert app_result["outcome"] == "stuck" and app_result["update_state"] == "updating"
    assert "still updating after 6s" in app_result["reason"]
    [pending] = app_result["pending_tasks"]
    assert pending["state"] == "pending"
    assert "host-mode port already in use" in pending["error"]

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=2)
    lab.record("stuck_host_port", stack, before, caught.value.verdict)
    assert "host-mode port already in use" in str(caught.value)


@swarm_scenario
def test_unsatisfiable_constraint_is_stuck(lab, tmp_path):
    stack = lab.new_stack("uc")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "1s"}
    app = service_spec(SERVE.format(v=BASE), chaos=BASE, stack=stack, update=policy)
    new = service_spec(SERVE.format(v=NEW), chaos=NEW, stack=stack, update=policy)
    new["deploy"]["placement"] = {"constraints": ["node.labels.compose-policy-test-nowhere==1"]}
    before = upgrade_stack(lab, stack, {"app": app}, {"app": new})

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=4)
    app_verdict = caught.value.verdict.service("app")
    assert app_verdict.outcome == "stuck"
    assert any("scheduling constraints not satisfied" in (p.error or "") for p in app_verdict.pending_tasks), app_verdict


# 7. a helper service rolls back while app converges ---------------------------------------


@swarm_scenario
def test_helper_rollback_fails_the_stack_while_app_converges(lab, tmp_path):
    stack = lab.new_stack("db")
    policy = {"failure_action": "rollback", "order": "start-first", "monitor": "2s"}
    db_policy = dict(policy, monitor=CRASH_MONITOR)
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=policy)
    db = lambda cmd, v: service_spec(cmd.format(v=v), update=db_policy, rollback=FAST_ROLLBACK)
    before = upgrade_stack(
        lab, stack, {"app": app(BASE), "db": db(SERVE, "db1")}, {"app": app(NEW), "db": db(DIE, "db2")}
    )

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=60)
    verdict = caught.value.verdict
    lab.record("helper_rollback", stack, before, verdict)
    assert [f.service for f in verdict.failures] == [f"{stack}_db"]
    assert verdict.service("db").outcome == "rolled-back"
    assert verdict.service("app").outcome in ("converged", "undecided")
    assert verdict.summary().startswith(f"FAIL stack {stack}: {stack}_db rolled back")
    # HC1 on app alone would pass: the stack verdict is what catches it
    assert check_deployed_commit(lab.client, stack, HEAD).passed


# 8. a crash after swarm's monitor window ---------------------------------------------------


@swarm_scenario
def test_crash_after_the_monitor_window_is_caught_by_the_stability_window(lab, tmp_path):
    stack = lab.new_stack("cr")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "3s"}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy)
    crash_late = "echo {v}; sleep 4; exit 1"  # runs past the 3s monitor, dies inside the harness window
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": app(crash_late, NEW)})

    with pytest.raises(UpgradeFailed) as caught:
        assert_upgrade_converged(lab.client, stack, before, timeout=60)
    verdict = caught.value.verdict
    lab.record("crash_after_monitor", stack, before, verdict)
    app_verdict = verdict.service("app")
    assert app_verdict.update_state == "completed"  # swarm itself called it a success
    assert app_verdict.outcome == "unstable"
    assert app_verdict.failed_task.exit_code == 1
    assert app_verdict.failed_task.error == "task: non-zero exit (1)"


# 9. daemon unreachable, stack missing ------------------------------------------------------


def test_missing_stack_is_exit_2(swarm, tmp_path):
    run = harness_cli("snapshot", "--stack", "hx_no_such_stack", "--output", str(tmp_path / "pre.json"))
    assert run.returncode == 2
    assert run.stderr.strip() == "could not check: stack 'hx_no_such_stack' has no services on this swarm: nothing to snapshot"
    assert not (tmp_path / "pre.json").exists()
    run = harness_cli("hc1", "--stack", "hx_no_such_stack", "--expect", HEAD, "--format", "json")
    assert run.returncode == 2
    assert json.loads(run.stdout) == {
        "passed": False,
        "checked": False,
        "error": "stack 'hx_no_such_stack' has no services on this swarm",
    }


@swarm_scenario
def test_stack_removed_between_snapshot_and_check_is_exit_2(lab, tmp_path):
    stack = lab.new_stack("gone")
    lab.deploy_base(stack, lab.write("compose.yml", {"app": service_spec(SERVE.format(v=1))}))
    pre = save_snapshot(snapshot_stack(lab.client, stack), tmp_path)
    lab.remove(stack)
    run = harness_cli("converge", "--stack", stack, "--since", str(pre), "--timeout", "10")
    assert run.returncode == 2, run.stdout + run.stderr
    assert "no services on this swarm" in run.stderr
