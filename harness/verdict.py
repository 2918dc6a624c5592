"""What the harness concluded, and why.

A Verdict holds one ServiceVerdict per service of the stack and, when the
deployed commit was checked, a CommitCheck. Any failure is raised as
UpgradeFailed carrying the whole Verdict, so a caller gets the true reason
(swarm's own message, the failed task's error and exit code, the labels before
and after) instead of "timed out" or a wrong-commit report.
"""

from __future__ import annotations

import signal
from dataclasses import asdict, dataclass, field

# outcomes of one service
CONVERGED = "converged"  # a new rollout completed and stayed healthy through the stability window
NO_ROLLOUT = "no-rollout-needed"  # unchanged or label-only redeploy: tasks already up to date
CREATED = "created"  # a service the deploy added, now running
REMOVED = "removed"  # a service the deploy removed from the stack
ROLLED_BACK = "rolled-back"
PAUSED = "paused"
ROLLBACK_PAUSED = "rollback-paused"
STUCK = "stuck"  # still updating (or tasks not running) at the deadline
UNSTABLE = "unstable"  # a new task failed after the rollout, inside the stability window
NOT_DEPLOYED = "not-deployed"  # the deploy never reached the service (Version.Index did not advance)
UNDECIDED = "undecided"  # another service already failed the stack

PASSING = frozenset({CONVERGED, NO_ROLLOUT, CREATED, REMOVED})

_HEADLINES = {
    CONVERGED: "converged",
    NO_ROLLOUT: "no rollout needed",
    CREATED: "created and running",
    REMOVED: "removed by the deploy",
    ROLLED_BACK: "rolled back",
    PAUSED: "paused",
    ROLLBACK_PAUSED: "rollback paused",
    STUCK: "stuck",
    UNSTABLE: "unstable after the rollout",
    NOT_DEPLOYED: "not deployed",
    UNDECIDED: "undecided",
}


def explain_exit(code: int | None, oom_killed: bool | None = None) -> str | None:
    """A reader's explanation of a task's exit code."""
    if code is None:
        return None
    if code == 137:
        if oom_killed is True:
            return "killed: out of memory (the container reports OOMKilled)"
        if oom_killed is False:
            return "killed (SIGKILL), likely out of memory, though the container does not report OOMKilled"
        return "killed, likely out of memory"
    if code == 0:
        return "exited 0: swarm counts early termination inside the monitor window as a failure"
    if 128 < code < 128 + 65:
        try:
            name = signal.Signals(code - 128).name
        except ValueError:
            name = f"signal {code - 128}"
        return f"killed by {name}"
    return None


@dataclass
class TaskFailure:
    """A task that failed (or ended) where swarm counted it as a failure."""

    task_id: str
    state: str
    error: str | None = None  # Status.Err, e.g. "task: non-zero exit (137)"
    message: str | None = None  # Status.Message
    exit_code: int | None = None
    oom_killed: bool | None = None  # None when the container could not be inspected
    container_id: str | None = None
    node_id: str | None = None
    timestamp: str | None = None

    @property
    def explanation(self) -> str | None:
        if self.error and "unhealthy" in self.error:
            return "its healthcheck failed"
        return explain_exit(self.exit_code, self.oom_killed)

    def describe(self) -> str:
        text = f"task {self.task_id[:12]} {self.state}"
        if self.error:
            text += f": {self.error}"
        if self.exit_code is not None:
            text += f"; exit code {self.exit_code}"
        if self.explanation:
            text += f": {self.explanation}"
        return text


@dataclass
class PendingTask:
    """A desired-running task that is not running yet, with swarm's reason."""

    task_id: str
    state: str
    message: str | None = None
    error: str | None = None  # e.g. "no suitable node (host-mode port already in use on 1 node)"

    def describe(self) -> str:
        why = self.error or self.message or "no reason given"
        return f"task {self.task_id[:12]} {self.state}: {why}"


@dataclass
class ServiceVerdict:
    service: str
    outcome: str
    reason: str  # the harness's one-line explanation
    update_state: str | None = None  # swarm's UpdateStatus.State when decided
    message: str | None = None  # swarm's UpdateStatus.Message
    failed_task: TaskFailure | None = None
    pending_tasks: list = field(default_factory=list)
    labels_before: dict | None = None
    labels_now: dict | None = None
    notes: list = field(default_factory=list)
    decided_after: float | None = None  # seconds since the wait began

    @property
    def passed(self) -> bool:
        return self.outcome in PASSING

    @property
    def headline(self) -> str:
        return _HEADLINES.get(self.outcome, self.outcome)

    def label_changes(self) -> dict:
        """key -> (before, now) for every service label that differs."""
        before = self.labels_before or {}
        now = self.labels_now or {}
        return {k: (before.get(k), now.get(k)) for k in sorted(set(before) | set(now)) if before.get(k) != now.get(k)}

    def lines(self) -> list[str]:
        state = f" [{self.update_state}]" if self.update_state else ""
        out = [f"{self.service}: {self.headline}{state}: {self.reason}"]
        if self.message and self.message not in self.reason:
            out.append(f"  swarm says: {self.message}")
        if self.failed_task:
            out.append(f"  cause: {self.failed_task.describe()}")
        for task in self.pending_tasks:
            out.append(f"  pending {task.describe()}")
        out.extend(f"  {note}" for note in self.notes)
        return out


@dataclass
class CommitCheck:
    """HC1: the commit stamped on the live app service."""

    service: str
    label: str
    expected: str
    deployed: str | None
    passed: bool
    reason: str
    allow_dirty: bool = False
    before: str | None = None  # the label's value in the snapshot, when one was given
    equals_before: bool | None = None

    def lines(self) -> list[str]:
        status = "ok" if self.passed else "FAILED"
        out = [f"HC1 {status}: {self.reason}"]
        out.append(f"  {self.label}: expected {self.expected}, deployed {self.deployed or '(missing)'}")
        if self.before is not None or self.equals_before is not None:
            out.append(f"  before the upgrade: {self.before or '(missing)'}")
        return out


@dataclass
class Verdict:
    stack: str
    services: list = field(default_factory=list)  # ServiceVerdict, in stack order
    commit: CommitCheck | None = None
    elapsed: float | None = None
    warnings: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        services_ok = all(s.passed for s in self.services)
        commit_ok = self.commit is None or self.commit.passed
        return services_ok and commit_ok

    @property
    def failures(self) -> list:
        return [s for s in self.services if not s.passed and s.outcome != UNDECIDED]

    def service(self, name: str) -> ServiceVerdict | None:
        for s in self.services:
            if s.service == name or s.service == f"{self.stack}_{name}":
                return s
        return None

    def summary(self) -> str:
        if self.passed:
            what = [f"{s.service.removeprefix(self.stack + '_')} {s.headline}" for s in self.services]
            if self.commit is not None:
                what.append(f"deployed commit {self.commit.deployed} matches")
            return f"PASS stack {self.stack}: " + ", ".join(what)
        reasons = [f"{s.service} {s.headline}" for s in self.failures]
        if self.commit is not None and not self.commit.passed:
            reasons.append("HC1 failed")
        return f"FAIL stack {self.stack}: " + "; ".join(reasons)

    def render(self) -> str:
        out = [self.summary()]
        for s in self.services:
            out.extend("  " + line for line in s.lines())
        if self.commit is not None:
            out.extend("  " + line for line in self.commit.lines())
        out.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(out)

    def to_dict(self) -> dict:
        data = {
            "stack": self.stack,
            "passed": self.passed,
            "summary": self.summary(),
            "elapsed": self.elapsed,
            "services": [],
            "commit": None if self.commit is None else asdict(self.commit),
            "warnings": list(self.warnings),
        }
        for s in self.services:
            item = asdict(s)
            item["passed"] = s.passed
            item["headline"] = s.headline
            if s.failed_task is not None:
                item["failed_task"]["explanation"] = s.failed_task.explanation
            data["services"].append(item)
        return data


class UpgradeFailed(AssertionError):
    """The upgrade did not converge, or the wrong commit is deployed.

    An AssertionError, so pytest reports it as a test failure; ``verdict`` has
    every detail, ``str()`` the readable report.
    """

    def __init__(self, verdict: Verdict):
        self.verdict = verdict
        super().__init__(verdict.render())
