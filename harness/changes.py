"""What a deploy changed in one service, compared with its phase-0 snapshot.

Swarm rolls out a service when its task spec (``TaskTemplate``) or its published
ports (``EndpointSpec``) change; a change of ``Mode`` (replicas) starts or stops
tasks; service labels change nothing that runs. UpdateStatus cannot be trusted
to tell them apart: a repeated deploy of the same spec clears it while the new
version is running (or crash-looping). So the harness compares specs itself.
"""

from __future__ import annotations

from typing import Any

# reader's names for the parts of a spec a compose file sets
_CONTAINER_NAMES = {
    "Image": "image",
    "Args": "command",
    "Command": "entrypoint",
    "Env": "environment",
    "Labels": "container labels",
    "Mounts": "mounts",
    "Healthcheck": "healthcheck",
    "User": "user",
    "Dir": "working directory",
    "Configs": "configs",
    "Secrets": "secrets",
    "Hosts": "extra hosts",
    "StopGracePeriod": "stop grace period",
    "Init": "init",
}
_TASK_NAMES = {
    "Resources": "resources",
    "Placement": "placement",
    "RestartPolicy": "restart policy",
    "Networks": "networks",
    "ForceUpdate": "a forced update",
    "LogDriver": "logging",
}


class SpecChanges:
    """The differences between a snapshot's spec and the live one.

    ``known`` is False when the snapshot holds no spec (written by an older
    version): nothing can be said, and every check must assume a rollout.
    """

    def __init__(self, before: dict | None, now: dict):
        self.known = before is not None
        before = before or {}
        self.task = _task_changes(before.get("TaskTemplate") or {}, now.get("TaskTemplate") or {})
        if (before.get("EndpointSpec") or {}) != (now.get("EndpointSpec") or {}):
            self.task.append("published ports")
        self.replicas = _replica_change(before.get("Mode") or {}, now.get("Mode") or {})
        self.labels = (before.get("Labels") or {}) != (now.get("Labels") or {})

    @property
    def rollout(self) -> bool:
        """Does the live spec need tasks other than the snapshot's? (unknown counts as yes)"""
        return not self.known or bool(self.task)

    def describe(self) -> str:
        """``task spec changed: command, environment``, ``replicas 0 -> 1``, ``label-only``, ``unchanged``."""
        if not self.known:
            return "the snapshot holds no spec to compare with"
        parts = []
        if self.task:
            parts.append("task spec changed: " + ", ".join(self.task))
        if self.replicas:
            parts.append(self.replicas)
        if parts:
            return "; ".join(parts) + ("; labels changed" if self.labels else "")
        return "label-only" if self.labels else "unchanged"


def _task_changes(before: dict, now: dict) -> list[str]:
    changed = []
    for key in sorted(set(before) | set(now)):
        if key == "ContainerSpec":
            old, new = before.get(key) or {}, now.get(key) or {}
            for field in sorted(set(old) | set(new)):
                if old.get(field) != new.get(field):
                    changed.append(_CONTAINER_NAMES.get(field, f"ContainerSpec.{field}"))
        elif before.get(key) != now.get(key):
            changed.append(_TASK_NAMES.get(key, key))
    return list(dict.fromkeys(changed))


def _replica_change(before: dict, now: dict) -> str | None:
    if before == now:
        return None
    old, new = _replicas(before), _replicas(now)
    if old is not None and new is not None:
        return f"replicas {old} -> {new}"
    return f"mode {_mode_name(before)} -> {_mode_name(now)}"


def _replicas(mode: dict) -> Any:
    if "Replicated" in mode:
        return (mode["Replicated"] or {}).get("Replicas", 1)
    return None


def _mode_name(mode: dict) -> str:
    return next(iter(mode), "unknown").lower()
