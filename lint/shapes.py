"""Settings docker's compose schema refuses, in the sections the rules read.

Each becomes a CP001 problem at the key or value to fix, so that a deploy docker would
refuse is reported instead of linted as if it were fine: a section left empty
(``update_config:`` with every line commented out), an unknown key (``update-config``), a
size or duration that docker cannot read, a number where docker wants a string.
"""

from __future__ import annotations

from compose_policy.goconv import go_string
from compose_policy.model import Mapping, Scalar
from compose_policy.units import try_bytes, try_duration
from compose_policy.yamlload import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import List


# sections docker requires to be mappings (a null one too is refused); (path, also non-null)
_MAPPINGS = (
    (("healthcheck",), False),  # a non-mapping healthcheck or deploy is CP001 from the loader
    (("deploy", "update_config"), False),  # non-mapping update settings are CP119's
    (("deploy", "rollback_config"), False),
    (("deploy", "resources"), True),
    (("deploy", "resources", "limits"), True),
    (("deploy", "resources", "reservations"), True),
    (("deploy", "restart_policy"), True),
    (("deploy", "placement"), True),
)


# the keys docker's compose schema (3.x, newest) allows; update/rollback keys are CP119's.
# validate reports unknown keys from compose_schema for a file it checks; it does not check
# a file with a duplicate key (CP000), which is still merged: this table reports those
_KNOWN_KEYS = {
    ("deploy",): {"mode", "endpoint_mode", "replicas", "labels", "rollback_config", "update_config",
                  "resources", "restart_policy", "placement"},
    ("deploy", "resources"): {"limits", "reservations"},
    ("deploy", "resources", "limits"): {"cpus", "memory", "pids"},
    ("deploy", "resources", "reservations"): {"cpus", "memory", "generic_resources", "devices"},
    ("deploy", "restart_policy"): {"condition", "delay", "max_attempts", "window"},
    ("deploy", "placement"): {"constraints", "preferences", "max_replicas_per_node"},
}


def _unknown_keys(service: Mapping, problems: List[Problem]) -> None:
    for path, known in _KNOWN_KEYS.items():
        section = service.get(*path)
        if not isinstance(section, Mapping):
            continue
        for key in sorted(section.items.keys() - known):
            import difflib  # only on this error path

            close = difflib.get_close_matches(key, sorted(known), n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem("compose", f"{'.'.join(path)}.{key} is not a setting docker knows{hint}; "
                                    "docker stack deploy refuses the file",
                                    section.key_pos.get(key, section.items[key].pos)))


_SIZES = (("deploy", "resources", "limits", "memory"), ("deploy", "resources", "reservations", "memory"))
_CPUS = (("deploy", "resources", "limits", "cpus"), ("deploy", "resources", "reservations", "cpus"))
# durations no rule judges (CP119 has update_config, rollback_config and healthcheck)
_OTHER_DURATIONS = (("deploy", "restart_policy", "delay"), ("deploy", "restart_policy", "window"),
                    ("stop_grace_period",))


def _typed_values(service: Mapping, problems: List[Problem]) -> None:
    for path in _SIZES + _CPUS + _OTHER_DURATIONS:
        node = service.get(*path)
        if not isinstance(node, Scalar) or node.unknown or node.value is None:
            continue
        shown = ".".join(path)
        if path in _CPUS:
            if not isinstance(node.value, str):
                problems.append(Problem("compose", f"{shown} must be a string: write '{go_string(node.value)}' "
                                        "in quotes; docker refuses a number", node.pos))
        elif not isinstance(node.value, str):
            problems.append(Problem("compose", f"{shown} must be a string with a unit, like "
                                    f"{'512M' if path in _SIZES else '30s'}; docker refuses "
                                    f"{go_string(node.value)}", node.pos))
        elif path in _SIZES and try_bytes(node.value) is None:
            problems.append(Problem("compose", f"{shown}: {node.value!r} is not a size (like 512M, 1G); "
                                    "docker refuses the file", node.pos))
        elif path in _OTHER_DURATIONS and try_duration(node.value) is None:
            problems.append(Problem("compose", f"{shown}: {node.value!r} is not a duration (like 30s, "
                                    "1m30s); docker refuses the file", node.pos))


def check_sections(service: Mapping, problems: List[Problem]) -> None:
    """Report (and drop) sections docker refuses for their shape: ``update_config:`` left empty."""
    _unknown_keys(service, problems)
    _typed_values(service, problems)
    for path, also_wrong_type in _MAPPINGS:
        parent = service.get(*path[:-1]) if len(path) > 1 else service
        if not isinstance(parent, Mapping):
            continue
        node = parent.items.get(path[-1])
        if node is None or isinstance(node, Mapping):
            continue
        empty = isinstance(node, Scalar) and node.value is None
        if not empty and not also_wrong_type:
            continue
        shown = ".".join(path)
        problems.append(Problem("compose", (
            f"{shown} is empty (null): docker requires a mapping; remove the key or give it settings"
            if empty else f"{shown} must be a mapping; docker refuses the file"),
            parent.key_pos.get(path[-1], node.pos)))
        del parent.items[path[-1]]
        parent.key_pos.pop(path[-1], None)
    ports = service.items.get("ports")
    if isinstance(ports, Scalar) and ports.value is None:
        problems.append(Problem("compose", "ports is empty (null): docker requires a list; remove the key "
                                "or give it entries", service.key_pos.get("ports", ports.pos)))
        del service.items["ports"]
        service.key_pos.pop("ports", None)
