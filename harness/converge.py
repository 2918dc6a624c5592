"""Phases 1 and 2: did the redeploy really converge?

For every service of the stack, a small state machine (ServiceTracker) reads the
live service and its tasks and decides:

  deploy not reached yet    Version.Index not above the snapshot's: wait
  rollback_started/_completed, paused, rollback_paused (newer than the snapshot): fail
  updating                  wait; at the deadline fail, naming the pending tasks and why
  completed, StartedAt after the snapshot's UpdatedAt:
                            hold a stability window (max of monitor, delay and the
                            healthcheck's interval x retries + timeout) in which no task
                            of the rollout may fail; then every task must be running
  no UpdateStatus           nothing to roll out when every desired-running task is up
                            to date (the daemon's ``_up-to-date`` task filter) and running

Events only wake the loop (wake.py); inspect decides. Manager timestamps are
compared with manager timestamps from the snapshot, never with this machine's
clock; the deadline and the window are durations on this machine's monotonic
clock, which can only make the window longer than swarm's own.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from . import clock
from .client import HarnessUnavailable, api_errors
from .snapshot import ServiceState, Snapshot, stack_services
from .verdict import (
    CONVERGED,
    CREATED,
    NO_ROLLOUT,
    NOT_DEPLOYED,
    PAUSED,
    REMOVED,
    ROLLBACK_PAUSED,
    ROLLED_BACK,
    STUCK,
    UNDECIDED,
    UNSTABLE,
    PendingTask,
    ServiceVerdict,
    TaskFailure,
    UpgradeFailed,
    Verdict,
)
from .wake import EventWaker

DEFAULT_TIMEOUT = 900.0
DEFAULT_POLL_INTERVAL = 0.5  # the fallback when no event arrives; keeps a verdict under 1 s

ROLLBACK_STATES = ("rollback_started", "rollback_completed")
# task states that end a task without swarm having asked it to stop
FAILED_TASK_STATES = ("failed", "rejected", "complete", "orphaned")
_TASK_ID_IN_MESSAGE = re.compile(r"\btask ([0-9a-z]{25})\b")

# swarmkit defaults when a spec leaves the field unset
DEFAULT_MONITOR = 5.0
DEFAULT_HEALTH_INTERVAL = 30.0
DEFAULT_HEALTH_TIMEOUT = 30.0
DEFAULT_HEALTH_RETRIES = 3


def stability_window(spec: dict, minimum: float = 0.0) -> float:
    """Seconds a completed rollout must stay healthy before it counts as converged.

    At least ``monitor`` (the window in which swarm itself watches new tasks) and
    ``delay``; with a healthcheck, at least the time a task that turns unhealthy
    right after readiness needs to be declared failed (interval x retries +
    timeout), which swarm does not wait for when monitor is shorter.
    """
    update = spec.get("UpdateConfig") or {}
    window = max(clock.seconds(update.get("Monitor"), DEFAULT_MONITOR), clock.seconds(update.get("Delay"), 0.0))
    health = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Healthcheck") or {}
    test = health.get("Test") or []
    if test and test[0] != "NONE":
        interval = clock.seconds(health.get("Interval"), DEFAULT_HEALTH_INTERVAL)
        timeout = clock.seconds(health.get("Timeout"), DEFAULT_HEALTH_TIMEOUT)
        retries = health.get("Retries") or DEFAULT_HEALTH_RETRIES
        window = max(window, interval * retries + timeout)
    return max(window, minimum)


def expected_replicas(service: dict) -> int | None:
    """Replica count for replicated services, None for global ones (one task per eligible node)."""
    mode = service["Spec"].get("Mode") or {}
    if "Replicated" in mode:
        return int((mode["Replicated"] or {}).get("Replicas", 1))
    return None


def is_job(service: dict) -> bool:
    mode = service["Spec"].get("Mode") or {}
    return "ReplicatedJob" in mode or "GlobalJob" in mode


class ServiceView:
    """One poll's view of one live service; reads lazily, each at most once per poll."""

    def __init__(self, client: Any, service: dict):
        self.client = client
        self.service = service
        self._tasks: list | None = None
        self._up_to_date: set | None = None

    @property
    def id(self) -> str:
        return self.service["ID"]

    def tasks(self) -> list[dict]:
        if self._tasks is None:
            with api_errors(f"list the tasks of {self.service['Spec']['Name']}"):
                tasks = self.client.api.tasks(filters={"service": self.id})
            self._tasks = [t for t in tasks if t.get("ServiceID") == self.id]
        return self._tasks

    def up_to_date_ids(self) -> set[str]:
        """Ids of desired-running tasks whose spec matches the service's current spec."""
        if self._up_to_date is None:
            with api_errors(f"list the up-to-date tasks of {self.service['Spec']['Name']}"):
                tasks = self.client.api.tasks(
                    filters={"service": self.id, "desired-state": "running", "_up-to-date": "true"}
                )
            self._up_to_date = {t["ID"] for t in tasks if t.get("ServiceID") == self.id}
        return self._up_to_date

    def task(self, task_id: str) -> dict | None:
        for t in self.tasks():
            if t["ID"] == task_id:
                return t
        try:
            return self.client.api.inspect_task(task_id)
        except Exception:
            return None

    def oom_killed(self, container_id: str | None) -> bool | None:
        """The container's OOMKilled flag, when this daemon can see the container."""
        if not container_id:
            return None
        try:
            state = self.client.api.inspect_container(container_id).get("State") or {}
        except Exception:
            return None  # on another node, or already removed
        value = state.get("OOMKilled")
        return value if isinstance(value, bool) else None


def task_failure(view: ServiceView, task: dict) -> TaskFailure:
    status = task.get("Status") or {}
    container = status.get("ContainerStatus") or {}
    exit_code = container.get("ExitCode") if container.get("ContainerID") else None
    if exit_code is None:
        exit_code = _exit_code_from_err(status.get("Err"))
    return TaskFailure(
        task_id=task["ID"],
        state=status.get("State", "unknown"),
        error=status.get("Err"),
        message=status.get("Message"),
        exit_code=exit_code,
        oom_killed=view.oom_killed(container.get("ContainerID")) if exit_code == 137 else None,
        container_id=container.get("ContainerID") or None,
        node_id=task.get("NodeID"),
        timestamp=status.get("Timestamp"),
    )


def _exit_code_from_err(err: str | None) -> int | None:
    match = re.search(r"non-zero exit \((\d+)\)", err or "")
    return int(match.group(1)) if match else None


def failed_tasks(view: ServiceView, since: str | None) -> list[dict]:
    """Tasks created after ``since`` (a manager stamp) that failed, earliest failure first."""
    found = [
        t
        for t in view.tasks()
        if (t.get("Status") or {}).get("State") in FAILED_TASK_STATES and clock.after(t.get("CreatedAt"), since)
    ]
    return sorted(found, key=lambda t: clock.parse_ns((t.get("Status") or {}).get("Timestamp")) or 0)


def running_check(view: ServiceView) -> tuple[bool, list[PendingTask]]:
    """Are all desired-running tasks up to date and running, and as many as wanted?

    Returns (ok, the tasks that should run but do not, each with swarm's reason).
    """
    desired = [t for t in view.tasks() if t.get("DesiredState") == "running"]
    fresh = view.up_to_date_ids()
    # a stop-first replacement waits with desired state "ready" until swarm can place it
    waiting = [t for t in view.tasks() if t.get("DesiredState") == "ready"]
    not_running = [t for t in desired + waiting if (t.get("Status") or {}).get("State") != "running"]
    pending = [
        PendingTask(
            task_id=t["ID"],
            state=(t.get("Status") or {}).get("State", "unknown"),
            message=(t.get("Status") or {}).get("Message"),
            error=(t.get("Status") or {}).get("Err"),
        )
        for t in not_running
    ]
    outdated = [t for t in desired if t["ID"] not in fresh]
    running = sum(1 for t in desired if (t.get("Status") or {}).get("State") == "running")
    wanted = expected_replicas(view.service)
    enough = running >= wanted if wanted is not None else running >= 1
    return (not not_running and not outdated and enough), pending


class ServiceTracker:
    """The per-service state machine. ``step`` returns a ServiceVerdict once decided."""

    def __init__(self, name: str, before: ServiceState | None, stack_taken_at: str | None, min_stability: float = 0.0):
        self.name = name
        self.before = before
        self.stack_taken_at = stack_taken_at
        self.min_stability = min_stability
        self.verdict: ServiceVerdict | None = None
        self.phase = "waiting for the deploy to reach the service"
        self.last_service: dict | None = None
        self.window_end: float | None = None
        self.window_started: str | None = None  # StartedAt of the completed rollout being watched

    # --- helpers --------------------------------------------------------------
    @property
    def reference(self) -> str | None:
        """Manager stamp before which anything is old news."""
        return self.before.updated_at if self.before else self.stack_taken_at

    def conclude(self, outcome: str, reason: str, service: dict | None, started: float, **extra: Any) -> ServiceVerdict:
        status = (service or {}).get("UpdateStatus") or {}
        return ServiceVerdict(
            service=self.name,
            outcome=outcome,
            reason=reason,
            update_state=status.get("State"),
            message=status.get("Message"),
            labels_before=dict(self.before.labels) if self.before else None,
            labels_now=dict(service["Spec"].get("Labels") or {}) if service else None,
            decided_after=round(time.monotonic() - started, 3),
            **extra,
        )

    def _failure_of_update(self, view: ServiceView, status: dict) -> TaskFailure | None:
        """The task swarm blamed (its id is in the UpdateStatus message), else the first failed one."""
        match = _TASK_ID_IN_MESSAGE.search(status.get("Message") or "")
        if match:
            task = view.task(match.group(1))
            if task is not None:
                return task_failure(view, task)
        since = status.get("StartedAt") or self.reference
        failed = failed_tasks(view, clock_minus_one(since))
        return task_failure(view, failed[0]) if failed else None

    # --- the state machine ----------------------------------------------------
    def step(self, view: ServiceView, now: float, started: float) -> ServiceVerdict | None:
        service = view.service
        self.last_service = service
        if self.before is not None and int(service["Version"]["Index"]) <= self.before.version:
            self.phase = f"waiting for the deploy (Version.Index still {self.before.version})"
            return None
        if is_job(service):
            return self.conclude(NO_ROLLOUT, "job-mode service: no rollout to verify", service, started)

        status = service.get("UpdateStatus") or {}
        state = status.get("State")
        if state and self.before is not None and not clock.after(status.get("StartedAt"), self.before.updated_at):
            # an update from before the snapshot; the deploy clears it when it lands
            self.phase = f"{state} from before the snapshot; waiting for the deploy's rollout"
            return None

        if state in ROLLBACK_STATES:
            return self.conclude(
                ROLLED_BACK,
                "swarm rolled back the update after a new task failed",
                service,
                started,
                failed_task=self._failure_of_update(view, status),
                notes=rollback_notes(self.before, service),
            )
        if state == "paused":
            return self.conclude(
                PAUSED,
                "the update paused after a new task failed; the new spec and its labels stay deployed "
                "while old tasks may keep serving, so a label check alone would pass",
                service,
                started,
                failed_task=self._failure_of_update(view, status),
            )
        if state == "rollback_paused":
            return self.conclude(
                ROLLBACK_PAUSED,
                "the update failed and its rollback paused too: the service is between versions",
                service,
                started,
                failed_task=self._failure_of_update(view, status),
            )
        if state == "updating":
            self.window_end = None
            self.phase = "updating"
            return None
        if state == "completed":
            return self._completed(view, status, now, started)
        if state is None:
            return self._no_rollout(view, started)
        self.phase = f"unknown update state {state!r}"
        return None

    def _completed(self, view: ServiceView, status: dict, now: float, started: float) -> ServiceVerdict | None:
        service = view.service
        if self.window_end is None or self.window_started != status.get("StartedAt"):
            self.window_started = status.get("StartedAt")
            self.window_end = now + stability_window(service["Spec"], self.min_stability)
        failed = failed_tasks(view, clock_minus_one(status.get("StartedAt")))
        if failed:
            failure = task_failure(view, failed[0])
            return self.conclude(
                UNSTABLE,
                "swarm reported the update completed, but a task of the new version failed "
                "(after swarm's monitor window, or tolerated by the failure policy)",
                service,
                started,
                failed_task=failure,
            )
        if now < self.window_end:
            self.phase = f"completed; stability window ends in {self.window_end - now:.1f}s"
            return None
        ok, _pending = running_check(view)
        if ok:
            window = stability_window(service["Spec"], self.min_stability)
            return self.conclude(
                CONVERGED, f"update completed and stayed healthy for the {window:g}s stability window", service, started
            )
        self.phase = "completed, but not every task is up to date and running"
        return None

    def _no_rollout(self, view: ServiceView, started: float) -> ServiceVerdict | None:
        service = view.service
        ok, _pending = running_check(view)
        if not ok:
            self.phase = "waiting for tasks to be up to date and running"
            return None
        failed = failed_tasks(view, self.reference)
        if failed:
            return self.conclude(
                UNSTABLE,
                "no rollout was needed, but a task failed since the snapshot",
                service,
                started,
                failed_task=task_failure(view, failed[0]),
            )
        if self.before is None:
            return self.conclude(CREATED, "new service: every task is running", service, started)
        changed = label_diff(self.before.labels, service["Spec"].get("Labels") or {})
        what = "label-only redeploy" if changed else "unchanged redeploy"
        return self.conclude(
            NO_ROLLOUT, f"{what}: every task is already up to date and running", service, started
        )

    def at_deadline(self, view: ServiceView | None, started: float, timeout: float) -> ServiceVerdict:
        """The failure verdict for a service still undecided when time ran out."""
        service = view.service if view else self.last_service
        if service is None:
            return self.conclude(STUCK, f"no verdict within {timeout:g}s", None, started)
        if self.before is not None and int(service["Version"]["Index"]) <= self.before.version:
            return self.conclude(
                NOT_DEPLOYED,
                f"Version.Index is still {self.before.version}, as in the snapshot: "
                f"the deploy never reached this service within {timeout:g}s",
                service,
                started,
            )
        pending: list[PendingTask] = []
        if view is not None:
            try:
                _ok, pending = running_check(view)
            except HarnessUnavailable:
                pending = []
        state = (service.get("UpdateStatus") or {}).get("State")
        if state == "completed" and self.window_end is not None:
            reason = f"update completed, but the stability window had not ended within {timeout:g}s"
        elif state == "updating":
            reason = f"still updating after {timeout:g}s"
        else:
            reason = f"tasks not up to date and running after {timeout:g}s ({self.phase})"
        if pending:
            reason += f"; {len(pending)} task(s) not running"
        return self.conclude(STUCK, reason, service, started, pending_tasks=pending)


def clock_minus_one(stamp: str | None) -> str | None:
    """``stamp`` one nanosecond earlier, so "created after" includes tasks stamped at the same instant."""
    ns = clock.parse_ns(stamp)
    if ns is None:
        return stamp
    ns -= 1
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


def label_diff(before: dict, now: dict) -> dict:
    return {k: (before.get(k), now.get(k)) for k in set(before) | set(now) if before.get(k) != now.get(k)}


def rollback_notes(before: ServiceState | None, service: dict) -> list[str]:
    """What a rollback did to the labels: the trap a commit check alone falls into."""
    if before is None:
        return []
    now = service["Spec"].get("Labels") or {}
    notes = []
    if now == before.labels:
        notes.append("the service spec, labels included, is back to its pre-upgrade value")
    for key in sorted(k for k in before.labels if k.endswith(".chaos-version")):
        if now.get(key) == before.labels[key]:
            notes.append(
                f"{key} is back to the pre-upgrade '{before.labels[key]}': a check of the deployed "
                "commit alone would report the base commit, while the cause is this rollback"
            )
    return notes


def check_upgrade(
    client: Any,
    stack: str,
    before: Snapshot,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    poll_interval: float = DEFAULT_POLL_INTERVAL,
    min_stability: float = 0.0,
    fail_fast: bool = True,
    events: bool = True,
    on_progress: Callable[[dict], None] | None = None,
) -> Verdict:
    """Wait for a verdict on every service of ``stack``; return it (passed or not).

    ``fail_fast`` stops at the first failing service (the others are reported
    undecided); ``events=False`` polls only. Raises HarnessUnavailable when the
    swarm cannot be read or the stack is gone.
    """
    if before.stack != stack:
        raise HarnessUnavailable(f"the snapshot is of stack {before.stack!r}, not {stack!r}")
    started = time.monotonic()
    deadline = started + timeout
    trackers: dict[str, ServiceTracker] = {
        name: ServiceTracker(name, state, before.taken_at, min_stability) for name, state in before.services.items()
    }
    views: dict[str, ServiceView] = {}
    errors_in_a_row = 0
    with EventWaker(client, stack, enabled=events) as waker:
        while True:
            now = time.monotonic()
            try:
                live = {s["Spec"]["Name"]: s for s in stack_services(client, stack)}
                views = {}
                for name, service in live.items():
                    if name not in trackers:  # added by the deploy
                        trackers[name] = ServiceTracker(name, None, before.taken_at, min_stability)
                if not live:
                    raise HarnessUnavailable(f"stack {stack!r} has no services on this swarm any more")
                for name, tracker in trackers.items():
                    if tracker.verdict is not None:
                        continue
                    if name not in live:
                        tracker.verdict = tracker.conclude(REMOVED, "the deploy removed this service", None, started)
                        continue
                    views[name] = ServiceView(client, live[name])
                    tracker.verdict = tracker.step(views[name], now, started)
                errors_in_a_row = 0
            except HarnessUnavailable as exc:
                # a dropped connection mid-wait is retried a few times before giving up
                errors_in_a_row += 1
                if not exc.transient or errors_in_a_row >= 5 or time.monotonic() >= deadline:
                    raise
                waker.wait(min(poll_interval * errors_in_a_row, max(0.0, deadline - time.monotonic())))
                continue

            if on_progress is not None:
                on_progress({n: (t.verdict.headline if t.verdict else t.phase) for n, t in trackers.items()})
            decided = [t.verdict for t in trackers.values() if t.verdict is not None]
            failed = [v for v in decided if not v.passed]
            if failed and fail_fast or len(decided) == len(trackers):
                break
            if time.monotonic() >= deadline:
                for name, tracker in trackers.items():
                    if tracker.verdict is None:
                        tracker.verdict = tracker.at_deadline(views.get(name), started, timeout)
                break
            # sleep until an event, the next poll, or the end of a stability window
            wake_at = min(
                [deadline, time.monotonic() + poll_interval]
                + [t.window_end for t in trackers.values() if t.verdict is None and t.window_end]
            )
            waker.wait(wake_at - time.monotonic())

    results = []
    for name in sorted(trackers):
        tracker = trackers[name]
        verdict = tracker.verdict
        if verdict is None:
            verdict = tracker.conclude(
                UNDECIDED, f"no verdict yet ({tracker.phase}) when another service failed", tracker.last_service, started
            )
        results.append(verdict)
    return Verdict(stack=stack, services=results, elapsed=round(time.monotonic() - started, 3), warnings=list(before.warnings))


def assert_upgrade_converged(client: Any, stack: str, before: Snapshot, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Verdict:
    """Wait until every service of ``stack`` converged after the redeploy; raise UpgradeFailed otherwise.

    ``before`` is the phase-0 snapshot (snapshot_stack) taken before the deploy.
    Returns the passing Verdict. HarnessUnavailable means it could not check.
    """
    verdict = check_upgrade(client, stack, before, timeout, **kwargs)
    if not verdict.passed:
        raise UpgradeFailed(verdict)
    return verdict
