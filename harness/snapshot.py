"""Phase 0: what the stack looked like before the redeploy.

The verdict needs a "before" taken from the swarm itself: after an automatic
rollback swarm clears PreviousSpec and keeps the StartedAt of the failed update,
so neither can tell what was deployed before nor whether the update is new.
The snapshot keeps, per service, the manager's own Version.Index and UpdatedAt
(the reference for every later timestamp comparison), the UpdateStatus, the
service labels, the spec (to tell a rollout from a label-only redeploy whatever
UpdateStatus says: a repeated deploy clears it), the running task ids and the
ids of tasks that had already ended (so an old failure is never counted as a
new one). It round-trips through JSON so a shell CI can keep it between two
steps; a file that does not hold exactly these fields is refused.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from typing import Any

from . import clock
from .client import HarnessUnavailable, api_errors

STACK_LABEL = "com.docker.stack.namespace"
FORMAT = "compose-policy/harness-snapshot@1"
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
# task states in which a task has ended; one already ended at the snapshot is old news
ENDED_TASK_STATES = ("complete", "failed", "rejected", "shutdown", "orphaned", "remove")


class SnapshotError(HarnessUnavailable):
    """A snapshot file that cannot be used: the upgrade cannot be checked."""


@dataclass
class ServiceState:
    id: str
    name: str
    version: int
    updated_at: str
    update_status: dict | None
    labels: dict = field(default_factory=dict)
    running_tasks: list = field(default_factory=list)
    spec: dict | None = None  # the service Spec; None in snapshots written before it was kept
    ended_tasks: list | None = None  # ids of tasks already ended; None in older snapshots

    @property
    def update_state(self) -> str | None:
        return (self.update_status or {}).get("State")

    @classmethod
    def from_inspect(cls, service: dict, tasks: list[dict]) -> "ServiceState":
        return cls(
            id=service["ID"],
            name=service["Spec"]["Name"],
            version=int(service["Version"]["Index"]),
            updated_at=service["UpdatedAt"],
            update_status=service.get("UpdateStatus") or None,
            labels=dict(service["Spec"].get("Labels") or {}),
            running_tasks=sorted(t["ID"] for t in tasks if t.get("DesiredState") == "running"),
            spec=service["Spec"],
            ended_tasks=sorted(t["ID"] for t in tasks if (t.get("Status") or {}).get("State") in ENDED_TASK_STATES),
        )

    @classmethod
    def from_dict(cls, name: str, data: Any) -> "ServiceState":
        """A ServiceState from snapshot JSON, every field checked (ValueError says which is wrong)."""
        where = f"services.{name}"
        if not isinstance(data, dict):
            raise ValueError(f"{where} is not an object")
        unknown = sorted(set(data) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"{where} has unknown field(s): {', '.join(unknown)}")
        get = _Fields(data, where)
        version = get.field("version", int)
        if version < 0:
            raise ValueError(f"{where}.version must not be negative")
        updated_at = get.field("updated_at", str)
        _check_stamp(f"{where}.updated_at", updated_at)
        update_status = get.field("update_status", dict, optional=True)
        if update_status is not None:
            _check_stamp(f"{where}.update_status.StartedAt", update_status.get("StartedAt"), optional=True)
        return cls(
            id=get.field("id", str),
            name=get.field("name", str),
            version=version,
            updated_at=updated_at,
            update_status=update_status or None,
            labels=get.string_map("labels"),
            running_tasks=get.string_list("running_tasks"),
            spec=get.field("spec", dict, optional=True),
            ended_tasks=get.string_list("ended_tasks", optional=True),
        )


class _Fields:
    """Typed reads from one JSON object, naming the field in every error."""

    def __init__(self, data: dict, where: str):
        self.data, self.where = data, where

    def field(self, key: str, kind: type, *, optional: bool = False) -> Any:
        value = self.data.get(key)
        if value is None and optional:
            return None
        # bool is an int in Python, never a version number
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            shown = "missing" if key not in self.data else f"a {type(value).__name__ if value is not None else 'null'}"
            raise ValueError(f"{self.where}.{key} must be a {_KIND_NAMES[kind]}, found {shown}")
        return value

    def string_list(self, key: str, *, optional: bool = False) -> list | None:
        value = self.field(key, list, optional=optional)
        if value is not None and not all(isinstance(v, str) for v in value):
            raise ValueError(f"{self.where}.{key} must be a list of strings")
        return value

    def string_map(self, key: str) -> dict:
        value = self.field(key, dict)
        if not all(isinstance(v, str) for v in value.values()):
            raise ValueError(f"{self.where}.{key} must map names to strings")
        return value


_KIND_NAMES = {int: "number", str: "string", dict: "JSON object", list: "list"}


def _check_stamp(where: str, value: Any, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    try:
        if not isinstance(value, str):
            raise ValueError
        clock.parse_ns(value)
    except ValueError:
        raise ValueError(f"{where} must be an RFC 3339 timestamp, found {json.dumps(value)[:60]}") from None


@dataclass
class Snapshot:
    stack: str
    services: dict  # service name -> ServiceState
    taken_at: str | None = None  # the manager's SystemTime when the snapshot was taken
    warnings: list = field(default_factory=list)

    def service(self, name: str) -> ServiceState | None:
        return self.services.get(name)

    def label(self, service: str, key: str) -> str | None:
        state = self.services.get(service)
        return None if state is None else state.labels.get(key)

    # --- JSON -----------------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "format": FORMAT,
            "stack": self.stack,
            "taken_at": self.taken_at,
            "warnings": list(self.warnings),
            "services": {name: asdict(state) for name, state in sorted(self.services.items())},
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> "Snapshot":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SnapshotError(f"not a harness snapshot (expected format {FORMAT!r})")
        try:
            get = _Fields(data, "snapshot")
            services = get.field("services", dict)
            taken_at = get.field("taken_at", str, optional=True)
            _check_stamp("taken_at", taken_at, optional=True)
            return cls(
                stack=get.field("stack", str),
                services={name: ServiceState.from_dict(name, state) for name, state in services.items()},
                taken_at=taken_at,
                warnings=get.string_list("warnings", optional=True) or [],
            )
        except ValueError as exc:
            raise SnapshotError(f"malformed harness snapshot: {exc}") from None

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        if len(text) > MAX_SNAPSHOT_BYTES:
            raise SnapshotError(f"snapshot is larger than {MAX_SNAPSHOT_BYTES // (1024 * 1024)} MiB: not one the harness wrote")
        try:
            data = json.loads(text)
        except RecursionError:
            raise SnapshotError("snapshot is nested too deeply to be one the harness wrote") from None
        except ValueError as exc:
            raise SnapshotError(f"snapshot is not JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike) -> None:
        """All-or-nothing: a check that reads the file later never sees half a snapshot."""
        target = os.path.realpath(path)  # a symlinked path keeps its link
        if os.path.exists(target) and not os.path.isfile(target):  # a FIFO or a device: a stream
            with open(target, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
            return
        handle, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp",
                                       dir=os.path.dirname(target))
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as fh:
                fh.write(self.to_json())
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Snapshot":
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read(MAX_SNAPSHOT_BYTES + 1)
        except UnicodeDecodeError:
            raise SnapshotError(f"{os.fspath(path)}: snapshot is not UTF-8 text") from None
        except OSError as exc:
            raise SnapshotError(f"cannot read snapshot {os.fspath(path)}: {exc.strerror}") from exc
        try:
            return cls.from_json(text)
        except SnapshotError as exc:
            raise SnapshotError(f"{os.fspath(path)}: {exc}") from exc


def stack_services(client: Any, stack: str) -> list[dict]:
    """Inspect data of every service of ``stack`` (by the label docker stack deploy sets)."""
    with api_errors(f"list the services of stack {stack!r}"):
        return client.api.services(filters={"label": f"{STACK_LABEL}={stack}"})


def service_tasks(client: Any, service_id: str) -> list[dict]:
    with api_errors(f"list the tasks of service {service_id}"):
        tasks = client.api.tasks(filters={"service": service_id})
    return [t for t in tasks if t.get("ServiceID") == service_id]


def snapshot_stack(client: Any, stack: str) -> Snapshot:
    """Record the stack's services before the redeploy (phase 0).

    Raises HarnessUnavailable when the stack has no services on this swarm.
    """
    with api_errors("read the manager's clock"):
        taken_at = client.info().get("SystemTime")
    services = stack_services(client, stack)
    if not services:
        raise HarnessUnavailable(f"stack {stack!r} has no services on this swarm: nothing to snapshot")
    states: dict[str, ServiceState] = {}
    warnings: list[str] = []
    for service in services:
        state = ServiceState.from_inspect(service, service_tasks(client, service["ID"]))
        states[state.name] = state
        if state.update_state in ("updating", "rollback_started"):
            warnings.append(
                f"{state.name} was still rolling out ({state.update_state}) when the snapshot was taken"
            )
    return Snapshot(stack=stack, services=states, taken_at=taken_at, warnings=warnings)
