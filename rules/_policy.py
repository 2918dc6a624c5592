"""What a service's deploy section means for swarm, defaults applied.

Shared by the rollout rules so that "start-first", "failure_action" and "memory-heavy"
mean the same thing everywhere. Unknown (uninterpolatable) values are reported as unknown,
so each rule can decline to judge them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, List, Optional

from compose_policy.model import Node, Scalar
from compose_policy.units import try_bytes, try_duration
from compose_policy.rules._images import match_image, shipped_list

UNSET = object()


@dataclass
class Setting:
    """One field of update_config/rollback_config: the node if written, the effective value."""

    node: Optional[Node]
    value: Any  # the effective value (swarm default when unset)
    explicit: bool
    unknown: bool = False


def setting(service, section: str, key: str, default: Any) -> Setting:
    node = service.get("deploy", section, key)
    if node is None or (isinstance(node, Scalar) and node.value is None):
        return Setting(node, default, False)
    if isinstance(node, Scalar) and node.unknown:
        return Setting(node, None, True, unknown=True)
    return Setting(node, node.plain(), True)


def order(service, section: str = "update_config") -> Setting:
    return setting(service, section, "order", "stop-first")


def failure_action(service, section: str = "update_config") -> Setting:
    return setting(service, section, "failure_action", "pause")


def is_start_first(service, section: str = "update_config") -> bool:
    s = order(service, section)
    return s.explicit and not s.unknown and s.value == "start-first"


@dataclass
class Evidence:
    text: str
    node: Optional[Node] = None


@dataclass
class MemoryVerdict:
    evidence: List[Evidence] = field(default_factory=list)
    unknown: List[str] = field(default_factory=list)  # inputs that could not be read
    opted_out: bool = False

    @property
    def heavy(self) -> bool:
        return bool(self.evidence) and not self.opted_out


def memory_evidence(service, options, heavy_images) -> MemoryVerdict:
    """Why a service needs a lot of memory, from its limits, image, boot time or its own say."""
    verdict = MemoryVerdict()
    flag = service.extension.get("memory-heavy")
    if flag is False:
        verdict.opted_out = True
        return verdict
    if flag is True:
        verdict.evidence.append(Evidence("x-compose-policy says memory-heavy", service.get("x-compose-policy")))
    threshold = try_bytes(options.get("heavy-memory", "1G")) or (1 << 30)
    for kind in ("limits", "reservations"):
        node = service.get("deploy", "resources", kind, "memory")
        if not isinstance(node, Scalar) or node.value is None:
            continue
        if node.unknown:
            verdict.unknown.append(f"resources.{kind}.memory {node.raw}")
            continue
        size = try_bytes(node.value)
        if size is not None and size >= threshold:
            verdict.evidence.append(Evidence(f"resources.{kind}.memory {node.value} >= {options.get('heavy-memory', '1G')}", node))
    image = service.get("image")
    if isinstance(image, Scalar) and isinstance(image.value, str):
        if image.unknown:
            verdict.unknown.append(f"image {image.raw}")
        else:
            hit = match_image(image.value, heavy_images)
            if hit:
                verdict.evidence.append(Evidence(f"image {hit[0]} is memory-heavy ({hit[1]})", image))
    start = service.get("healthcheck", "start_period")
    if isinstance(start, Scalar) and start.value is not None:
        if start.unknown:
            verdict.unknown.append(f"healthcheck.start_period {start.raw}")
        else:
            seconds = try_duration(start.value)
            limit = try_duration(options.get("heavy-start-period", "2m")) or 120.0
            if seconds is not None and seconds >= limit:
                verdict.evidence.append(Evidence(
                    f"healthcheck.start_period {start.value} >= {options.get('heavy-start-period', '2m')} marks a heavy boot", start))
    return verdict


def heavy_images(ctx) -> dict:
    images = dict(shipped_list("heavy_images.yml"))
    images.update(ctx.data.get("heavy-images") or {})
    return images
