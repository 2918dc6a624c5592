"""What a service's deploy section means for swarm, defaults applied.

Shared by the rollout rules so that "start-first", "failure_action" and "memory-heavy"
mean the same thing everywhere. Unknown (uninterpolatable) values are reported as unknown,
so each rule can decline to judge them.
"""

from __future__ import annotations

from compose_policy.goconv import to_float, to_int
from compose_policy.model import Mapping, Node, Position, Scalar, Sequence
from compose_policy.record import Record
from compose_policy.units import format_duration, try_bytes, try_duration
from compose_policy.rules._images import match_image, shipped_list

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, List, Optional

UNSET = object()


class Setting(Record):
    """One field of update_config/rollback_config: the node if written, the effective value."""

    _fields = ("node", "value", "explicit", "unknown", "invalid")

    def __init__(self, node: Optional[Node], value: Any, explicit: bool, unknown: bool = False,
                 invalid: bool = False):
        self.node = node
        self.value = value  # the effective value (swarm default when unset)
        self.explicit = explicit
        self.unknown = unknown
        self.invalid = invalid  # written, but docker or swarm would refuse it (CP119)

    @property
    def usable(self) -> bool:
        """A value a rule may judge: neither unknown nor invalid."""
        return not (self.unknown or self.invalid)


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


def written_failure_action(service, *actions: str, section: str = "update_config") -> Optional[Setting]:
    """The failure_action the file writes, when it is one of ``actions``; None when it is
    unset (a rule about what the owner chose does not judge swarm's default), unknown or
    another action."""
    action = failure_action(service, section)
    if action.explicit and action.usable and action.value in actions:
        return action
    return None


def is_start_first(service, section: str = "update_config") -> bool:
    s = order(service, section)
    return s.explicit and not s.unknown and s.value == "start-first"


class Evidence(Record):
    _fields = ("text", "node")

    def __init__(self, text: str, node: Optional[Node] = None):
        self.text = text
        self.node = node


class MemoryVerdict(Record):
    _fields = ("evidence", "unknown", "opted_out")

    def __init__(self, evidence: Optional[List[Evidence]] = None, unknown: Optional[List[str]] = None,
                 opted_out: bool = False):
        self.evidence: List[Evidence] = [] if evidence is None else evidence
        self.unknown: List[str] = [] if unknown is None else unknown  # inputs that could not be read
        self.opted_out = opted_out

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


# the options of the rules that judge memory_evidence (CP101, CP105), with their defaults
MEMORY_HEAVY_OPTIONS = {"heavy-memory": "1G", "heavy-start-period": "2m"}
MEMORY_HEAVY_OPTION_HELP = {
    "heavy-memory": "A memory limit or reservation at or above this marks the service memory-heavy.",
    "heavy-start-period": "A `healthcheck.start_period` at or above this marks a heavy boot.",
}


def heavy_images(ctx) -> dict:
    images = dict(shipped_list("heavy_images.yml"))
    images.update(ctx.data.get("heavy-images") or {})
    return images


# --- typed readers: durations, numbers, replicas, healthcheck ---------------------------
#
# docker stack deploy validates the compose schema after interpolation: a duration must be
# a string in Go syntax, a number must be written as a number (a quoted "2" is refused,
# though ``${N:-2}`` is cast). A value that fails those checks is ``invalid``; CP119 reports
# it and the other rules treat it as "cannot tell", like an unknown one.

UPDATE_SECTIONS = ("update_config", "rollback_config")

# every duration field a service can carry, as paths below the service
DURATION_PATHS = (
    ("healthcheck", "interval"),
    ("healthcheck", "timeout"),
    ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"),
    ("deploy", "update_config", "delay"),
    ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"),
    ("deploy", "rollback_config", "monitor"),
    ("deploy", "restart_policy", "delay"),
    ("deploy", "restart_policy", "window"),
    ("stop_grace_period",),
)

# swarm's defaults (swarmkit api/defaults, moby daemon health checks)
DEFAULT_MONITOR = 5.0
DEFAULT_HEALTH_INTERVAL = 30.0
DEFAULT_HEALTH_TIMEOUT = 30.0
DEFAULT_HEALTH_RETRIES = 3
DEFAULT_STOP_GRACE = 10.0


def _written(node: Optional[Node]) -> bool:
    return node is not None and not (isinstance(node, Scalar) and node.value is None)


def duration_value(node: Optional[Node]) -> Optional[float]:
    """Seconds of a written duration, or None when it is not a valid duration string."""
    if not isinstance(node, Scalar) or not isinstance(node.value, str):
        return None
    return try_duration(node.value)


def duration(service, *path: str, default: float, zero_is_default: bool = False) -> Setting:
    """A duration field in seconds, with swarm's default when unset (or zero, where swarm
    treats zero as unset: monitor, healthcheck interval and timeout)."""
    node = service.get(*path)
    if not _written(node):
        return Setting(node, default, False)
    if isinstance(node, Scalar) and node.unknown:
        return Setting(node, None, True, unknown=True)
    seconds = duration_value(node)
    if seconds is None or seconds < 0:
        return Setting(node, None, True, invalid=True)
    if seconds == 0 and zero_is_default:
        return Setting(node, default, True)
    return Setting(node, seconds, True)


def number_value(node: Optional[Node], integer: bool = False) -> Optional[float]:
    """A written number as docker reads it: a YAML number, or an interpolated numeric string."""
    if not isinstance(node, Scalar) or isinstance(node.value, bool):
        return None
    value = node.value
    if isinstance(value, str):
        if not node.interpolated:
            return None  # a quoted literal: "must be a integer"
        try:
            value = to_int(value.strip()) if integer else to_float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, (int, float)) or (integer and isinstance(value, float)):
        return None  # 1.5 and 1.0 alike: the schema wants an integer
    return value


def int_value(node: Optional[Node]) -> Optional[int]:
    """A whole number as docker reads it (YAML int or interpolated text), else None."""
    value = number_value(node, integer=True)
    return int(value) if value is not None else None


def number(service, *path: str, default: Any, integer: bool = False, zero_is_default: bool = False) -> Setting:
    node = service.get(*path)
    if not _written(node):
        return Setting(node, default, False)
    if isinstance(node, Scalar) and node.unknown:
        return Setting(node, None, True, unknown=True)
    value = number_value(node, integer)
    if value is None or value < 0:
        return Setting(node, None, True, invalid=True)
    if value == 0 and zero_is_default:
        return Setting(node, default, True)
    return Setting(node, value, True)


def monitor(service, section: str = "update_config") -> Setting:
    # the daemon sends no monitor when it is zero, so swarm applies its 5s default
    return duration(service, "deploy", section, "monitor", default=DEFAULT_MONITOR, zero_is_default=True)


def delay(service, section: str = "update_config") -> Setting:
    return duration(service, "deploy", section, "delay", default=0.0)


def parallelism(service, section: str = "update_config") -> Setting:
    return number(service, "deploy", section, "parallelism", default=1, integer=True)


def max_failure_ratio(service, section: str = "update_config") -> Setting:
    return number(service, "deploy", section, "max_failure_ratio", default=0.0)


def is_global(service) -> bool:
    return service.value("deploy", "mode") == "global"


class Replicas(Record):
    _fields = ("count", "is_global", "node")

    def __init__(self, count: Optional[int], is_global: bool, node: Optional[Node]):
        self.count = count  # None: cannot tell (unknown, invalid) or global mode
        self.is_global = is_global
        self.node = node


def replicas(service) -> Replicas:
    """How many tasks a replicated service runs (default 1); global mode runs one per node."""
    if is_global(service):
        return Replicas(None, True, service.get("deploy", "mode"))
    node = service.get("deploy", "replicas")
    if not _written(node):
        return Replicas(1, False, None)
    if isinstance(node, Scalar) and node.unknown:
        return Replicas(None, False, node)
    value = node.value if isinstance(node, Scalar) else None
    if isinstance(value, str):
        try:
            value = to_int(value.strip())
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return Replicas(None, False, node)
    return Replicas(value, False, node)


class Health(Record):
    """A service's compose healthcheck, docker's defaults applied to unset or zero timings."""

    _fields = ("node", "declared", "disabled", "has_test", "interval", "timeout", "retries", "start_period")

    def __init__(self, node: Optional[Node], declared: bool, disabled: bool, has_test: bool, interval: Setting,
                 timeout: Setting, retries: Setting, start_period: Setting):
        self.node = node
        self.declared = declared  # a healthcheck section that is not disabled
        self.disabled = disabled  # disable: true, or test: [NONE]
        self.has_test = has_test  # a test is written here (else the image's own test, if any, is used)
        self.interval = interval
        self.timeout = timeout
        self.retries = retries
        self.start_period = start_period

    @property
    def timings(self) -> List[Setting]:
        return [self.interval, self.timeout, self.retries, self.start_period]

    @property
    def readable(self) -> bool:
        return not any(s.unknown or s.invalid for s in self.timings)

    def verdict_seconds(self) -> float:
        """Time for a task that turns unhealthy after readiness to be declared failed."""
        return self.interval.value * self.retries.value + self.timeout.value


def healthcheck(service) -> Health:
    node = service.get("healthcheck")
    disabled = False
    has_test = False
    if isinstance(node, Mapping):
        disabled = node.value("disable") is True
        test = node.get("test")
        if isinstance(test, Sequence) and test.items:
            first = test.items[0]
            has_test = True
            if isinstance(first, Scalar) and first.value == "NONE":
                disabled = True
        elif isinstance(test, Scalar) and test.value not in (None, ""):
            has_test = True
    declared = isinstance(node, Mapping) and not disabled
    return Health(
        node=node, declared=declared, disabled=disabled, has_test=has_test and not disabled,
        interval=duration(service, "healthcheck", "interval", default=DEFAULT_HEALTH_INTERVAL, zero_is_default=True),
        timeout=duration(service, "healthcheck", "timeout", default=DEFAULT_HEALTH_TIMEOUT, zero_is_default=True),
        retries=number(service, "healthcheck", "retries", default=DEFAULT_HEALTH_RETRIES, integer=True,
                       zero_is_default=True),
        start_period=duration(service, "healthcheck", "start_period", default=0.0),
    )


def key_position(mapping: Optional[Node], key: str) -> Optional[Position]:
    """Where ``key:`` is written in a mapping (for findings about what its value lacks)."""
    if isinstance(mapping, Mapping):
        return mapping.key_pos.get(key)
    return None


def absence_position(service, *path: str) -> Position:
    """The deepest written key on ``path`` (e.g. ``deploy``), else the service itself."""
    node = service.node
    best = service.pos
    for key in path:
        pos = key_position(node, key)
        if pos is None:
            break
        best = pos
        node = node.get(key)
    return best


def seconds_text(seconds: float) -> str:
    """A duration for messages: ``1m35s``, ``500ms`` stays readable."""
    if 0 < seconds < 1:
        return f"{int(round(seconds * 1000))}ms"
    if seconds != int(seconds):
        return f"{seconds:g}s"
    return format_duration(seconds)


def stop_first_fix(service, why: str):
    """The fix of every start-first hazard: order stop-first, failure_action left alone.

    Unsafe in place: the rollout itself changes (a short stop between old and new task).
    """
    from compose_policy.model import Applicability, Fix

    return Fix(service.name, ("deploy", "update_config", "order"), "stop-first", why, Applicability.UNSAFE)
