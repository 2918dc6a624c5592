"""Bring one file's service to the long forms docker uses before merging.

Interpolated values of typed fields are cast as the docker CLI casts them (``replicas:
${N:-2}`` is the integer 2), list-form labels and environment become mappings (split at
the first ``=``, nothing stripped), label values become strings, short port and volume
syntax becomes the long form, a string healthcheck test becomes ``[CMD-SHELL, ...]``.
New nodes take the position of the text they came from, so findings still point at what
the user wrote.
"""

from __future__ import annotations

from compose_policy.casts import SERVICE_CASTS
from compose_policy.goconv import go_string, shell_words, to_bool, to_float, to_int
from compose_policy.interpolate import has_unresolved
from compose_policy.model import Mapping, Node, Scalar, Sequence
from compose_policy.shapes import check_sections
from compose_policy.yamlload import Problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, List, Optional, Tuple
    from typing import Mapping as TypingMapping

_PROTOCOLS = {"tcp", "udp", "sctp"}

# the sections that hold a field docker casts: only these are walked
_CAST_ROOTS = {path[0] for path in SERVICE_CASTS}
_JUDGED_BY_RULES = {("deploy", "update_config"), ("deploy", "rollback_config"), ("healthcheck", "retries")}
_KINDS = {to_int: "an integer", to_float: "a number", to_bool: "a boolean"}


def _cast_node(node: Node, path: Tuple[str, ...], problems: List[Problem]) -> Node:
    if isinstance(node, Mapping):
        for key, child in node.items.items():
            node.items[key] = _cast_node(child, path + (key,), problems)
        return node
    if isinstance(node, Sequence):
        node.items = [_cast_node(child, path + ("[]",), problems) for child in node.items]
        return node
    if not (isinstance(node, Scalar) and node.interpolated and not node.unknown
            and isinstance(node.value, str)):
        return node
    cast = SERVICE_CASTS.get(path)
    if cast is None and len(path) > 1:
        cast = SERVICE_CASTS.get(path[:1] + ("*",) + path[2:])  # ulimits.<name>
    if cast is None:
        return node
    try:
        value = cast(node.value)
    except ValueError:
        # CP119 judges update_config, rollback_config and healthcheck values itself
        if path[:2] not in _JUDGED_BY_RULES:
            problems.append(Problem("compose", f"{'.'.join(p for p in path if p != '[]')}: "
                                    f"{node.value!r} (from {node.raw!r}) is not {_KINDS[cast]}; "
                                    "docker refuses the file", node.pos))
        return node
    return Scalar(value, node.pos, raw=node.raw, interpolated=True)


def cast_interpolated(service: Mapping, problems: List[Problem]) -> None:
    """Cast interpolated text in typed fields, as docker does before validating."""
    for key in _CAST_ROOTS & service.items.keys():
        service.items[key] = _cast_node(service.items[key], (key,), problems)


def _kv_list_to_mapping(seq: Sequence, empty_value, what: str, problems: List[Problem]) -> Mapping:
    out = Mapping(seq.pos)
    seen = set()
    for item in seq.items:
        if not isinstance(item, Scalar):
            problems.append(Problem("compose", f"a {what} entry must be a KEY=value string, not a "
                                    f"{'mapping' if isinstance(item, Mapping) else 'list'}; docker refuses "
                                    "the file", item.pos))
            continue
        if item.value is None:
            continue
        text = go_string(item.value)
        if text in seen and not item.unknown:
            problems.append(Problem("compose", f"{what} entry {text!r} is listed twice; docker refuses "
                                    "duplicate entries", item.pos))
        seen.add(text)
        key, sep, value = text.partition("=")
        # an unknown item is only unknown where its unresolved reference sits
        unknown = item.unknown and bool(sep) and has_unresolved(value)
        out.items[key] = Scalar(value if sep else empty_value, item.pos, raw=item.raw,
                                unknown=unknown, interpolated=item.interpolated)
        out.key_pos[key] = item.pos
    return out


def _stringify_values(mapping: Mapping, keep_null: bool, what: str, problems: List[Problem]) -> None:
    """Label (and environment) values are strings in docker: ``80`` is ``"80"``."""
    for key, node in mapping.items.items():
        if not isinstance(node, Scalar):
            problems.append(Problem("compose", f"{what} {key!r} must be a string, number or null", node.pos))
            continue
        value = node.value
        if isinstance(value, str) or (value is None and keep_null):
            continue
        if isinstance(value, bool):
            problems.append(Problem("compose", f"{what} {key!r} is the boolean {go_string(value)}: "
                                    "docker accepts only a string, number or null; quote it", node.pos))
            continue
        mapping.items[key] = Scalar("" if value is None else go_string(value), node.pos, raw=node.raw,
                                    unknown=node.unknown, interpolated=node.interpolated)


def _key_value_section(parent: Mapping, key: str, empty_value, keep_null: bool,
                       problems: List[Problem]) -> None:
    node = parent.items.get(key)
    if isinstance(node, Sequence):
        parent.items[key] = _kv_list_to_mapping(node, empty_value, "label" if key == "labels" else key,
                                                problems)
    elif isinstance(node, Mapping):
        _stringify_values(node, keep_null, "the value of" if keep_null else "label", problems)
    elif isinstance(node, Scalar) and node.value is None:
        # `labels:` with every entry commented out: docker refuses the file
        problems.append(Problem("compose", f"{key} is empty (null): docker requires a mapping or a list; "
                                "remove the key or give it entries", parent.key_pos.get(key, node.pos)))
        del parent.items[key]
        parent.key_pos.pop(key, None)


def _port_range(text: str) -> Tuple[int, int]:
    # nat.ParsePortRange: "80" or "8000-8010", 16-bit, start <= end
    start_text, dash, end_text = text.partition("-")
    if not start_text.isdigit() or (dash and not end_text.isdigit()):
        raise ValueError
    start, end = int(start_text), int(end_text) if dash else int(start_text)
    if start > 65535 or end > 65535 or end < start:
        raise ValueError
    return start, end


def _split_port(text: str) -> Tuple[str, str, str, str]:
    """``[ip:][published:]target[/proto]`` -> (ip, published, target, proto), as nat.ParsePortSpec."""
    spec, _, proto = text.partition("/")
    parts = spec.split(":")
    target = parts[-1]
    if len(parts) == 1:
        return "", "", target, proto
    if len(parts) == 2:
        return "", parts[0], target, proto
    return ":".join(parts[:-2]), parts[-2], target, proto


# port mappings one service may expand to: ``1-65535:1-65535`` forty times would be 2.6
# million nodes; real stacks publish a few dozen ports at most
MAX_PORTS = 1024


def parse_short_port(text: str):
    """The parts of a short port syntax, without expanding its ranges; ValueError when invalid."""
    _ip, published, target, proto = _split_port(text)
    proto = (proto or "tcp").lower()
    if proto not in _PROTOCOLS or not target:
        raise ValueError(text)
    first, last = _port_range(target)
    host_first, host_last = _port_range(published) if published else (0, 0)
    if published and (last - first) != (host_last - host_first) and last != first:
        raise ValueError(text)  # two ranges of different sizes
    return published, proto, first, last, host_first, host_last


def short_port(item: Scalar, problems: List[Problem], room: int = MAX_PORTS) -> List[Node]:
    """``[ip:][published[-end]:]target[-end][/proto]`` -> long-form port mappings.

    ``room``: how many mappings the service may still expand to (see MAX_PORTS).
    """
    if isinstance(item.value, bool) or not isinstance(item.value, (str, int)):
        problems.append(Problem("compose", f"invalid port {item.raw!r}", item.pos))
        return []
    text = str(item.value)
    try:
        published, proto, first, last, host_first, host_last = parse_short_port(text)
    except ValueError:
        problems.append(Problem("compose", f"invalid port {text!r}", item.pos))
        return []
    count = (host_last - host_first + 1 if published and first == last else 1) * (last - first + 1)
    if count > room:
        problems.append(Problem("compose", f"port {text!r} expands to {count} port mappings; compose-policy "
                                f"reads at most {MAX_PORTS} per service (a limit against hostile input)", item.pos))
        return []
    configs = []
    for offset in range(last - first + 1):
        if not published:
            hosts: List[Optional[int]] = [None]
        elif first == last:  # one target, a range of published ports: one port each
            hosts = list(range(host_first, host_last + 1))
        else:
            hosts = [host_first + offset]
        for host in hosts:
            configs.append((f"{first + offset}/{proto}", first + offset, host))
    out: List[Node] = []
    # docker orders the ports of one entry by their "port/proto" text
    for _, target_port, host in sorted(configs, key=lambda c: c[0]):
        port = Mapping(item.pos)
        fields = {"mode": "ingress", "target": target_port}
        if host:
            fields["published"] = host
        fields["protocol"] = proto
        for key, value in fields.items():
            port.items[key] = Scalar(value, item.pos, raw=item.raw)
            port.key_pos[key] = item.pos
        out.append(port)
    return out


_PROPAGATIONS = {"private", "rprivate", "shared", "rshared", "slave", "rslave"}


def _file_path(source: str) -> bool:
    if source[0] in "./~":
        return True
    if len(source) == 1:
        return False
    return source.startswith("\\\\") or (source[0].isalpha() and source[1] == ":")  # windows pipes, drives


def _parse_volume(spec: str) -> Dict[str, Any]:
    """docker/cli's ParseVolume: ``[source:]target[:options]``. Raises ValueError."""
    if not spec:
        raise ValueError("invalid empty volume spec")
    if len(spec) <= 2:
        return {"type": "volume", "target": spec}
    volume: Dict[str, Any] = {}
    buffer = ""
    for char in spec + "\0":
        if char == ":" and len(buffer) == 1 and buffer.isalpha():
            buffer += char  # a windows drive letter
        elif char in ":\0":
            if not buffer:
                raise ValueError("empty section between colons")
            if "source" not in volume and char == "\0":
                volume["target"] = buffer
            elif "source" not in volume:
                volume["source"] = buffer
            elif "target" not in volume:
                volume["target"] = buffer
            elif char == ":":
                raise ValueError("too many colons")
            else:
                for option in buffer.split(","):
                    if option in ("ro", "rw"):
                        volume["read_only"] = option == "ro"
                    elif option == "nocopy":
                        volume["volume"] = {"nocopy": True}
                    elif option in _PROPAGATIONS:
                        volume["bind"] = {"propagation": option}
            buffer = ""
        else:
            buffer += char
    source = volume.get("source")
    kind = "bind" if source and _file_path(source) else "volume"
    ordered = {"type": kind}
    for key in ("source", "target", "read_only", "bind", "volume"):
        if key in volume and (key != "read_only" or volume[key]):
            ordered[key] = volume[key]
    return ordered


def _positioned(value: Any, item: Scalar) -> Node:
    if isinstance(value, dict):
        out = Mapping(item.pos)
        for key, child in value.items():
            out.items[key] = _positioned(child, item)
            out.key_pos[key] = item.pos
        return out
    return Scalar(value, item.pos, raw=item.raw, interpolated=item.interpolated)


def short_volume(item: Scalar, problems: Optional[List[Problem]] = None) -> Node:
    """``[source:]target[:ro,nocopy,rslave...]`` -> a long-form volume, as docker parses it."""
    try:
        return _positioned(_parse_volume(go_string(item.value)), item)
    except ValueError as exc:
        if problems is not None:
            problems.append(Problem("compose", f"invalid volume {item.value!r}: {exc}", item.pos))
        return item


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


def _shell_words(node: Scalar, problems: List[Problem]) -> Node:
    """A string command or entrypoint, split into words as docker does."""
    try:
        words = shell_words(node.value)
    except ValueError as exc:
        problems.append(Problem("compose", f"cannot split {node.value!r} into words: {exc}", node.pos))
        return node
    return Sequence(node.pos, [Scalar(word, node.pos, raw=node.raw, interpolated=node.interpolated)
                               for word in words])


def _environment_from(env: TypingMapping[str, str], service: Mapping) -> None:
    """An entry with no value, or an empty one, takes the deploying environment's value."""
    environment = service.items.get("environment")
    if not isinstance(environment, Mapping):
        return
    for key, node in environment.items.items():
        if isinstance(node, Scalar) and node.value in (None, "") and key in env:
            environment.items[key] = Scalar(env[key], node.pos, raw=node.raw, interpolated=True)


def normalize_service(service: Mapping, problems: List[Problem],
                      env: Optional[TypingMapping[str, str]] = None) -> Mapping:
    """The service of one file in docker's long forms; ``env`` is the deploying environment."""
    check_sections(service, problems)
    cast_interpolated(service, problems)
    items = service.items
    _key_value_section(service, "labels", "", False, problems)
    _key_value_section(service, "environment", None, True, problems)
    if env is not None:
        _environment_from(env, service)
    for key in ("command", "entrypoint"):
        node = items.get(key)
        if isinstance(node, Scalar) and isinstance(node.value, str) and not node.unknown:
            items[key] = _shell_words(node, problems)
    deploy = items.get("deploy")
    if isinstance(deploy, Mapping):
        _key_value_section(deploy, "labels", "", False, problems)
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
                long_ports.items.extend(short_port(item, problems, MAX_PORTS - len(long_ports.items)))
            else:
                long_ports.items.append(item)
        items["ports"] = long_ports
    volumes = items.get("volumes")
    if isinstance(volumes, Sequence):
        volumes.items = [short_volume(v, problems) if isinstance(v, Scalar) and v.value is not None
                         and not v.unknown else v for v in volumes.items]
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
