"""Phase 0: what the stack looked like before the redeploy.

The verdict needs a "before" taken from the swarm itself: after an automatic
rollback swarm clears PreviousSpec and keeps the StartedAt of the failed update,
so neither can tell what was deployed before nor whether the update is new.
The snapshot keeps, per service, the manager's own Version.Index and UpdatedAt
(the reference for every later timestamp comparison), the UpdateStatus, the
service labels and the running task ids. It round-trips through JSON so a
shell CI can keep it between two steps.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from .client import HarnessUnavailable, api_errors

STACK_LABEL = "com.docker.stack.namespace"
FORMAT = "compose-policy/harness-snapshot@1"


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

    @property
    def update_state(self) -> str | None:
        return (self.update_status or {}).get("State")

    @classmethod
    def from_inspect(cls, service: dict, running_tasks: list[str]) -> "ServiceState":
        return cls(
            id=service["ID"],
            name=service["Spec"]["Name"],
            version=int(service["Version"]["Index"]),
            updated_at=service["UpdatedAt"],
            update_status=service.get("UpdateStatus") or None,
            labels=dict(service["Spec"].get("Labels") or {}),
            running_tasks=sorted(running_tasks),
        )


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
            services = {
                name: ServiceState(**state) for name, state in (data.get("services") or {}).items()
            }
            return cls(
                stack=data["stack"],
                services=services,
                taken_at=data.get("taken_at"),
                warnings=list(data.get("warnings") or []),
            )
        except (KeyError, TypeError) as exc:
            raise SnapshotError(f"malformed harness snapshot: {exc}") from exc

    @classmethod
    def from_json(cls, text: str) -> "Snapshot":
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise SnapshotError(f"snapshot is not JSON: {exc}") from exc
        return cls.from_dict(data)

    def save(self, path: str | os.PathLike) -> None:
        tmp = f"{os.fspath(path)}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(self.to_json())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Snapshot":
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
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


def running_task_ids(client: Any, service_id: str) -> list[str]:
    with api_errors(f"list the tasks of service {service_id}"):
        tasks = client.api.tasks(filters={"service": service_id, "desired-state": "running"})
    return [t["ID"] for t in tasks if t.get("ServiceID") == service_id]


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
        state = ServiceState.from_inspect(service, running_task_ids(client, service["ID"]))
        states[state.name] = state
        if state.update_state in ("updating", "rollback_started"):
            warnings.append(
                f"{state.name} was still rolling out ({state.update_state}) when the snapshot was taken"
            )
    return Snapshot(stack=stack, services=states, taken_at=taken_at, warnings=warnings)
