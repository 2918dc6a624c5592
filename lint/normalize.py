"""Bring one file's service to the long forms docker uses before merging.

List-form labels and environment become mappings, short port and volume syntax becomes
the long form, a string healthcheck test becomes ``[CMD-SHELL, ...]``. New nodes take the
position of the text they came from, so findings still point at what the user wrote.
"""

from __future__ import annotations

import re
from typing import List, Optional

from compose_policy.model import Mapping, Node, Scalar, Sequence
from compose_policy.yamlload import Problem

_PORT = re.compile(
    r"^(?:(?P<ip>\[[^\]]+\]|[^:]*):)??(?:(?P<published>[^:]*):)?(?P<target>[^:/]+)(?:/(?P<proto>\w+))?$"
)


def _kv_list_to_mapping(seq: Sequence, empty_value) -> Mapping:
    out = Mapping(seq.pos)
    for item in seq.items:
        if not isinstance(item, Scalar) or item.value is None:
            continue
        text = str(item.value)
        key, sep, value = text.partition("=")
        key = key.strip()
        out.items[key] = Scalar(value if sep else empty_value, item.pos, raw=item.raw,
                                unknown=item.unknown, interpolated=item.interpolated)
        out.key_pos[key] = item.pos
    return out


def _split_range(text: str) -> List[int]:
    if "-" in text:
        start, end = text.split("-", 1)
        return list(range(int(start), int(end) + 1))
    return [int(text)]


def short_port(item: Scalar, problems: List[Problem]) -> List[Node]:
    """``[ip:][published[-end]:]target[-end][/proto]`` -> long-form port mappings."""
    text = str(item.value)
    match = _PORT.match(text)
    try:
        if not match:
            raise ValueError
        targets = _split_range(match.group("target"))
        published = match.group("published")
        publisheds = _split_range(published) if published else []
    except ValueError:
        problems.append(Problem("compose", f"invalid port {text!r}", item.pos))
        return []
    proto = match.group("proto") or "tcp"
    out: List[Node] = []
    for index, target in enumerate(targets):
        port = Mapping(item.pos)
        fields = {"mode": "ingress", "target": target}
        if publisheds:
            fields["published"] = publisheds[index] if len(publisheds) == len(targets) else publisheds[0]
        fields["protocol"] = proto
        for key, value in fields.items():
            port.items[key] = Scalar(value, item.pos, raw=item.raw, unknown=item.unknown)
            port.key_pos[key] = item.pos
        out.append(port)
    return out


def short_volume(item: Scalar) -> Mapping:
    text = str(item.value)
    parts = text.split(":")
    volume = Mapping(item.pos)
    fields = {}
    if len(parts) == 1:
        fields = {"type": "volume", "target": parts[0]}
    else:
        source, target = parts[0], parts[1]
        is_path = source.startswith(("/", ".", "~")) or (len(source) > 1 and source[1] == ":")
        fields = {"type": "bind" if is_path else "volume", "source": source, "target": target}
        if len(parts) > 2 and "ro" in parts[2].split(","):
            fields["read_only"] = True
    for key, value in fields.items():
        volume.items[key] = Scalar(value, item.pos, raw=item.raw, unknown=item.unknown)
        volume.key_pos[key] = item.pos
    return volume


def _named_refs(seq: Sequence) -> Sequence:
    out = Sequence(seq.pos)
    for item in seq.items:
        if isinstance(item, Scalar):
            ref = Mapping(item.pos)
            ref.items["source"] = item
            ref.key_pos["source"] = item.pos
            out.items.append(ref)
        else:
            out.items.append(item)
    return out


def normalize_service(service: Mapping, problems: List[Problem]) -> Mapping:
    items = service.items
    for key in ("labels",):
        if isinstance(items.get(key), Sequence):
            items[key] = _kv_list_to_mapping(items[key], "")
    if isinstance(items.get("environment"), Sequence):
        items["environment"] = _kv_list_to_mapping(items["environment"], None)
    deploy = items.get("deploy")
    if isinstance(deploy, Mapping) and isinstance(deploy.items.get("labels"), Sequence):
        deploy.items["labels"] = _kv_list_to_mapping(deploy.items["labels"], "")
    health = items.get("healthcheck")
    if isinstance(health, Mapping):
        test = health.items.get("test")
        if isinstance(test, Scalar) and isinstance(test.value, str):
            health.items["test"] = Sequence(test.pos, [Scalar("CMD-SHELL", test.pos), test])
    ports = items.get("ports")
    if isinstance(ports, Sequence):
        long_ports = Sequence(ports.pos)
        for item in ports.items:
            if isinstance(item, Scalar) and item.value is not None and not item.unknown:
                long_ports.items.extend(short_port(item, problems))
            else:
                long_ports.items.append(item)
        items["ports"] = long_ports
    volumes = items.get("volumes")
    if isinstance(volumes, Sequence):
        volumes.items = [short_volume(v) if isinstance(v, Scalar) and v.value else v for v in volumes.items]
    for key in ("secrets", "configs"):
        if isinstance(items.get(key), Sequence):
            items[key] = _named_refs(items[key])
    networks = items.get("networks")
    if isinstance(networks, Sequence):
        as_map = Mapping(networks.pos)
        for item in networks.items:
            if isinstance(item, Scalar) and item.value is not None:
                as_map.items[str(item.value)] = Scalar(None, item.pos)
                as_map.key_pos[str(item.value)] = item.pos
        items["networks"] = as_map
    return service


def first_scalar(node: Optional[Node]) -> Optional[Scalar]:
    return node if isinstance(node, Scalar) else None
