"""Merge a file set's services as ``docker stack deploy -c a -c b`` does.

docker/cli merges typed structs with mergo (override, append slices) plus special cases;
reproduced here on positioned nodes:

- mappings merge key by key, the later file winning;
- a later scalar replaces an earlier one only when it is not a zero value (``""``, ``0``,
  ``false``, ``0s``), except for fields that docker keeps as pointers, which a later file
  sets even to zero (``parallelism: 0`` does override);
- lists append, except ports (de-duplicated, sorted by published port), volumes (keyed
  by target), secrets and configs (keyed by source), command and entrypoint (replaced);
- the healthcheck ``test`` list appends too: that is what the docker CLI really does.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from compose_policy.model import Mapping, Node, Scalar, Sequence
from compose_policy.units import try_duration

# paths below a service whose Go type is a pointer: set means set, even to zero
POINTER_FIELDS = {
    ("deploy", "replicas"),
    ("deploy", "update_config", "parallelism"),
    ("deploy", "rollback_config", "parallelism"),
    ("deploy", "restart_policy", "delay"),
    ("deploy", "restart_policy", "max_attempts"),
    ("deploy", "restart_policy", "window"),
    ("healthcheck", "timeout"),
    ("healthcheck", "interval"),
    ("healthcheck", "retries"),
    ("healthcheck", "start_period"),
    ("healthcheck", "start_interval"),
    ("stop_grace_period",),
}
DURATION_FIELDS = {
    ("deploy", "update_config", "delay"),
    ("deploy", "update_config", "monitor"),
    ("deploy", "rollback_config", "delay"),
    ("deploy", "rollback_config", "monitor"),
}
REPLACED_LISTS = {("command",), ("entrypoint",)}
KEYED_LISTS = {("ports",): None, ("volumes",): "target", ("secrets",): "source", ("configs",): "source"}


def _is_zero(path: Tuple[str, ...], node: Node) -> bool:
    if not isinstance(node, Scalar) or node.unknown:
        return False
    value = node.value
    if value is None or value == "" or value is False or (isinstance(value, (int, float)) and value == 0):
        return True
    if path in DURATION_FIELDS and try_duration(value) == 0:
        return True
    return False


def _port_key(node: Node) -> Any:
    if isinstance(node, Mapping):
        return tuple(sorted((k, repr(v.plain())) for k, v in node.items.items()))
    return repr(node.plain())


def _sort_value(node: Node, field: str) -> Any:
    if isinstance(node, Mapping):
        value = node.value(field)
        if value is None:
            return (0, 0, "")
        return (1, value if isinstance(value, (int, float)) else 0, str(value))
    return (0, 0, "")


def _merge_keyed(path, base: Sequence, override: Sequence) -> Sequence:
    field = KEYED_LISTS[path]
    entries: Dict[Any, Node] = {}
    for node in list(base.items) + list(override.items):
        if field is None:
            key = _port_key(node)
        else:
            key = node.value(field) if isinstance(node, Mapping) else repr(node.plain())
        entries[key] = node
    sort_field = "published" if field is None else field
    ordered = sorted(entries.values(), key=lambda n: _sort_value(n, sort_field))
    return Sequence(base.pos, ordered)


def merge_nodes(base: Node, override: Node, path: Tuple[str, ...] = ()) -> Node:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        if path == ("logging",):
            return _merge_logging(base, override)
        out = Mapping(base.pos, dict(base.items), dict(base.key_pos))
        for key, value in override.items.items():
            sub = path + (key,)
            if key in out.items:
                out.items[key] = merge_nodes(out.items[key], value, sub)
                if out.items[key] is value:
                    out.key_pos[key] = override.key_pos.get(key, value.pos)
            elif sub in POINTER_FIELDS or not _is_zero(sub, value):
                out.items[key] = value
                out.key_pos[key] = override.key_pos.get(key, value.pos)
        return out
    if isinstance(base, Sequence) and isinstance(override, Sequence):
        if path in REPLACED_LISTS:
            return override if override.items else base
        if path in KEYED_LISTS:
            return _merge_keyed(path, base, override)
        return Sequence(base.pos, list(base.items) + list(override.items))
    if path in POINTER_FIELDS:
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
        options = override.get("options")
        if isinstance(options, Mapping):
            out.items["options"] = merge_nodes(base.get("options") or Mapping(options.pos), options, ("options",))
        return out
    return override


def merge_services(base: Dict[str, Mapping], override: Dict[str, Mapping]) -> Dict[str, Mapping]:
    merged = dict(base)
    for name, service in override.items():
        merged[name] = merge_nodes(merged[name], service) if name in merged else service
    return dict(sorted(merged.items()))
