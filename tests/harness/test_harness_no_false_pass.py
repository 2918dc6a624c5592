"""No false PASS: upgrades that swarm leaves in a bad state without saying so.

Each scenario runs on the real swarm. Retried deploys clear UpdateStatus, new or
recreated services and replica changes need no rollout, and tasks can crash after
swarm's monitor window: every passing path must hold the stability window, and
the whole stack is re-checked before a verdict is returned.
"""

from __future__ import annotations

import json
import time

import pytest
from swarmlab import container_of, running_new_task, service_spec, swarm_scenario, wait_for
from test_harness_swarm import BASE, HEAD, NEW, SERVE, harness_cli, save_snapshot, upgrade_stack

from compose_policy.harness import check_deployed_commit, check_upgrade, check_verified_upgrade, snapshot_stack

pytestmark = pytest.mark.swarm

STOP_FIRST = {"failure_action": "rollback", "order": "stop-first", "monitor": "2s"}


# 1. a retried deploy of the same spec clears UpdateStatus mid-rollout ------------------------


@swarm_scenario
def test_retried_deploy_of_a_crashing_version_is_a_failure_naming_what_changed(lab, tmp_path):
    stack = lab.new_stack("retry")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "30s"}
    base = service_spec(SERVE.format(v=BASE), chaos=BASE, stack=stack, update=policy)
    new = service_spec("echo {v}; sleep 4; exit 3".format(v=NEW), chaos=NEW, stack=stack, update=policy, env={"APP_VERSION": "2"})
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": base}))
    before = snapshot_stack(lab.client, stack)
    new_file = lab.write("compose.yml", {"app": new})
    lab.deploy(stack, new_file)
    wait_for(lambda: running_new_task(lab.client, f"{stack}_app"), "the new version to run")
    lab.deploy(stack, new_file)  # the retry: same spec, swarm drops the update in flight
    assert lab.client.api.inspect_service(f"{stack}_app").get("UpdateStatus") is None

    pre = save_snapshot(before, tmp_path)
    run = harness_cli("converge", "--stack", stack, "--since", str(pre), "--timeout", "60", "--format", "json")
    assert run.returncode == 1, run.stdout + run.stderr
    [app] = json.loads(run.stdout)["services"]
    assert app["outcome"] == "unstable"
    assert app["failed_task"]["exit_code"] == 3
    assert "label-only" not in app["reason"]
    assert "command" in app["reason"] and "environment" in app["reason"]


# 2. passing paths without a rollout: created, replicas 0 -> 1, recreated stack ---------------


@swarm_scenario
def test_service_created_by_the_upgrade_that_crashes_after_starting_fails(lab, tmp_path):
    stack = lab.new_stack("new")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    worker = service_spec("echo worker; sleep 2; exit 1")
    before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW), "worker": worker})

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=5)
    assert not verdict.passed, verdict.render()
    assert verdict.service("worker").outcome == "unstable"
    assert verdict.service("worker").failed_task.exit_code == 1
    assert verdict.service("app").outcome in ("converged", "undecided")


@swarm_scenario
def test_replicas_zero_to_one_with_a_crashing_command_fails(lab, tmp_path):
    stack = lab.new_stack("rep")
    app = service_spec(SERVE.format(v=BASE))
    worker = lambda n: dict(service_spec("echo worker; sleep 2; exit 1"), deploy={"replicas": n, "restart_policy": {"condition": "any", "delay": "1s"}})
    before = upgrade_stack(lab, stack, {"app": app, "worker": worker(0)}, {"app": app, "worker": worker(1)})

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=5)
    assert not verdict.passed, verdict.render()
    worker_verdict = verdict.service("worker")
    assert worker_verdict.outcome == "unstable"
    assert "label-only" not in worker_verdict.reason and "unchanged" not in worker_verdict.reason


@swarm_scenario
def test_stack_removed_and_deployed_afresh_is_checked_like_a_new_service(lab, tmp_path):
    stack = lab.new_stack("rec")
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": service_spec(SERVE.format(v=BASE), chaos=BASE, stack=stack)}))
    before = snapshot_stack(lab.client, stack)
    lab.remove(stack)
    lab.deploy(stack, lab.write("compose.yml", {"app": service_spec("echo {v}; sleep 2; exit 1".format(v=NEW), chaos=NEW, stack=stack)}))

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=5)
    assert not verdict.passed, verdict.render()
    app = verdict.service("app")
    assert app.outcome == "unstable"
    assert "service id differs from the snapshot" in app.reason


@swarm_scenario
def test_a_service_that_passed_early_is_rechecked_until_the_stack_verdict(lab, tmp_path):
    stack = lab.new_stack("late")
    slow = {"failure_action": "rollback", "order": "stop-first", "monitor": "12s"}
    fast = {"failure_action": "rollback", "order": "stop-first", "monitor": "1s"}
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=slow)
    db = lambda cmd: service_spec(cmd, update=fast)
    before = upgrade_stack(
        lab, stack, {"app": app(BASE), "db": db(SERVE.format(v="db1"))}, {"app": app(NEW), "db": db("echo db2; sleep 7; exit 4")}
    )

    verdict = check_upgrade(lab.client, stack, before, timeout=90, min_stability=2)
    assert not verdict.passed, verdict.render()
    assert verdict.service("db").outcome == "unstable"
    assert verdict.service("db").failed_task.exit_code == 4



@swarm_scenario
def test_a_service_pruned_then_deployed_again_mid_check_is_checked(lab, tmp_path):
    stack = lab.new_stack("prune")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": app(BASE), "worker": service_spec(SERVE.format(v="w1"))}))
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, lab.write("compose.yml", {"app": app(NEW)}), prune=True)  # worker left out by mistake
    fixed = lab.write("compose.fixed.yml", {"app": app(NEW), "worker": service_spec("echo w2; sleep 2; exit 1")})
    redeployed = []

    def deploy_again_once_seen_removed(progress):
        if not redeployed and progress.get(f"{stack}_worker") == "removed by the deploy":
            lab.deploy(stack, fixed)  # the second deploy, while the harness waits
            redeployed.append(True)

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=5, on_progress=deploy_again_once_seen_removed)
    assert redeployed
    assert not verdict.passed, verdict.render()
    worker = verdict.service("worker")
    assert worker.outcome == "unstable" and worker.failed_task.exit_code == 1


@swarm_scenario
def test_global_service_upgrade_and_replicas_scaled_down_pass(lab, tmp_path):
    stack = lab.new_stack("down")
    agent = lambda v: dict(service_spec(SERVE.format(v=v)), deploy={"mode": "global", "update_config": STOP_FIRST})
    scaled = lambda n: dict(service_spec(SERVE.format(v="s")), deploy={"replicas": n, "restart_policy": {"condition": "any", "delay": "1s"}})
    before = upgrade_stack(
        lab, stack, {"agent": agent(1), "web": scaled(2), "spare": scaled(1)}, {"agent": agent(2), "web": scaled(1), "spare": scaled(0)}
    )

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=2)
    assert verdict.passed, verdict.render()
    assert verdict.service("agent").outcome == "converged"
    assert [verdict.service(name).reason.split(":")[0] for name in ("web", "spare")] == ["replicas 2 -> 1", "replicas 1 -> 0"]


class BetweenTwoLooks:
    """An ``on_progress`` hook that makes a second deploy happen wholly between two looks of the
    harness: when the window of the first deploy starts, it runs ``redeploy`` and stalls until
    that window is over (a long --poll-interval, a stalled runner). At the next look it kills
    the task the second deploy started: a crash inside that deploy's own window."""

    WINDOW = 6

    def __init__(self, lab, stack, redeploy):
        self.lab, self.service, self.redeploy = lab, f"{stack}_app", redeploy
        self.redeployed = self.killed = None

    def assert_caught(self, before):
        verdict = check_upgrade(self.lab.client, before.stack, before, timeout=60, min_stability=self.WINDOW, on_progress=self)
        assert self.killed, verdict.render()
        assert not verdict.passed, verdict.render()
        assert verdict.service("app").failed_task.task_id == self.redeployed

    def __call__(self, progress):
        if self.redeployed is None and "stability window ends" in progress[self.service]:
            started = time.monotonic()
            self.redeploy()
            self.redeployed = wait_for(lambda: running_new_task(self.lab.client, self.service), "the second deploy to run")
            time.sleep(max(0.0, started + self.WINDOW + 0.5 - time.monotonic()))
        elif self.redeployed is not None and self.killed is None:
            self.lab.client.api.kill(container_of(self.lab.client, self.redeployed))
            state = lambda: self.lab.client.api.inspect_task(self.redeployed)["Status"]["State"]
            self.killed = wait_for(lambda: state() == "failed", "the killed task to fail", timeout=30)


@swarm_scenario
def test_a_new_spec_rolled_out_between_two_looks_restarts_the_window(lab, tmp_path):
    stack = lab.new_stack("between")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "1s"}
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=policy)
    before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW)})
    third = lab.write("compose.third.yml", {"app": app("33333333")})
    rolled_out = lambda: (lab.client.api.inspect_service(f"{stack}_app").get("UpdateStatus") or {}).get("State") == "completed"
    hook = BetweenTwoLooks(lab, stack, lambda: (lab.deploy(stack, third), wait_for(rolled_out, "the third rollout")))


    hook.assert_caught(before)


@swarm_scenario
def test_a_stack_deployed_afresh_between_two_looks_restarts_the_window(lab, tmp_path):
    stack = lab.new_stack("afresh")
    app = service_spec(SERVE.format(v=NEW), chaos=NEW, stack=stack)
    before = upgrade_stack(lab, stack, {"app": service_spec(SERVE.format(v=BASE), chaos=BASE, stack=stack)}, {"app": app})
    afresh = lab.write("compose.afresh.yml", {"app": app})  # the same file: another service id
    hook = BetweenTwoLooks(lab, stack, lambda: (lab.remove(stack), lab.deploy(stack, afresh)))


    hook.assert_caught(before)


# 3. crashes after swarm's monitor window ----------------------------------------------------


@swarm_scenario
def test_default_window_catches_a_task_exiting_at_8s_with_a_3s_monitor(lab, tmp_path):
    stack = lab.new_stack("w8")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "3s"}
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy)
    before = upgrade_stack(lab, stack, {"app": app(SERVE, BASE)}, {"app": app("echo {v}; sleep 8; exit 1", NEW)})

    verdict = check_upgrade(lab.client, stack, before, timeout=60)  # the default window
    assert not verdict.passed, verdict.render()
    app_verdict = verdict.service("app")
    assert app_verdict.outcome == "unstable" and app_verdict.update_state == "completed"
    assert app_verdict.failed_task.exit_code == 1


@swarm_scenario
def test_default_window_catches_a_healthcheck_turning_unhealthy_at_7s(lab, tmp_path):
    stack = lab.new_stack("hc7")
    policy = {"failure_action": "rollback", "order": "stop-first", "monitor": "2s"}
    health = {"test": ["CMD", "sh", "-c", "test -f /tmp/healthy"], "interval": "1s", "timeout": "1s", "retries": 2, "start_period": "0s"}
    turns_unhealthy = "touch /tmp/healthy; echo {v}; sleep 7; rm /tmp/healthy; exec sleep 100000"
    app = lambda cmd, v: service_spec(cmd.format(v=v), chaos=v, stack=stack, update=policy, healthcheck=health)
    healthy = "touch /tmp/healthy; " + SERVE
    before = upgrade_stack(lab, stack, {"app": app(healthy, BASE)}, {"app": app(turns_unhealthy, NEW)})

    verdict = check_upgrade(lab.client, stack, before, timeout=60)
    assert not verdict.passed, verdict.render()
    app_verdict = verdict.service("app")
    assert app_verdict.outcome == "unstable"
    assert "unhealthy" in (app_verdict.failed_task.error or "")


class KillOnHC1:
    """A client whose first ``inspect_service`` (HC1 reads the label with it) kills a task of the
    new version first and waits until swarm records the failure: a crash between the
    convergence verdict and HC1."""

    def __init__(self, client, service):
        self._client, self._service, self.killed = client, service, None
        outer = self

        class Api:
            def __getattr__(self, name):
                return getattr(client.api, name)

            def inspect_service(self, name, *args, **kwargs):
                if outer.killed is None:
                    outer.kill()
                return client.api.inspect_service(name, *args, **kwargs)

        self.api = Api()

    def __getattr__(self, name):
        return getattr(self._client, name)

    def kill(self):
        task = running_new_task(self._client, self._service)
        self._client.api.kill(container_of(self._client, task))
        self.killed = task
        wait_for(lambda: self._client.api.inspect_task(task)["Status"]["State"] == "failed", "the killed task to fail", timeout=30)


@swarm_scenario
def test_verify_upgrade_rechecks_the_stack_after_hc1(lab, tmp_path):
    stack = lab.new_stack("vr")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW)})
    client = KillOnHC1(lab.client, f"{stack}_app")

    verdict = check_verified_upgrade(client, stack, before, HEAD, timeout=60, min_stability=1)
    assert client.killed is not None
    assert verdict.commit.passed  # the stamp is right ...
    assert not verdict.passed, verdict.render()  # ... but a task of the new version failed
    assert verdict.service("app").outcome == "unstable"
    assert verdict.service("app").failed_task.task_id == client.killed


# 4. a task that failed before the snapshot -------------------------------------------------


@swarm_scenario
def test_a_task_that_failed_before_the_snapshot_does_not_fail_the_upgrade(lab, tmp_path):
    stack = lab.new_stack("old")
    files = lab.write("compose.yml", {"app": service_spec(SERVE.format(v=BASE), chaos=BASE, stack=stack)})
    lab.deploy_base(stack, files)
    first = running_new_task(lab.client, f"{stack}_app")
    lab.client.api.kill(container_of(lab.client, first))
    wait_for(lambda: (running_new_task(lab.client, f"{stack}_app") or first) != first, "the replacement task")
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, files)

    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=2)
    assert verdict.passed, verdict.render()
    assert verdict.service("app").outcome == "no-rollout-needed"



# 6. job-mode services: every deploy runs the job again ---------------------------------------


@swarm_scenario
def test_a_job_whose_new_run_fails_fails_the_upgrade_and_one_that_completes_passes(lab, tmp_path):
    stack = lab.new_stack("job")
    job = lambda cmd, runs=1: dict(
        service_spec(cmd),
        deploy={"mode": "replicated-job", "replicas": runs, "restart_policy": {"condition": "on-failure", "delay": "1s", "max_attempts": 1}},
    )
    app = service_spec(SERVE.format(v=BASE))
    idle = job("echo never", runs=0)  # a job kept at 0 completions: nothing to run
    done = lambda name: [t["Status"]["State"] for t in lab.client.api.tasks(filters={"service": f"{stack}_{name}"})] == ["complete"]
    lab.deploy(stack, lab.write("compose.base.yml", {"app": app, "migrate": job("echo migrate 1"), "seed": job("echo seed"), "idle": idle}))
    wait_for(lambda: running_new_task(lab.client, f"{stack}_app") and done("migrate") and done("seed"), "the base stack")
    before = snapshot_stack(lab.client, stack)
    lab.deploy(stack, lab.write("compose.yml", {"app": app, "migrate": job("echo migrate 2; sleep 1; exit 5"), "seed": job("echo seed"), "idle": idle}))

    verdict = check_upgrade(lab.client, stack, before, timeout=30, min_stability=2, fail_fast=False)
    assert not verdict.passed, verdict.render()
    migrate = verdict.service("migrate")
    assert migrate.outcome == "unstable"
    assert migrate.failed_task.exit_code == 5
    seed = verdict.service("seed")  # unchanged, run again by the deploy, completed
    assert seed.outcome == "no-rollout-needed" and "ran to completion" in seed.reason, seed
    assert verdict.service("idle").outcome == "no-rollout-needed"


# 7. diagnoses --------------------------------------------------------------------------------


@swarm_scenario
def test_snapshot_taken_after_the_deploy_is_said_at_once(lab, tmp_path):
    stack = lab.new_stack("snap")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    lab.deploy_base(stack, lab.write("compose.base.yml", {"app": app(BASE)}))
    lab.deploy_base(stack, lab.write("compose.yml", {"app": app(NEW)}))
    pre = save_snapshot(snapshot_stack(lab.client, stack), tmp_path)  # too late: after the deploy

    started = time.monotonic()
    run = harness_cli("converge", "--stack", stack, "--since", str(pre), "--timeout", "60")
    assert time.monotonic() - started < 15
    assert run.returncode == 1, run.stdout + run.stderr
    assert "snapshot is newer than the deploy" in run.stdout


@swarm_scenario
def test_service_left_out_of_the_deploy_is_said_at_once(lab, tmp_path):
    """docker stack deploy (abra too) keeps a service the new compose file no longer has, old spec and all."""
    stack = lab.new_stack("left")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    before = upgrade_stack(lab, stack, {"app": app(BASE), "cache": service_spec(SERVE.format(v="c"))}, {"app": app(NEW)})

    started = time.monotonic()
    verdict = check_upgrade(lab.client, stack, before, timeout=60, min_stability=1)
    assert time.monotonic() - started < 15
    assert not verdict.passed
    cache = verdict.service("cache")
    assert cache.outcome == "not-deployed"
    assert "--prune" in cache.reason, cache.reason


@swarm_scenario
def test_global_service_with_no_eligible_node_says_why(lab, tmp_path):
    stack = lab.new_stack("glob")
    glob = lambda constraints: dict(
        service_spec(SERVE.format(v="g")),
        deploy={"mode": "global", "placement": {"constraints": constraints}, "update_config": STOP_FIRST},
    )
    before = upgrade_stack(lab, stack, {"agent": glob([])}, {"agent": glob(["node.labels.compose-policy-test-nowhere==1"])})

    verdict = check_upgrade(lab.client, stack, before, timeout=5, min_stability=1)
    agent = verdict.service("agent")
    assert agent.outcome == "stuck"
    assert "no node" in agent.reason and "node.labels.compose-policy-test-nowhere==1" in agent.reason


@swarm_scenario
def test_hc1_reads_full_and_uppercase_stamps_and_says_what_it_found(lab, tmp_path):
    stack = lab.new_stack("hc1")
    key = f"coop-cloud.{stack}.chaos-version"
    stamped = lambda labels: dict(service_spec(SERVE.format(v=1)), deploy={"labels": labels})
    services = {
        "full": stamped({key: HEAD}),
        "upper": stamped({key: NEW.upper()}),
        "other": stamped({"coop-cloud.some_other_stack.chaos-version": NEW}),
        "container": dict(service_spec(SERVE.format(v=1)), labels={key: NEW}),
    }
    lab.deploy_base(stack, lab.write("compose.yml", services))

    assert check_deployed_commit(lab.client, stack, HEAD[:8], "full").passed
    assert check_deployed_commit(lab.client, stack, HEAD, "full").passed
    assert check_deployed_commit(lab.client, stack, HEAD, "upper").passed
    other = check_deployed_commit(lab.client, stack, HEAD, "other")
    assert not other.passed
    assert "coop-cloud.some_other_stack.chaos-version" in other.reason and NEW in other.reason
    run = harness_cli("hc1", "--stack", stack, "--expect", HEAD, "--service", "container")
    assert run.returncode == 1
    assert "on the containers" in run.stdout and NEW in run.stdout


# 5. a daemon that stops answering mid-wait -------------------------------------------------


@swarm_scenario
def test_timeout_bounds_every_call_when_the_daemon_stops_answering_mid_wait(lab, tmp_path):
    from swarmlab import FreezingProxy

    from compose_policy.harness import HarnessUnavailable, connect

    stack = lab.new_stack("hang")
    app = lambda v: service_spec(SERVE.format(v=v), chaos=v, stack=stack, update=STOP_FIRST)
    proxy = FreezingProxy()
    try:
        client = connect(proxy.url)  # the SDK's usual 60 s per call
        before = upgrade_stack(lab, stack, {"app": app(BASE)}, {"app": app(NEW)})
        proxy.freeze()
        started = time.monotonic()
        with pytest.raises(HarnessUnavailable) as caught:
            check_upgrade(client, stack, before, timeout=3, min_stability=1)
        assert time.monotonic() - started < 10
        assert "timed out" in str(caught.value)
    finally:
        proxy.close()
