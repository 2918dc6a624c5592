"""Unit tests of the pieces that need no daemon: clock, HC1 judgement, snapshot JSON, verdicts."""

from __future__ import annotations

import json

import pytest

from compose_policy.harness import Snapshot, SnapshotError, UpgradeFailed
from compose_policy.harness.changes import SpecChanges
from compose_policy.harness.clock import after, parse_ns
from compose_policy.harness.converge import clock_minus_one, stability_window
from compose_policy.harness.hc1 import commit_matches, judge_commit, normalise_expected
from compose_policy.harness.snapshot import ServiceState
from compose_policy.harness.verdict import (
    CommitCheck,
    PendingTask,
    ServiceVerdict,
    TaskFailure,
    Verdict,
    explain_exit,
)

# --- clock -------------------------------------------------------------------------------------


def test_parse_keeps_nanoseconds():
    a = parse_ns("2026-11-27T12:35:59.583567452Z")
    b = parse_ns("2026-11-27T12:35:59.583580907Z")
    assert b - a == 13455
    assert a % 1_000_000_000 == 583567452


def test_parse_offsets_and_short_fractions():
    assert parse_ns("2026-11-27T13:35:59.5+01:00") == parse_ns("2026-11-27T12:35:59.500000000Z")
    assert parse_ns("2026-11-27T12:35:59Z") == 1795782959 * 1_000_000_000
    assert parse_ns("0001-01-01T00:00:00Z") is None
    assert parse_ns(None) is None
    with pytest.raises(ValueError):
        parse_ns("yesterday")


def test_after_is_strict_and_treats_no_reference_as_the_beginning():
    t = "2026-11-27T12:35:59.583567452Z"
    assert not after(t, t)
    assert after(t, clock_minus_one(t))
    assert clock_minus_one(t) == "2026-11-27T12:35:59.583567451Z"
    assert after(t, None)
    assert not after(None, t)


# --- stability window -----------------------------------------------------------------------


def spec(monitor=None, delay=None, health=None):
    s = {"UpdateConfig": {}, "TaskTemplate": {"ContainerSpec": {}}}
    if monitor is not None:
        s["UpdateConfig"]["Monitor"] = int(monitor * 1e9)
    if delay is not None:
        s["UpdateConfig"]["Delay"] = int(delay * 1e9)
    if health is not None:
        s["TaskTemplate"]["ContainerSpec"]["Healthcheck"] = health
    return s


def test_window_is_at_least_monitor_with_swarm_default():
    assert stability_window(spec(), minimum=0) == 5.0
    assert stability_window(spec(monitor=2), minimum=0) == 2.0
    assert stability_window(spec(monitor=2, delay=4), minimum=0) == 4.0
    assert stability_window(spec(monitor=2), minimum=7) == 7.0


def test_default_window_has_a_floor_of_several_seconds():
    assert stability_window(spec()) == 10.0
    assert stability_window(spec(monitor=3)) == 10.0
    assert stability_window(spec(monitor=30)) == 30.0


def test_window_covers_a_healthcheck_turning_unhealthy_after_readiness():
    health = {"Test": ["CMD", "true"], "Interval": 10_000_000_000, "Timeout": 2_000_000_000, "Retries": 3}
    assert stability_window(spec(monitor=5, health=health), minimum=0) == 32.0
    # a probe that starts failing within the 10 s floor is still declared failed inside the window
    assert stability_window(spec(monitor=5, health=health)) == 42.0
    # the start period comes first: failures in it do not count
    assert stability_window(spec(monitor=5, health=dict(health, StartPeriod=20_000_000_000)), minimum=0) == 52.0
    # docker's defaults: 30s interval, 30s timeout, 3 retries
    assert stability_window(spec(monitor=5, health={"Test": ["CMD", "true"]}), minimum=0) == 120.0
    assert stability_window(spec(monitor=200, health=health)) == 200.0
    assert stability_window(spec(monitor=5, health={"Test": ["NONE"]}), minimum=0) == 5.0


# --- HC1 judgement ----------------------------------------------------------------------------

STACK = "app_example_org"
KEY = f"coop-cloud.{STACK}.chaos-version"
SHA = "7ae7b0f7c0ffee00112233445566778899aabbcc"


def labels(value):
    return {KEY: value, "com.docker.stack.namespace": STACK}


def test_expected_sha_forms():
    assert normalise_expected(SHA.upper()) == SHA
    assert commit_matches(SHA, "7ae7b0f7")
    assert commit_matches("7ae7b0f", "7ae7b0f7")
    assert not commit_matches("7ae7b0f8", "7ae7b0f7")
    for bad in ("", "7ae7b0", "7ae7b0f7+U", "not-a-sha", "g" * 8, "a" * 41):
        with pytest.raises(ValueError):
            normalise_expected(bad)


def test_hc1_passes_on_the_expected_stamp():
    check = judge_commit(STACK, f"{STACK}_app", labels("7ae7b0f7"), SHA)
    assert check.passed and check.deployed == "7ae7b0f7"


@pytest.mark.parametrize("stamp", [SHA, SHA.upper(), "7AE7B0F7", "7ae7b0f", "7ae7b0f7c0ff"])
def test_hc1_accepts_any_length_and_case_of_the_same_commit(stamp):
    assert judge_commit(STACK, f"{STACK}_app", labels(stamp), SHA).passed
    assert judge_commit(STACK, f"{STACK}_app", labels(stamp), "7AE7B0F7").passed


def test_hc1_a_full_stamp_of_another_commit_with_the_same_prefix_fails():
    other = SHA[:8] + "0" * 32
    assert not judge_commit(STACK, f"{STACK}_app", labels(other), SHA).passed
    assert judge_commit(STACK, f"{STACK}_app", labels(other), SHA[:8]).passed  # all a short SHA can say


def test_hc1_says_where_a_misplaced_stamp_was_found():
    service_labels = {"coop-cloud.other_org.chaos-version": "7ae7b0f7"}
    check = judge_commit(STACK, f"{STACK}_app", service_labels, SHA, container_labels={KEY: "7ae7b0f7"})
    assert not check.passed
    assert f"found {KEY}='7ae7b0f7' on the containers" in check.reason
    assert "found coop-cloud.other_org.chaos-version='7ae7b0f7', the chaos-version label of another stack name ('other_org')" in check.reason


def test_hc1_dirty_stamp_only_when_allowed():
    check = judge_commit(STACK, f"{STACK}_app", labels("7ae7b0f7+U"), SHA)
    assert not check.passed and "+U" in check.reason
    assert judge_commit(STACK, f"{STACK}_app", labels("7ae7b0f7+U"), SHA, allow_dirty=True).passed


@pytest.mark.parametrize(
    "value, phrase",
    [
        (None, "has no coop-cloud.app_example_org.chaos-version label"),
        ("7ae7b0", "malformed"),
        ("g" * 8, "malformed"),
        ("7ae7b0f7-dirty", "malformed"),
        ("7ae7b0f7+u", "malformed"),
        ("deadbeef", "deployed commit deadbeef is not the expected 7ae7b0f7c0ffee"),
    ],
)
def test_hc1_failures(value, phrase):
    lab = labels(value) if value is not None else {"com.docker.stack.namespace": STACK}
    check = judge_commit(STACK, f"{STACK}_app", lab, SHA)
    assert not check.passed
    assert phrase in check.reason
    text = "\n".join(check.lines())
    assert f"expected {SHA}, deployed {value or '(missing)'}" in text


def snapshot_with(value):
    state = ServiceState(id="x", name=f"{STACK}_app", version=10, updated_at="2026-01-01T00:00:00Z", update_status=None, labels=labels(value))
    return Snapshot(stack=STACK, services={state.name: state}, taken_at="2026-01-01T00:00:01Z")


def test_hc1_mismatch_equal_to_the_pre_upgrade_value_is_the_signature_of_a_rollback():
    check = judge_commit(STACK, f"{STACK}_app", labels("1111aaaa"), SHA, before=snapshot_with("1111aaaa"))
    assert not check.passed and check.equals_before is True
    assert "signature of a rollback" in check.reason
    check = judge_commit(STACK, f"{STACK}_app", labels("deadbeef"), SHA, before=snapshot_with("1111aaaa"))
    assert check.equals_before is False
    assert "not the pre-upgrade value either (1111aaaa)" in check.reason


def test_hc1_missing_service():
    check = judge_commit(STACK, f"{STACK}_app", None, SHA)
    assert not check.passed and "not part of stack" in check.reason


# --- snapshot JSON -------------------------------------------------------------------------


def test_snapshot_round_trips_through_json(tmp_path):
    snap = snapshot_with("1111aaaa")
    snap.services[f"{STACK}_app"].running_tasks = ["t1", "t2"]
    snap.services[f"{STACK}_app"].update_status = {"State": "completed", "StartedAt": "2026-01-01T00:00:00.1Z"}
    path = tmp_path / "pre.json"
    snap.save(path)
    loaded = Snapshot.load(path)
    assert loaded == snap
    assert loaded.label(f"{STACK}_app", KEY) == "1111aaaa"
    assert json.loads(path.read_text())["format"] == "compose-policy/harness-snapshot@1"



def test_snapshot_save_replaces_the_file_whole_through_a_symlink(tmp_path):
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "pre.json").write_text("{" * 10_000)  # an older, longer file
    (tmp_path / "pre.json").symlink_to("runs/pre.json")
    snap = snapshot_with("1111aaaa")
    snap.save(tmp_path / "pre.json")
    assert (tmp_path / "pre.json").is_symlink()
    assert Snapshot.load(tmp_path / "runs" / "pre.json") == snap
    assert [p.name for p in (tmp_path / "runs").iterdir()] == ["pre.json"]  # no staged file left


@pytest.mark.parametrize("text", ["", "{", "[]", '{"format": "other"}', '{"format": "compose-policy/harness-snapshot@1"}'])
def test_bad_snapshots_are_could_not_check(tmp_path, text):
    path = tmp_path / "pre.json"
    path.write_text(text)
    with pytest.raises(SnapshotError) as caught:
        Snapshot.load(path)
    assert str(path) in str(caught.value)


# --- verdicts -------------------------------------------------------------------------------


def test_exit_code_explanations():
    assert explain_exit(137) == "killed, likely out of memory"
    assert "out of memory" in explain_exit(137, oom_killed=True)
    assert "does not report OOMKilled" in explain_exit(137, oom_killed=False)
    assert explain_exit(143) == "killed by SIGTERM"
    assert "early termination" in explain_exit(0)
    assert explain_exit(3) is None
    assert explain_exit(None) is None


def test_unhealthy_task_is_explained():
    failure = TaskFailure(task_id="a" * 25, state="failed", error="dockerexec: unhealthy container", exit_code=137)
    assert failure.explanation == "its healthcheck failed"


def test_verdict_rendering_and_json():
    failed = ServiceVerdict(
        service="s_db",
        outcome="rolled-back",
        reason="swarm rolled back the update after a new task failed",
        update_state="rollback_completed",
        message="rollback completed",
        failed_task=TaskFailure(task_id="b" * 25, state="failed", error="task: non-zero exit (137)", exit_code=137),
        labels_before={"a": "1"},
        labels_now={"a": "1"},
    )
    stuck = ServiceVerdict(
        service="s_app",
        outcome="stuck",
        reason="still updating after 5s",
        update_state="updating",
        pending_tasks=[PendingTask(task_id="c" * 25, state="pending", error="no suitable node (host-mode port already in use on 1 node)")],
    )
    ok = ServiceVerdict(service="s_web", outcome="no-rollout-needed", reason="unchanged redeploy")
    commit = CommitCheck(service="s_app", label="k", expected="abc1234", deployed="1111aaaa", passed=False, reason="wrong")
    verdict = Verdict(stack="s", services=[failed, stuck, ok], commit=commit)
    assert not verdict.passed
    assert verdict.summary() == "FAIL stack s: s_db rolled back; s_app stuck; HC1 failed"
    text = verdict.render()
    assert "s_db: rolled back [rollback_completed]" in text
    assert "cause: task bbbbbbbbbbbb failed: task: non-zero exit (137); exit code 137: killed, likely out of memory" in text
    assert "pending task cccccccccccc pending: no suitable node (host-mode port already in use on 1 node)" in text
    data = json.loads(json.dumps(verdict.to_dict()))
    assert data["passed"] is False
    assert data["services"][0]["failed_task"]["explanation"] == "killed, likely out of memory"
    assert data["commit"]["deployed"] == "1111aaaa"
    error = UpgradeFailed(verdict)
    assert isinstance(error, AssertionError) and error.verdict is verdict
    assert str(error) == text


def test_passing_verdict():
    services = [
        ServiceVerdict(service="s_app", outcome="converged", reason="ok"),
        ServiceVerdict(service="s_db", outcome="no-rollout-needed", reason="unchanged redeploy"),
    ]
    commit = CommitCheck(service="s_app", label="k", expected="abc1234", deployed="abc12345", passed=True, reason="ok")
    verdict = Verdict(stack="s", services=services, commit=commit)
    assert verdict.passed
    assert verdict.summary() == "PASS stack s: app converged, db no rollout needed, deployed commit abc12345 matches"


# --- what a deploy changed ------------------------------------------------------------------


def service_spec(args=("sleep", "1"), env=None, labels=None, replicas=1, ports=None):
    container = {"Image": "busybox", "Args": list(args)}
    if env is not None:
        container["Env"] = env
    return {
        "Labels": labels or {},
        "Mode": {"Replicated": {"Replicas": replicas}},
        "TaskTemplate": {"ContainerSpec": container, "ForceUpdate": 0},
        "EndpointSpec": {"Mode": "vip", **({"Ports": ports} if ports else {})},
    }


def test_changes_name_what_a_reader_changed():
    before = service_spec(labels={"v": "1"})
    assert SpecChanges(before, service_spec(labels={"v": "1"})).describe() == "unchanged"
    assert SpecChanges(before, service_spec(labels={"v": "2"})).describe() == "label-only"
    assert not SpecChanges(before, service_spec(labels={"v": "2"})).rollout
    changed = SpecChanges(before, service_spec(args=("exit", "1"), env=["A=1"], labels={"v": "2"}))
    assert changed.rollout
    assert changed.describe() == "task spec changed: command, environment; labels changed"
    ports = SpecChanges(before, service_spec(labels={"v": "1"}, ports=[{"TargetPort": 80}]))
    assert ports.rollout and ports.describe() == "task spec changed: published ports"


def test_replica_changes_are_named_and_are_no_rollout():
    changes = SpecChanges(service_spec(replicas=0), service_spec(replicas=1))
    assert not changes.rollout
    assert changes.describe() == "replicas 0 -> 1"
    global_spec = dict(service_spec(), Mode={"Global": {}})
    assert SpecChanges(service_spec(), global_spec).describe() == "mode replicated -> global"


def test_a_snapshot_without_a_spec_is_treated_as_a_rollout():
    changes = SpecChanges(None, service_spec())
    assert changes.rollout and not changes.known
    assert changes.describe() == "the snapshot holds no spec to compare with"


def test_without_the_docker_sdk_the_harness_names_the_extra_to_install():
    import subprocess
    import sys

    # a lint-only install has no docker SDK: block its import in a fresh interpreter
    code = ("import sys; sys.modules['docker'] = None\n"
            "from compose_policy.harness import HarnessUnavailable, connect\n"
            "try:\n    connect()\nexcept HarnessUnavailable as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "pip install 'compose-policy[harness]'" in out.stdout
