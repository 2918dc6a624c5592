"""Phases 1 and 2: did the redeploy really converge?

For every service of the stack, a small state machine (ServiceTracker) reads the
live service and its tasks, compares them with the phase-0 snapshot and decides:

  deploy not reached yet    same service id and Version.Index as the snapshot: wait
                            (no service reached at all: the snapshot is newer than the deploy)
  rollback_started/_completed, paused, rollback_paused (newer than the snapshot): fail
  updating                  wait; at the deadline fail, naming the pending tasks and why
  completed, or no UpdateStatus
                            a task failed since the snapshot: fail (unstable); else once
                            every desired task is up to date and running, hold the
                            stability window, then pass as converged (the task spec changed,
                            whatever UpdateStatus says: a repeated deploy clears it),
                            created (new, or recreated with another service id) or
                            no-rollout-needed (labels or nothing changed)
  job mode                  every deploy runs the job again: a failed task fails (unstable);
                            pass once that run's tasks all completed

A passing verdict is provisional: every poll re-checks every service that has not
failed, and the stack passes only when all of them pass in the same poll.
verify-upgrade re-checks once more after HC1.

Events only wake the loop (wake.py); inspect decides. Manager timestamps are
compared with manager timestamps from the snapshot, never with this machine's
clock; the deadline and the window are durations on this machine's monotonic
clock, which can only make the window longer than swarm's own. Every API call
is bounded by the time left before the deadline.
"""

from __future__ import annotations

import re
import time
from typing import Any, Callable

from . import clock
from .changes import SpecChanges
from .client import HarnessUnavailable, api_errors, calls_bounded
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
# restart conditions under which swarm never restarts a task that exited 0
ONE_SHOT_CONDITIONS = ("none", "on-failure")
_TASK_ID_IN_MESSAGE = re.compile(r"\btask ([0-9a-z]{25})\b")

# swarmkit defaults when a spec leaves the field unset
DEFAULT_MONITOR = 5.0
DEFAULT_HEALTH_INTERVAL = 30.0
DEFAULT_HEALTH_TIMEOUT = 30.0
DEFAULT_HEALTH_RETRIES = 3
# the shortest stability window by default: a crash a few seconds after swarm's
# monitor window (a migration that fails, a worker that dies at its first job)
DEFAULT_MIN_STABILITY = 10.0
# how long to wait for the deploy to reach a service before saying the snapshot
# is newer than the deploy (no service reached) or that the service is not in
# the deployed files (others reached): docker stack deploy updates every service
# it deploys before it returns, so a check started after it needs no more
NOT_REACHED_GRACE = 2.0


def stability_window(spec: dict, minimum: float = DEFAULT_MIN_STABILITY) -> float:
    """Seconds every service must stay healthy, all tasks running, before it passes.

    At least ``minimum``, ``monitor`` (the window in which swarm itself watches new
    tasks) and ``delay``. With a healthcheck, a task that stops answering its probes
    is only declared failed start_period + interval x retries + timeout later, which
    swarm does not wait for when monitor is shorter: that time comes on top of
    ``minimum``, so a probe failing within ``minimum`` is still caught. The window
    starts once swarm is done and every task runs, so a task is watched for at
    least monitor + window after it became ready.
    """
    update = spec.get("UpdateConfig") or {}
    window = max(clock.seconds(update.get("Monitor"), DEFAULT_MONITOR), clock.seconds(update.get("Delay"), 0.0), minimum)
    health = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Healthcheck") or {}
    test = health.get("Test") or []
    if test and test[0] != "NONE":
        start_period = clock.seconds(health.get("StartPeriod"), 0.0)
        interval = clock.seconds(health.get("Interval"), DEFAULT_HEALTH_INTERVAL)
        timeout = clock.seconds(health.get("Timeout"), DEFAULT_HEALTH_TIMEOUT)
        retries = health.get("Retries") or DEFAULT_HEALTH_RETRIES
        window = max(window, minimum + start_period + interval * retries + timeout)
    return window


def expected_replicas(service: dict) -> int | None:
    """Replica count for replicated services, None for global ones (one task per eligible node)."""
    mode = service["Spec"].get("Mode") or {}
    if "Replicated" in mode:
        return int((mode["Replicated"] or {}).get("Replicas", 1))
    return None


def is_job(service: dict) -> bool:
    mode = service["Spec"].get("Mode") or {}
    return "ReplicatedJob" in mode or "GlobalJob" in mode


def job_completions(service: dict, run: list[dict]) -> int:
    """How many tasks of a run must complete: TotalCompletions (0 runs nothing; unset, MaxConcurrent),
    or for a global job every task swarm started for the run (one per eligible node), and at
    least one, so a run whose tasks do not exist yet does not pass."""
    job = (service["Spec"].get("Mode") or {}).get("ReplicatedJob")
    if job is None:
        return max(len(run), 1)
    total = job.get("TotalCompletions")
    return int(total if total is not None else job.get("MaxConcurrent", 1))


def job_iteration(item: dict | None) -> int:
    """The run of a job a service's JobStatus or a task belongs to (swarm omits index 0)."""
    return int(((item or {}).get("JobIteration") or {}).get("Index") or 0)


class ServiceView:
    """One poll's view of one live service; reads lazily, each at most once per poll."""

    def __init__(self, client: Any, service: dict):
        self.client = client
        self.service = service
        self._tasks: list | None = None
        self._current: dict | None = None  # task id -> desired state, for tasks of the current spec

    @property
    def id(self) -> str:
        return self.service["ID"]

    def tasks(self) -> list[dict]:
        if self._tasks is None:
            with api_errors(f"list the tasks of {self.service['Spec']['Name']}"):
                tasks = self.client.api.tasks(filters={"service": self.id})
            self._tasks = [t for t in tasks if t.get("ServiceID") == self.id]
        return self._tasks

    def current_spec_ids(self) -> set[str]:
        """Ids of tasks (in any state) whose spec is the service's current one.

        The daemon's ``_up-to-date`` task filter (the docker CLI uses it) applies
        swarm's own notion of an outdated task.
        """
        if self._current is None:
            with api_errors(f"list the up-to-date tasks of {self.service['Spec']['Name']}"):
                tasks = self.client.api.tasks(filters={"service": self.id, "_up-to-date": "true"})
            self._current = {t["ID"]: t.get("DesiredState") for t in tasks if t.get("ServiceID") == self.id}
        return set(self._current)

    def up_to_date_ids(self) -> set[str]:
        """Ids of desired-running tasks whose spec matches the service's current spec."""
        self.current_spec_ids()
        return {task_id for task_id, desired in self._current.items() if desired == "running"}

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


def failed_since_snapshot(
    view: ServiceView, before: ServiceState | None, taken_at: str | None, *, rollout: bool = False
) -> list[dict]:
    """Tasks that failed after the snapshot, earliest failure first.

    A task the snapshot recorded as already ended is old news, however recent its
    timestamps (a task can be created after the service's UpdatedAt and fail
    before the snapshot). In a ``rollout`` only tasks of the new spec count:
    swarm stops the old ones itself (also those a rollback in progress at the
    snapshot started), and such a stop can end as "failed" or "rejected". Every
    task of a new or recreated service is new. Snapshots without the list count
    tasks created after they were taken.
    """
    recreated = before is not None and view.id != before.id
    if before is None or recreated:
        known: set = set()
    elif before.ended_tasks is not None:
        known = set(before.ended_tasks)
    else:
        known = {t["ID"] for t in failed_tasks(view, None) if not clock.after(t.get("CreatedAt"), taken_at or before.updated_at)}
    current = view.current_spec_ids() if rollout else None
    found = [
        t
        for t in view.tasks()
        if (t.get("Status") or {}).get("State") in FAILED_TASK_STATES
        and t["ID"] not in known
        and (current is None or t["ID"] in current)
    ]
    return sorted(found, key=lambda t: clock.parse_ns((t.get("Status") or {}).get("Timestamp")) or 0)


def deploy_reached(before: ServiceState, service: dict) -> bool:
    """Has a deploy updated this service since the snapshot?

    A new service id (the stack was removed and deployed again) or a Version.Index
    above the snapshot's. When the snapshot caught a rollout in progress, that
    rollout's own progress also advances the index: only a deploy clears or
    renews its UpdateStatus.
    """
    if service["ID"] != before.id:
        return True
    if int(service["Version"]["Index"]) <= before.version:
        return False
    if before.update_state in ("updating", "rollback_started"):
        started = (service.get("UpdateStatus") or {}).get("StartedAt")
        return started != (before.update_status or {}).get("StartedAt")
    return True


def finished_one_shots(view: ServiceView) -> int:
    """Slots (replicas, or nodes of a global service) whose task ran to completion for good.

    With restart_policy condition none or on-failure swarm never restarts a task
    that exited 0, and a redeploy that leaves the spec alone does not start it
    again: such a slot keeps no desired-running task. Only a task of the current
    spec counts (a changed spec gets a new task). A completion after the snapshot
    is still a failure (failed_since_snapshot): swarm counts exit 0 in a rollout.
    """
    restart = (view.service["Spec"].get("TaskTemplate") or {}).get("RestartPolicy") or {}
    if restart.get("Condition") not in ONE_SHOT_CONDITIONS:
        return 0
    current = view.current_spec_ids()
    live = {task_slot(t) for t in view.tasks() if t.get("DesiredState") in ("running", "ready")}
    return len({
        task_slot(t) for t in view.tasks()
        if (t.get("Status") or {}).get("State") == "complete" and t["ID"] in current and task_slot(t) not in live
    })


def task_slot(task: dict) -> Any:
    """The replica slot of a replicated task; a global service has one slot per node."""
    return task.get("Slot") or task.get("NodeID")


def running_check(view: ServiceView) -> tuple[bool, list[PendingTask]]:
    """Are all desired-running tasks up to date and running, and as many as wanted?

    A one-shot that ran to completion for good counts as one of the wanted tasks.
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
    running = sum(1 for t in desired if (t.get("Status") or {}).get("State") == "running") + finished_one_shots(view)
    wanted = expected_replicas(view.service)
    enough = running >= wanted if wanted is not None else running >= 1
    return (not not_running and not outdated and enough), pending


class ServiceTracker:
    """The per-service state machine. ``step`` returns a ServiceVerdict, or None while waiting.

    A failing verdict is final. A passing one is provisional: the loop keeps
    stepping the tracker until the whole stack's verdict is returned.
    """

    def __init__(
        self, name: str, before: ServiceState | None, stack_taken_at: str | None, min_stability: float = DEFAULT_MIN_STABILITY
    ):
        self.name = name
        self.before = before
        self.stack_taken_at = stack_taken_at
        self.min_stability = min_stability
        self.verdict: ServiceVerdict | None = None
        self.phase = "waiting for the deploy to reach the service"
        self.last_service: dict | None = None
        self.reached = before is None  # a service the deploy added has been reached by it
        self.window_start: float | None = None
        self.window = 0.0
        self.window_for: tuple | None = None  # the service id and spec the window holds for
        self.passed_once = False

    # --- helpers --------------------------------------------------------------
    @property
    def reference(self) -> str | None:
        """Manager stamp before which anything is old news."""
        return self.before.updated_at if self.before else self.stack_taken_at

    @property
    def window_end(self) -> float | None:
        return None if self.window_start is None else self.window_start + self.window

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
        recreated = self.before is not None and service["ID"] != self.before.id
        if self.before is not None and not deploy_reached(self.before, service):
            self.phase = f"waiting for the deploy (Version.Index still {self.before.version})"
            return None
        self.reached = True
        if is_job(service):
            return self._job(view, recreated, started)

        status = service.get("UpdateStatus") or {}
        state = status.get("State")
        if state and self.before is not None and not recreated and not clock.after(status.get("StartedAt"), self.before.updated_at):
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
            self.window_start = None
            self.phase = "updating"
            return None
        if state in ("completed", None):
            return self._settle(view, state, recreated, now, started)
        self.phase = f"unknown update state {state!r}"
        return None

    def _what(self, service: dict, state: str | None, recreated: bool) -> tuple[str, str, bool]:
        """(the passing outcome this service is heading for, what the deploy did to it, was it a rollout)."""
        if self.before is None:
            return CREATED, "new service", True
        if recreated:
            return CREATED, "recreated: the service id differs from the snapshot (the stack was removed and deployed again)", True
        changes = SpecChanges(self.before.spec, service["Spec"])
        if state == "completed":
            return CONVERGED, f"update completed ({changes.describe()})", True
        if not changes.known:
            return NO_ROLLOUT, f"no update status; {changes.describe()}", False
        if changes.rollout:
            return CONVERGED, f"{changes.describe()}; swarm shows no update status (a repeated deploy of the same spec clears it)", True
        what = changes.describe()
        return NO_ROLLOUT, f"{what} redeploy" if what in ("label-only", "unchanged") else what, False

    def _job(self, view: ServiceView, recreated: bool, started: float) -> ServiceVerdict | None:
        """A job-mode service: every deploy runs it again (a new JobIteration); it passes once that run completed.

        Completion is a job's success; a task of that run that failed since the snapshot fails the
        upgrade, as it would for any service, also one swarm retried with success. Tasks of an
        earlier run are old news, as old tasks are in a rollout: swarm stops them itself.
        """
        service = view.service
        iteration = job_iteration(service.get("JobStatus"))
        failed = [
            t for t in failed_since_snapshot(view, self.before, self.stack_taken_at)
            if (t.get("Status") or {}).get("State") != "complete" and job_iteration(t) == iteration
        ]
        if failed:
            return self.conclude(
                UNSTABLE, "job-mode service: a task of the job failed since the snapshot", service, started,
                failed_task=task_failure(view, failed[0]),
            )
        run = [t for t in view.tasks() if job_iteration(t) == iteration]
        completed = sum(1 for t in run if (t.get("Status") or {}).get("State") == "complete")
        wanted = job_completions(service, run)
        if completed < wanted:
            self.phase = f"job-mode service: {completed} of {wanted} task(s) of run {iteration} completed"
            return None
        if self.before is None or recreated:
            outcome = CREATED
        else:
            outcome = CONVERGED if SpecChanges(self.before.spec, service["Spec"]).rollout else NO_ROLLOUT
        return self.conclude(outcome, f"job-mode service: run {iteration} ran to completion ({completed} task(s))", service, started)

    def _settle(self, view: ServiceView, state: str | None, recreated: bool, now: float, started: float) -> ServiceVerdict | None:
        """Swarm is done with the service (completed, or nothing to roll out): no new failure, then the window."""
        service = view.service
        outcome, what, rollout = self._what(service, state, recreated)
        failed = failed_since_snapshot(view, self.before, self.stack_taken_at, rollout=rollout)
        if failed:
            if state == "completed":
                reason = (
                    "swarm reported the update completed, but a task of the new version failed "
                    "(after swarm's monitor window, or tolerated by the failure policy)"
                )
            else:
                reason = f"{what}, but a task failed since the snapshot"
            if self.passed_once:
                reason += " (after this service had held its stability window, while the stack was still checked)"
            return self.conclude(UNSTABLE, reason, service, started, failed_task=task_failure(view, failed[0]))
        ok, _pending = running_check(view)
        if not ok:
            self.window_start = None
            self.phase = f"{what}; waiting for every task to be up to date and running"
            return None
        if self.window_start is None or (service["ID"], service["Spec"]) != self.window_for:
            # the window holds for one service and spec: a later deploy's, even one no look saw roll out, starts it again
            self.window_start = now
            self.window = stability_window(service["Spec"], self.min_stability)
            self.window_for = (service["ID"], service["Spec"])
        if now < self.window_start + self.window:
            self.phase = f"{what}; stability window ends in {self.window_start + self.window - now:.1f}s"
            return None
        self.passed_once = True
        if state == "completed":
            reason = f"{what} and stayed healthy for the {self.window:g}s stability window"
        else:
            reason = f"{what}: every task is up to date and stayed running for the {self.window:g}s stability window"
        finished = finished_one_shots(view)
        notes = [f"{finished} one-shot task(s) ran to completion before the upgrade; swarm does not start them again"] if finished else []
        return self.conclude(outcome, reason, service, started, notes=notes)

    def at_deadline(self, view: ServiceView | None, started: float, timeout: float) -> ServiceVerdict:
        """The failure verdict for a service still undecided when time ran out."""
        service = view.service if view else self.last_service
        if service is None:
            return self.conclude(STUCK, f"no verdict within {timeout:g}s", None, started)
        if self.before is not None and not deploy_reached(self.before, service):
            return self.conclude(
                NOT_DEPLOYED,
                f"Version.Index is still {self.before.version}, as in the snapshot: "
                f"the deploy never reached this service within {timeout:g}s",
                service,
                started,
            )
        pending: list[PendingTask] = []
        no_node = None
        if view is not None:
            try:
                _ok, pending = running_check(view)
                no_node = global_without_nodes(view)
            except HarnessUnavailable:
                pending = []
        state = (service.get("UpdateStatus") or {}).get("State")
        if no_node:
            reason = no_node
        elif state in ("completed", None) and self.window_start is not None:
            reason = f"every task runs, but the stability window had not ended within {timeout:g}s"
        elif state == "updating":
            reason = f"still updating after {timeout:g}s"
        else:
            reason = f"tasks not up to date and running after {timeout:g}s ({self.phase})"
        if pending:
            reason += f"; {len(pending)} task(s) not running"
        return self.conclude(STUCK, reason, service, started, pending_tasks=pending)


def global_without_nodes(view: ServiceView) -> str | None:
    """Why a global service has no task at all: no node is eligible to run one."""
    if "Global" not in (view.service["Spec"].get("Mode") or {}):
        return None
    if any(t.get("DesiredState") == "running" for t in view.tasks()):
        return None
    placement = (view.service["Spec"].get("TaskTemplate") or {}).get("Placement") or {}
    constraints = placement.get("Constraints") or []
    with api_errors("list the swarm's nodes"):
        nodes = view.client.api.nodes()
    usable = [
        n for n in nodes
        if (n.get("Status") or {}).get("State") == "ready" and (n.get("Spec") or {}).get("Availability") == "active"
    ]
    why = f"placement constraints {', '.join(constraints)}" if constraints else "no placement constraint"
    return (
        f"global service with no task: no node is eligible to run it ({len(usable)} of {len(nodes)} node(s) "
        f"ready and active; {why})"
    )


def clock_minus_one(stamp: str | None) -> str | None:
    """``stamp`` one nanosecond earlier, so "created after" includes tasks stamped at the same instant."""
    ns = clock.parse_ns(stamp)
    if ns is None:
        return stamp
    ns -= 1
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


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


class StackWatch:
    """The verdict loop over every service of one stack.

    ``run`` waits for the verdict; ``recheck`` looks once more at every service
    that passed (verify-upgrade calls it after HC1, so a task that failed in the
    meantime still fails the upgrade).
    """

    def __init__(
        self,
        client: Any,
        stack: str,
        before: Snapshot,
        timeout: float = DEFAULT_TIMEOUT,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        min_stability: float = DEFAULT_MIN_STABILITY,
        fail_fast: bool = True,
        events: bool = True,
        on_progress: Callable[[dict], None] | None = None,
    ):
        if before.stack != stack:
            raise HarnessUnavailable(f"the snapshot is of stack {before.stack!r}, not {stack!r}")
        self.client, self.stack, self.before = client, stack, before
        self.timeout, self.poll_interval, self.min_stability = timeout, poll_interval, min_stability
        self.fail_fast, self.events, self.on_progress = fail_fast, events, on_progress
        self.trackers: dict[str, ServiceTracker] = {
            name: ServiceTracker(name, state, before.taken_at, min_stability) for name, state in before.services.items()
        }
        self.views: dict[str, ServiceView] = {}
        self.started = time.monotonic()
        self.deadline = self.started + timeout

    # --- one look at the stack -------------------------------------------------
    def poll(self, *, final: bool = False) -> None:
        """Step every service that has not failed; ``final`` turns "waiting" into a failure."""
        now = time.monotonic()
        live = {s["Spec"]["Name"]: s for s in stack_services(self.client, self.stack)}
        if not live:
            raise HarnessUnavailable(f"stack {self.stack!r} has no services on this swarm any more")
        for name in live:
            tracker = self.trackers.get(name)
            # added by the deploy, or created again by a later deploy after it was removed
            if tracker is None or (tracker.verdict is not None and tracker.verdict.outcome == REMOVED):
                self.trackers[name] = ServiceTracker(name, self.before.services.get(name), self.before.taken_at, self.min_stability)
        self.views = {}
        for name, tracker in self.trackers.items():
            if tracker.verdict is not None and (not tracker.verdict.passed or tracker.verdict.outcome == REMOVED):
                continue  # failures are final, and removals unless the service comes back
            if name not in live:
                tracker.verdict = tracker.conclude(REMOVED, "the deploy removed this service", None, self.started)
                continue
            self.views[name] = ServiceView(self.client, live[name])
            verdict = tracker.step(self.views[name], now if not final else max(now, tracker.window_end or now), self.started)
            if verdict is None and final and tracker.verdict is not None:
                verdict = tracker.conclude(
                    UNSTABLE, f"passed, but no longer when re-checked ({tracker.phase})", live[name], self.started
                )
            tracker.verdict = verdict

    def finished(self) -> bool:
        verdicts = [t.verdict for t in self.trackers.values()]
        if self.fail_fast and any(v is not None and not v.passed for v in verdicts):
            return True
        return all(v is not None for v in verdicts)

    # --- the loop ---------------------------------------------------------------
    def run(self) -> Verdict:
        errors_in_a_row = 0
        with EventWaker(self.client, self.stack, enabled=self.events) as waker, calls_bounded(self.client, self.deadline):
            while True:
                try:
                    self.poll()
                    errors_in_a_row = 0
                except HarnessUnavailable as exc:
                    # a dropped connection mid-wait is retried a few times before giving up
                    errors_in_a_row += 1
                    if not exc.transient or errors_in_a_row >= 5 or time.monotonic() >= self.deadline:
                        raise
                    waker.wait(min(self.poll_interval * errors_in_a_row, max(0.0, self.deadline - time.monotonic())))
                    continue

                if self.on_progress is not None:
                    self.on_progress({n: (t.verdict.headline if t.verdict else t.phase) for n, t in self.trackers.items()})
                if self.finished():
                    break
                elapsed = time.monotonic() - self.started
                if elapsed >= min(NOT_REACHED_GRACE, self.timeout):
                    if not any(t.reached for t in self.trackers.values()):
                        self._conclude_snapshot_too_late()
                        break
                    self._conclude_left_out()
                    if self.finished():
                        break
                if time.monotonic() >= self.deadline:
                    for name, tracker in self.trackers.items():
                        if tracker.verdict is None:
                            tracker.verdict = tracker.at_deadline(self.views.get(name), self.started, self.timeout)
                    break
                # sleep until an event, the next poll, or the end of a stability window
                wake_at = min(
                    [self.deadline, time.monotonic() + self.poll_interval]
                    + [t.window_end for t in self.trackers.values() if t.verdict is None and t.window_end]
                )
                waker.wait(wake_at - time.monotonic())
        return self.verdict()

    def recheck(self) -> Verdict:
        """One more look at a passing stack; a service with a new failure fails it."""
        if all(t.verdict is not None and t.verdict.passed for t in self.trackers.values()):
            self.deadline = time.monotonic() + min(self.timeout, 60.0)
            with calls_bounded(self.client, self.deadline):
                self.poll(final=True)
        return self.verdict()

    def verdict(self) -> Verdict:
        results = []
        for name in sorted(self.trackers):
            tracker = self.trackers[name]
            verdict = tracker.verdict
            if verdict is None:
                verdict = tracker.conclude(
                    UNDECIDED, f"no verdict yet ({tracker.phase}) when another service failed", tracker.last_service, self.started
                )
            results.append(verdict)
        return Verdict(
            stack=self.stack, services=results, elapsed=round(time.monotonic() - self.started, 3), warnings=list(self.before.warnings)
        )

    def _conclude_left_out(self) -> None:
        """Services the deploy did not reach although it reached others: not in the deployed files."""
        for tracker in self.trackers.values():
            if tracker.verdict is None and not tracker.reached:
                tracker.verdict = tracker.conclude(
                    NOT_DEPLOYED,
                    f"the deploy updated other services of the stack but not this one (Version.Index still "
                    f"{tracker.before.version}): it is not in the deployed compose files, and docker stack deploy "
                    "(abra too) keeps such a service running its old spec unless run with --prune",
                    tracker.last_service,
                    self.started,
                )

    def _conclude_snapshot_too_late(self) -> None:
        evidence = [
            f"the snapshot itself shows {name} {state.update_state} since {(state.update_status or {}).get('StartedAt')}"
            for name, state in sorted(self.before.services.items())
            if state.update_state in ("updating", "rollback_started")
        ]
        reason = (
            "the snapshot is newer than the deploy: no service of the stack changed since it was taken "
            "(same service ids, Version.Index as recorded), so it cannot show what the deploy did. "
            "Take the snapshot before deploying (or no deploy ran after it)"
        )
        if evidence:
            reason += "; " + "; ".join(evidence)
        for tracker in self.trackers.values():
            if tracker.verdict is None:
                tracker.verdict = tracker.conclude(NOT_DEPLOYED, reason, tracker.last_service, self.started)


def check_upgrade(client: Any, stack: str, before: Snapshot, timeout: float = DEFAULT_TIMEOUT, **settings: Any) -> Verdict:
    """Wait for a verdict on every service of ``stack``; return it (passed or not).

    Call it after the deploy returned. ``settings`` are StackWatch's:
    ``min_stability`` is the shortest stability window (monitor and healthcheck
    can make it longer); ``fail_fast`` stops at the first failing service (the
    others are reported undecided); ``events=False`` polls only;
    ``poll_interval`` and ``on_progress`` as there. Raises HarnessUnavailable
    when the swarm cannot be read or the stack is gone.
    """
    return StackWatch(client, stack, before, timeout, **settings).run()


def assert_upgrade_converged(client: Any, stack: str, before: Snapshot, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Verdict:
    """Wait until every service of ``stack`` converged after the redeploy; raise UpgradeFailed otherwise.

    ``before`` is the phase-0 snapshot (snapshot_stack) taken before the deploy.
    Returns the passing Verdict. HarnessUnavailable means it could not check.
    """
    verdict = check_upgrade(client, stack, before, timeout, **kwargs)
    if not verdict.passed:
        raise UpgradeFailed(verdict)
    return verdict
