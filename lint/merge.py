"""Merge a file set's services as ``docker stack deploy -c a -c b`` does.

docker/cli merges typed structs with mergo (override, append slices) plus special cases;
reproduced here on positioned nodes, as docker 28 really behaves:

- struct fields merge key by key, the later file winning, but a later zero value (``""``,
  ``0``, ``false``, ``0s``, a zero size) does not replace an earlier value;
- ``*uint64`` fields (replicas, parallelism, max_attempts, retries) take any later value,
  zero included; other pointer fields (healthcheck durations, restart delay and window,
  stop_grace_period) take a zero only where no earlier file set them;
- label-like maps (``map[string]string``) take every later key, empty values included;
  environment (``map[string]*string``) adds every new key but changes an existing one
  only to a non-empty value;
- lists append, except: ports are keyed by the PUBLISHED port alone (so ``53/tcp`` and
  ``53/udp``, or two unpublished ports, collapse to the later one), volumes by target,
  secrets and configs by source, each then sorted by that key, and this happens whenever
  the earlier file has such a list, even if the later one does not touch it; command and
  entrypoint are replaced by a non-empty later list, a service network's aliases by the
  later ones;
- the healthcheck ``test`` list appends too: that is what the docker CLI really does.
"""

from __future__ import annotations

from compose_policy.model import Mapping, Node, Scalar, Sequence
from compose_policy.units import try_bytes, try_duration

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, Tuple

# *uint64 in docker's types: merged by a transformer that copies any set value, zero too
ALWAYS_OVERRIDE = {
    ("deploy", "replicas"),
    ("deploy", "update_config", "parallelism"),
    ("deploy", "rollback_config", "parallelism"),
    ("deploy", "restart_policy", "max_attempts"),
    ("healthcheck", "retries"),
}
# other pointers: a file may set them to zero, but a zero does not replace an earlier value
POINTER_FIELDS = {
    ("deploy", "restart_policy", "delay"),
    ("deploy", "restart_policy", "window"),
    ("healthcheck", "timeout"),
    ("healthcheck", "interval"),
    ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"),
    ("stop_grace_period",),
    ("init",),
}
# Go durations, pointer or not: "0s" and "0" are their zero
DURATION_FIELDS = {
    ("deploy", "update_config", "delay"),
    ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"),
    ("deploy", "rollback_config", "monitor"),
} | (POINTER_FIELDS - {("init",)})
# sizes (go-units), whose zero is any spelling of 0 bytes
BYTES_FIELDS = {
    ("deploy", "resources", "limits", "memory"),
    ("deploy", "resources", "reservations", "memory"),
}
# map[string]string: every key of a later file wins, even with an empty value
STRING_MAPS = {("labels",), ("deploy", "labels"), ("sysctls",), ("logging", "options"), ("build", "labels")}
# map[string]*string: new keys always added, an existing one changed only to a non-empty value
NULLABLE_MAPS = {("environment",), ("build", "args")}
REPLACED_LISTS = {("command",), ("entrypoint",)}
KEYED_LISTS = {("ports",): "published", ("volumes",): "target", ("secrets",): "source", ("configs",): "source"}


def _is_zero(path: Tuple[str, ...], node: Node) -> bool:
    if not isinstance(node, Scalar) or node.unknown:
        return False
    value = node.value
    if value is None or value == "" or value is False or (isinstance(value, (int, float)) and value == 0):
        return True
    if path in DURATION_FIELDS and try_duration(value) == 0:
        return True
    if path in BYTES_FIELDS and try_bytes(value) == 0:
        return True
    return False


def _key_of(node: Node, field: str) -> Any:
    if isinstance(node, Mapping):
        value = node.value(field)
        if field == "published":
            return value or 0  # an unpublished port is published port 0 to docker
        return value
    return ("unreadable", repr(node.plain()))


def _sort_value(key: Any) -> Any:
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key, "")
    return (1, 0, str(key))


def _merge_keyed(path, base: Sequence, override: Sequence) -> Sequence:
    field = KEYED_LISTS[path]
    entries: Dict[Any, Node] = {}
    for node in list(base.items) + list(override.items):
        entries[_key_of(node, field)] = node  # a later entry with the same key wins
    ordered = sorted(entries.items(), key=lambda item: _sort_value(item[0]))
    return Sequence(base.pos, [node for _, node in ordered])


def _merge_map(path: Tuple[str, ...], base: Mapping, override: Mapping) -> Mapping:
    out = Mapping(base.pos, dict(base.items), dict(base.key_pos))
    for key, value in override.items.items():
        if path in NULLABLE_MAPS and key in out.items and (
                not isinstance(value, Scalar) or value.value in (None, "")):
            continue
        out.items[key] = value
        out.key_pos[key] = override.key_pos.get(key, value.pos)
    return out


def _merge_network(base: Mapping, override: Mapping) -> Mapping:
    # docker's mergeServiceNetworkConfig: the later aliases replace the earlier ones (even
    # by none), a later non-empty address replaces the earlier one
    out = Mapping(base.pos, dict(base.items), dict(base.key_pos))
    out.items.pop("aliases", None)
    out.key_pos.pop("aliases", None)
    for key, value in override.items.items():
        if key == "aliases" or (key in ("ipv4_address", "ipv6_address") and not _is_zero((key,), value)):
            out.items[key] = value
            out.key_pos[key] = override.key_pos.get(key, value.pos)
    return out


def merge_nodes(base: Node, override: Node, path: Tuple[str, ...] = ()) -> Node:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        if path == ("logging",):
            return _merge_logging(base, override)
        if len(path) == 2 and path[0] == "networks":
            return _merge_network(base, override)
        if len(path) == 2 and path[0] == "ulimits":
            return override  # docker's mergeUlimitsConfig: a later limit replaces the whole entry
        if path in STRING_MAPS or path in NULLABLE_MAPS:
            return _merge_map(path, base, override)
        out = Mapping(base.pos, dict(base.items), dict(base.key_pos))
        for key, value in override.items.items():
            sub = path + (key,)
            if key in out.items:
                out.items[key] = merge_nodes(out.items[key], value, sub)
                if out.items[key] is value:
                    out.key_pos[key] = override.key_pos.get(key, value.pos)
            elif sub in ALWAYS_OVERRIDE or sub in POINTER_FIELDS or not _is_zero(sub, value):
                out.items[key] = value
                out.key_pos[key] = override.key_pos.get(key, value.pos)
        if not path:  # a service: docker re-keys the earlier file's keyed lists in any case
            for keyed in KEYED_LISTS:
                name = keyed[0]
                if isinstance(base.items.get(name), Sequence) and name not in override.items:
                    out.items[name] = _merge_keyed(keyed, base.items[name], Sequence(base.pos))
        return out
    if isinstance(base, Sequence) and isinstance(override, Sequence):
        if path in REPLACED_LISTS:
            return override if override.items else base
        if path in KEYED_LISTS:
            return _merge_keyed(path, base, override)
        return Sequence(base.pos, list(base.items) + list(override.items))
    if path in ALWAYS_OVERRIDE:
        return override
    if _is_zero(path, override):
        return base
    return override


def _merge_logging(base: Mapping, override: Mapping) -> Node:
    base_driver, over_driver = base.value("driver"), override.value("driver")
    if base_driver == over_driver or not base_driver or not over_driver:
        out = Mapping(base.pos, dict(base.items), dict(base.key_pos))
        if not base_driver and over_driver:
            out.items["driver"] = override.items["driver"]
            out.key_pos["driver"] = override.key_pos.get("driver", override.items["driver"].pos)
        options = override.get("options")
        if isinstance(options, Mapping):
            base_options = base.get("options")
            out.items["options"] = (_merge_map(("logging", "options"), base_options, options)
                                    if isinstance(base_options, Mapping) else options)
        return out
    return override


def merge_services(base: Dict[str, Mapping], override: Dict[str, Mapping]) -> Dict[str, Mapping]:
    merged = dict(base)
    for name, service in override.items():
        merged[name] = merge_nodes(merged[name], service) if name in merged else service
    return dict(sorted(merged.items()))
