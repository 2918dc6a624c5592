"""The per-service state machine on inspect data recorded from a real swarm.

tests/harness/recorded/*.json were written by the swarm scenarios
(``HARNESS_RECORD=1 pytest tests/harness``): the snapshot, then each service's
inspect, its tasks, the ids the daemon's ``_up-to-date`` filter returned and the
containers' OOMKilled flags, as they were when the verdict was reached.
Variants derived from them cover states that are awkward to hold on a live swarm.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from compose_policy.harness.converge import ServiceTracker, ServiceView, stability_window
from compose_policy.harness.snapshot import Snapshot

RECORDED = Path(__file__).parent / "recorded"
SCENARIOS = sorted(p.stem for p in RECORDED.glob("*.json"))


class RecordedView(ServiceView):
    def __init__(self, record: dict):
        super().__init__(client=None, service=record["service"])
        self._tasks = record["tasks"]
        # tasks of the current spec; recordings without the list: the up-to-date ones and every failed one
        current = record.get("current_spec")
        if current is None:
            current = record["up_to_date"] + [t["ID"] for t in record["tasks"] if t["DesiredState"] != "running"]
        self._current = {t["ID"]: t["DesiredState"] for t in record["tasks"] if t["ID"] in set(current)}
        self._oom = record.get("oom_killed") or {}

    def task(self, task_id):
        return next((t for t in self._tasks if t["ID"] == task_id), None)

    def oom_killed(self, container_id):
        return self._oom.get(container_id)


def load(name: str) -> dict:
    return json.loads((RECORDED / f"{name}.json").read_text())


def decide(data: dict, service: str, *, after_window: bool = True, min_stability: float = 10.0):
    """Run one tracker over the recorded view the way the loop does: a poll, then one after the window."""
    before = Snapshot.from_dict(data["snapshot"])
    tracker = ServiceTracker(service, before.service(service), before.taken_at, min_stability)
    view = RecordedView(data["services"][service])
    verdict = tracker.step(view, now=0.0, started=0.0)
    if verdict is None and after_window:
        verdict = tracker.step(view, now=10_000.0, started=0.0)
    return tracker, view, verdict


def test_recordings_exist():
    assert {"rollback_start_first", "rollback_oom", "paused", "stuck_host_port", "unchanged_redeploy"} <= set(SCENARIOS)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_replay_reaches_the_live_verdict(scenario):
    data = load(scenario)
    for service, live_outcome in data["verdict"].items():
        if live_outcome == "undecided":
            continue  # the live loop stopped at another service's failure
        tracker, view, verdict = decide(data, service)
        if verdict is None:
            verdict = tracker.at_deadline(view, started=0.0, timeout=6)
        assert verdict.outcome == live_outcome, (service, verdict)


def test_rollback_names_the_task_swarm_blamed():
    data = load("rollback_start_first")
    [name] = data["services"]
    _, _, verdict = decide(data, name)
    blamed = data["services"][name]["service"]["UpdateStatus"]["Message"].rsplit(" ", 1)[-1]
    assert verdict.failed_task.task_id == blamed
    assert verdict.failed_task.error == "task: non-zero exit (3)"
    assert verdict.failed_task.exit_code == 3
    assert any("is back to the pre-upgrade '1111aaaa'" in note for note in verdict.notes)


def test_oom_kill_is_explained():
    data = load("rollback_oom")
    [name] = data["services"]
    _, _, verdict = decide(data, name)
    failure = verdict.failed_task
    assert (failure.exit_code, failure.oom_killed) == (137, True)
    assert failure.explanation == "killed: out of memory (the container reports OOMKilled)"
    # where the container cannot be inspected (another node), 137 still reads as a likely OOM
    data["services"][name]["oom_killed"] = {}
    _, _, verdict = decide(data, name)
    assert verdict.failed_task.oom_killed is None
    assert verdict.failed_task.explanation == "killed, likely out of memory"


def test_rollback_completed_without_a_task_id_in_the_message_finds_the_failed_task():
    data = load("rollback_start_first")
    [name] = data["services"]
    status = data["services"][name]["service"]["UpdateStatus"]
    status["State"], status["Message"] = "rollback_completed", "rollback completed"
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "rolled-back"
    assert verdict.failed_task.error == "task: non-zero exit (3)"


def test_rollback_paused_fails():
    data = load("rollback_start_first")
    [name] = data["services"]
    data["services"][name]["service"]["UpdateStatus"]["State"] = "rollback_paused"
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "rollback-paused" and not verdict.passed


def test_paused_keeps_the_new_label():
    data = load("paused")
    [name] = data["services"]
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "paused"
    key = next(k for k in verdict.labels_now if k.endswith(".chaos-version"))
    assert verdict.labels_now[key] != verdict.labels_before[key]


def test_deploy_not_reached_waits_then_fails_as_not_deployed():
    data = load("unchanged_redeploy")
    name = sorted(data["services"])[0]
    before = data["snapshot"]["services"][name]
    data["services"][name]["service"]["Version"]["Index"] = before["version"]
    tracker, view, verdict = decide(data, name)
    assert verdict is None
    assert "waiting for the deploy" in tracker.phase
    final = tracker.at_deadline(view, started=0.0, timeout=30)
    assert final.outcome == "not-deployed"
    assert "never reached this service" in final.reason


def test_an_update_status_from_before_the_snapshot_is_not_a_verdict():
    # a rollback that happened before phase 0 must not fail (or pass) this upgrade
    data = load("rollback_start_first")
    [name] = data["services"]
    snap = data["snapshot"]["services"][name]
    data["services"][name]["service"]["UpdateStatus"]["StartedAt"] = snap["updated_at"]
    tracker, view, verdict = decide(data, name)
    assert verdict is None
    assert "from before the snapshot" in tracker.phase


def test_completed_before_the_snapshot_does_not_count_as_converged():
    data = load("stop_first_converged")
    [name] = data["services"]
    data["services"][name]["service"]["UpdateStatus"]["StartedAt"] = "2000-01-01T00:00:00.000000001Z"
    _, _, verdict = decide(data, name)
    assert verdict is None


def test_completed_waits_for_the_stability_window():
    data = load("stop_first_converged")
    [name] = data["services"]
    tracker, view, verdict = decide(data, name, after_window=False, min_stability=0)
    assert verdict is None and "stability window" in tracker.phase
    window = stability_window(data["services"][name]["service"]["Spec"], minimum=0)
    assert window == 3.0  # healthcheck 1s x 2 retries + 1s timeout, above the 2s monitor
    assert tracker.step(view, now=window - 0.01, started=0.0) is None
    assert tracker.step(view, now=window, started=0.0).outcome == "converged"


def test_a_task_failing_inside_the_window_is_unstable():
    data = load("crash_after_monitor")
    [name] = data["services"]
    _, _, verdict = decide(data, name, after_window=False)
    assert verdict.outcome == "unstable"
    assert verdict.update_state == "completed"
    assert verdict.failed_task.exit_code == 1


def test_no_update_status_but_outdated_tasks_is_not_converged():
    # right after a spec change, before the rollout starts, old tasks are not up to date
    data = load("unchanged_redeploy")
    name = sorted(data["services"])[0]
    data["services"][name]["up_to_date"] = []
    data["services"][name]["current_spec"] = []
    tracker, view, verdict = decide(data, name)
    assert verdict is None
    assert tracker.at_deadline(view, started=0.0, timeout=5).outcome == "stuck"


def test_label_only_change_is_named():
    data = load("unchanged_redeploy")
    name = next(n for n in data["services"] if n.endswith("_app"))
    key = next(k for k in data["snapshot"]["services"][name]["labels"] if k.endswith(".chaos-version"))
    data["snapshot"]["services"][name]["labels"][key] = "00000000"
    spec = copy.deepcopy(data["services"][name]["service"]["Spec"])
    spec["Labels"][key] = "00000000"
    data["snapshot"]["services"][name]["spec"] = spec
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "no-rollout-needed"
    assert verdict.reason.startswith("label-only redeploy")
    # the same service with a changed command is a rollout, whatever UpdateStatus says
    spec["TaskTemplate"]["ContainerSpec"]["Args"] = ["sh", "-c", "exit 1"]
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "converged"
    assert verdict.reason.startswith("task spec changed: command; labels changed; swarm shows no update status")


def test_stuck_lists_pending_tasks_with_the_scheduler_reason():
    data = load("stuck_host_port")
    [name] = data["services"]
    tracker, view, verdict = decide(data, name)
    assert verdict is None and tracker.phase == "updating"
    final = tracker.at_deadline(view, started=0.0, timeout=6)
    assert final.outcome == "stuck"
    [pending] = final.pending_tasks
    assert pending.state == "pending"
    assert "host-mode port already in use" in pending.error
    assert "host-mode port already in use" in "\n".join(final.lines())


def test_a_service_new_in_this_deploy_is_created():
    data = load("unchanged_redeploy")
    name = sorted(data["services"])[0]
    del data["snapshot"]["services"][name]
    _, _, verdict = decide(data, name)
    assert verdict.outcome == "created" and verdict.passed


def test_too_few_running_replicas_is_not_converged():
    data = load("unchanged_redeploy")
    name = sorted(data["services"])[0]
    spec = copy.deepcopy(data["services"][name]["service"])
    spec["Spec"]["Mode"] = {"Replicated": {"Replicas": 2}}
    data["services"][name]["service"] = spec
    _, _, verdict = decide(data, name)
    assert verdict is None


def test_a_snapshot_written_before_spec_and_ended_tasks_were_kept_still_decides():
    data = load("unchanged_redeploy")
    for state in data["snapshot"]["services"].values():
        state.pop("spec", None)
        state.pop("ended_tasks", None)
    for name in data["services"]:
        _, _, verdict = decide(data, name)
        assert verdict.outcome == "no-rollout-needed"
        assert "the snapshot holds no spec to compare with" in verdict.reason


def test_in_a_rollout_only_failed_tasks_of_the_new_spec_count():
    # swarm stopping an old task can end as "failed" or "rejected" (dockerd 20.10:
    # "error while removing network"); that is no failure of the new version
    data = load("crash_after_monitor")
    [name] = data["services"]
    record = data["services"][name]
    failed = {t["ID"] for t in record["tasks"] if t["Status"]["State"] in ("failed", "rejected", "complete")}
    assert failed
    record["current_spec"] = [i for i in record["current_spec"] if i not in failed]
    tracker, _, verdict = decide(data, name)
    assert verdict is None, verdict  # not unstable: it waits for the replacement task to run
    assert "waiting for every task to be up to date and running" in tracker.phase
