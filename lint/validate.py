"""Refuse in one compose file what ``docker stack deploy`` refuses: CP001, with docker's reason.

Checks each file as docker/cli does before merging: the version it declares, its keys and
value types against the schema of that version (compose_schema), service names, interpolated
text in typed fields that does not cast, and the decoding docker does next (counts that do not
fit an unsigned integer, durations that overflow). Every problem points at the key or value to
fix; its message leads with the problem, and docker's own wording follows in the detail.
"""

from __future__ import annotations

from compose_policy.compose_schema import (DEFAULT_VERSION, EXTENSIONS_SINCE, EXTRA_SINCE, KIND_SINCE, ROOT, SINCE,
                                           SUPPORTED_VERSIONS, UNIQUE_BEFORE, Spec)
from compose_policy.casts import FILE_CASTS
from compose_policy.goconv import go_string, to_bool
from compose_policy.model import Mapping, Node, Position, Scalar, Sequence
from compose_policy.units import parse_duration
from compose_policy.yamlload import Document, Problem

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import List, Optional, Tuple

REFUSED = "docker stack deploy refuses the file"
_MAX_NS = (1 << 63) - 1
# decoded into unsigned integers after validation: a negative one is refused
_UNSIGNED = {
    ("services", "*", "deploy", "replicas"), ("services", "*", "deploy", "update_config", "parallelism"),
    ("services", "*", "deploy", "rollback_config", "parallelism"),
    ("services", "*", "deploy", "restart_policy", "max_attempts"), ("services", "*", "healthcheck", "retries"),
    ("services", "*", "deploy", "placement", "max_replicas_per_node"),
    ("services", "*", "ports", "[]", "target"), ("services", "*", "ports", "[]", "published"),
    ("services", "*", "secrets", "[]", "mode"), ("services", "*", "configs", "[]", "mode"),
}
_PORT_ITEM = ("services", "*", "ports", "[]")
_SCALAR_CHECKS = _UNSIGNED | {_PORT_ITEM}  # scalars with a check beyond their kind
_KIND_NAMES = {"string": "a string", "integer": "an integer", "number": "a number", "boolean": "a boolean",
               "null": "null", "mapping": "a mapping", "list": "a list"}
# docker names the kinds of a multi-type field in the schema's order
_KIND_ORDER = ("string", "number", "integer", "boolean", "null", "mapping", "list")


class SchemaProblem(Problem):
    """A CP001 problem with docker's own message as its detail."""

    __slots__ = ("detail",)

    def __init__(self, message: str, pos: Position, detail: str = ""):
        super().__init__("compose", message, pos)
        self.detail = detail


def _kind(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    return "string"


def node_kind(node: Node) -> str:
    if isinstance(node, Mapping):
        return "mapping"
    if isinstance(node, Sequence):
        return "list"
    return _kind(node.value) if isinstance(node, Scalar) else "string"


def _accepts(kinds, kind: str) -> bool:
    return kind in kinds or (kind == "integer" and "number" in kinds)


def _expected(kinds) -> str:
    names = [_KIND_NAMES[k] for k in _KIND_ORDER if k in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _docker_expected(kinds) -> str:
    """docker's wording: "must be a string, number or null"."""
    names = [{"mapping": "mapping", "list": "list"}.get(k, k) for k in _KIND_ORDER if k in kinds]
    return "a " + (names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1])


def _version_key(version: str) -> Tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


def _shown(path: Tuple[str, ...]) -> str:
    return ".".join(path) if path else "(root)"


_KEY_BUDGET = 2000  # nodes read to compare two list items; a bigger item counts as unique


def _plain_key(node: Node):
    """A list item as docker compares items for uniqueness, or None when it is too big to say.

    Walked with a budget and no recursion: an alias bomb or a deep nest costs at most the budget.
    """
    parts: list = []
    stack = [node]
    budget = _KEY_BUDGET
    while stack:
        budget -= 1
        if budget < 0:
            return None
        current = stack.pop()
        if isinstance(current, Scalar):
            parts.append(("s", _kind(current.value), current.value))
        elif isinstance(current, Mapping):
            parts.append(("m", len(current.items)))
            for key in sorted(current.items, reverse=True):
                stack.append(current.items[key])
                stack.append(Scalar(key, current.pos))
        elif isinstance(current, Sequence):
            parts.append(("l", len(current.items)))
            stack.extend(reversed(current.items))
    return tuple(parts)


class _Validator:
    def __init__(self, version: str, matches: Optional[dict] = None):
        self.version = _version_key(version)
        self.version_text = version
        self.problems: List[Problem] = []
        # an anchor's node is checked once against a spec, however many aliases repeat it
        self.checked = set()
        self.matches = {} if matches is None else matches  # (node, alternative) -> matches

    def refuse(self, at: Position, message: str, detail: str) -> None:
        self.problems.append(SchemaProblem(message, at, f"{detail}: {REFUSED}"))

    # --- the walk ------------------------------------------------------------------------
    def check(self, node: Node, spec: Spec, path: Tuple[str, ...], pattern: Tuple[str, ...]) -> None:
        if type(node) is Scalar:  # most nodes: no memo, no dispatch
            if node.unknown:
                return  # needs a variable with no value: cannot tell
            if node.interpolated and type(node.value) is str:
                node = self._cast(node, path, pattern)
                if node is None:
                    return
            if spec.one_of:
                self._one_of(node, spec, path, pattern)
                return
            kind = _kind(node.value)
        else:
            seen = (id(node), id(spec), pattern)
            if seen in self.checked:
                return
            self.checked.add(seen)
            if spec.one_of:
                self._one_of(node, spec, path, pattern)
                return
            kind = node_kind(node)
        if spec.kinds and kind not in spec.kinds and not (kind == "integer" and "number" in spec.kinds):
            self.refuse(node.pos, f"{_shown(path)} must be {_expected(spec.kinds)}, not {_KIND_NAMES[kind]}",
                        f"{_shown(path)} must be {_docker_expected(spec.kinds)}")
            return
        if kind == "mapping":
            self._mapping(node, spec, path, pattern)
        elif kind == "list":
            self._sequence(node, spec, path, pattern)
        elif spec.fmt or spec.enum or pattern in _SCALAR_CHECKS:
            self._scalar(node, spec, path, pattern)

    def _cast(self, node: Scalar, path, pattern) -> Optional[Scalar]:
        cast = FILE_CASTS.get(pattern)
        if cast is None:
            return node
        try:
            return Scalar(cast(node.value), node.pos, raw=node.raw, interpolated=True)
        except ValueError:
            self.refuse(node.pos, f"{_shown(path)}: {node.value!r} (from {node.raw!r}) is not "
                        f"{'a boolean' if cast is to_bool else 'a number'}",
                        f"error while interpolating {_shown(pattern).replace('.*.', '.').replace('*', '')}: "
                        "failed to cast to expected type")
            return None

    def _matches(self, node: Node, spec: Spec, path, pattern) -> bool:
        key = (id(node), id(spec), pattern)
        if key not in self.matches:
            trial = _Validator(self.version_text, self.matches)
            trial.check(node, spec, path, pattern)
            self.matches[key] = not trial.problems
        return self.matches[key]

    def _one_of(self, node: Node, spec: Spec, path, pattern) -> None:
        kind = node_kind(node)
        since = KIND_SINCE.get((pattern, kind))
        if since and self.version < _version_key(since):
            kinds = frozenset(k for alt in spec.one_of for k in alt.kinds) - {kind}
            self.refuse(node.pos, f"{_shown(path)}: the {kind} form needs compose version {since}, the file "
                        f"says {self.version_text}", f"{_shown(path)} must be {_docker_expected(kinds)}")
            return
        # the alternatives of docker's schema differ by kind: the value's kind picks its one
        same_kind = [alt for alt in spec.one_of if alt.one_of or _accepts(alt.kinds, kind)]
        if len(same_kind) == 1:
            self.check(node, same_kind[0], path, pattern)
            return
        if same_kind and sum(self._matches(node, alt, path, pattern) for alt in same_kind) == 1:
            return
        if same_kind:
            self.check(node, same_kind[0], path, pattern)  # the first it could have meant: its reason
            return
        kinds = frozenset(k for alt in spec.one_of for k in alt.kinds)
        self.refuse(node.pos, f"{_shown(path)} must be {_expected(kinds)}, not {_KIND_NAMES[kind]}",
                    f"{_shown(path)} must be {_docker_expected(kinds)}")

    def _scalar(self, node: Scalar, spec: Spec, path, pattern) -> None:
        value = node.value
        if spec.fmt == "duration" and isinstance(value, str) and not _is_go_duration(value):
            self.refuse(node.pos, f"{_shown(path)}: {value!r} is not a duration (like 30s, 1m30s)",
                        f"{_shown(path)} Does not match format 'duration'")
        elif spec.enum and value not in spec.enum:
            choices = ", ".join(f'"{c}"' for c in spec.enum)
            self.refuse(node.pos, f"{_shown(path)}: {go_string(value)!r} is not one of {', '.join(spec.enum)}",
                        f"{_shown(path)} must be one of the following: {choices}")
        elif pattern in _UNSIGNED and isinstance(value, (int, float)) and not isinstance(value, bool) \
                and value < 0:
            self.refuse(node.pos, f"{_shown(path)}: {go_string(value)} is negative",
                        f"cannot parse '{_shown(path)}', {go_string(value)} overflows uint")

        if pattern == _PORT_ITEM and not isinstance(value, str):
            if isinstance(value, float) and not value.is_integer():
                self.refuse(node.pos, f"{_shown(path)}: invalid port {go_string(value)}",
                            f"cannot parse '{_shown(path)}': decoding failed")
            elif not 0 <= value <= 65535:
                self.refuse(node.pos, f"{_shown(path)}: invalid port {go_string(value)}",
                            f"{_shown(path)} Does not match format 'ports'")
        elif pattern == _PORT_ITEM and not _is_port_spec(node):
            self.refuse(node.pos, f"{_shown(path)}: invalid port {value!r}",
                        f"{_shown(path)} Does not match format 'ports'")

    def _mapping(self, node: Mapping, spec: Spec, path, pattern) -> None:
        for key in spec.required:
            if key not in node.items:
                self.refuse(node.pos, f"{_shown(path)} needs {key}", f"{_shown(path)} {key} is required")
        for key, child in node.items.items():
            key_pos = node.key_pos.get(key, child.pos)
            sub, sub_pattern = path + (key,), pattern + (key,)
            if key in spec.props:
                since = SINCE.get(sub_pattern)
                if since and self.version < _version_key(since):
                    self.refuse(key_pos, f"{key} needs compose version {since}, the file says "
                                f"{self.version_text}", f"{_shown(path)} Additional property {key} is not allowed")
                    continue
                self.check(child, spec.props[key], sub, sub_pattern)
                continue
            if spec.extensions and key.startswith("x-"):
                since = EXTENSIONS_SINCE.get(pattern)
                if since and self.version < _version_key(since):
                    self.refuse(key_pos, f"{key}: x- keys here need compose version {since}, the file says "
                                f"{self.version_text}", f"{_shown(path)} Additional property {key} is not allowed")
                continue
            if spec.extra is True:
                since = EXTRA_SINCE.get(pattern)
                if not since or self.version >= _version_key(since):
                    continue
                self._unknown_key(key, key_pos, spec, path, named=False)
            elif spec.extra is not False and (spec.key_pattern is None or spec.key_pattern.fullmatch(key)):
                self.check(child, spec.extra, sub, pattern + ("*",))
            else:
                self._unknown_key(key, key_pos, spec, path)

    def _unknown_key(self, key: str, at: Position, spec: Spec, path, named: bool = True) -> None:
        detail = f"{_shown(path)} Additional property {key} is not allowed"
        if named and spec.key_pattern is not None and spec.extra is not False:
            what = {"services": "service", "volumes": "volume", "secrets": "secret", "configs": "config",
                    "networks": "network"}.get(path[-1] if path else "", "name")
            self.refuse(at, f"invalid {what} name {key!r}: only letters, digits, '.', '_' and '-'", detail)
            return
        import difflib  # only on this error path

        close = difflib.get_close_matches(key, sorted(spec.props), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        self.refuse(at, f"unknown key {key!r} in {_shown(path)}{hint}", detail)

    def _sequence(self, node: Sequence, spec: Spec, path, pattern) -> None:
        if spec.items is not None:
            for index, item in enumerate(node.items):
                self.check(item, spec.items, path + (str(index),), pattern + ("[]",))
        before = UNIQUE_BEFORE.get(pattern)
        unique = spec.unique or (before is not None and self.version < _version_key(before))
        if unique and not any(isinstance(i, Scalar) and i.unknown for i in node.items):
            seen = {}
            for index, item in enumerate(node.items):
                key = _plain_key(item)
                if key is None:
                    continue
                if key in seen:
                    self.refuse(item.pos, f"{_shown(path)}: item {index} repeats item {seen[key]}",
                                f"{_shown(path)} array items[{seen[key]},{index}] must be unique")
                    return
                seen[key] = index


def _is_port_spec(node: Scalar) -> bool:
    """docker's "ports" format: nat.ParsePortSpec, whose host IP must be an IP address."""
    from compose_policy.normalize import _split_port, parse_short_port

    if isinstance(node.value, bool) or not isinstance(node.value, (str, int)):
        return False
    try:  # syntax only: expanding a range is normalize's job, under its own limit
        parse_short_port(str(node.value))
    except ValueError:
        return False
    ip = _split_port(node.value)[0]
    if ip.startswith("[") and ip.endswith("]"):
        ip = ip[1:-1]
    if not ip:
        return True
    import ipaddress  # only for the rare port bound to an address

    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True


def _is_go_duration(text: str) -> bool:
    try:
        seconds = parse_duration(text)
    except ValueError:
        return False
    return abs(seconds) * 1e9 <= _MAX_NS  # Go's ParseDuration refuses what overflows int64 nanoseconds


def declared_version(doc: Document) -> Tuple[str, Optional[Node]]:
    """The compose version a file declares, as docker normalizes it, and its node."""
    root = doc.root
    node = root.get("version") if isinstance(root, Mapping) else None
    if node is None:
        return DEFAULT_VERSION, None
    text = go_string(node.value) if isinstance(node, Scalar) and node.value is not None else ""
    return (DEFAULT_VERSION if text in ("", "3") else text), node


def validate_document(doc: Document) -> List[Problem]:
    """docker's refusals of one file, before any merge; [] for a file docker accepts."""
    if not isinstance(doc.root, Mapping):
        return []
    version, node = declared_version(doc)
    if node is not None and isinstance(node, Scalar) and not isinstance(node.value, str) \
            and node.value is not None:
        return [SchemaProblem(f"version must be a string: write \"{go_string(node.value)}\" in quotes",
                              node.pos, f"version must be a string: {REFUSED}")]
    if version not in SUPPORTED_VERSIONS:
        at = node.pos if node is not None else doc.root.pos
        return [SchemaProblem(f"unsupported compose file version {version}",
                              at, f"unsupported Compose file version: {version}: {REFUSED}")]
    validator = _Validator(version)
    validator.check(doc.root, ROOT, (), ())
    return validator.problems


def version_mismatches(documents: List[Document]) -> List[Problem]:
    """docker refuses a file set whose files declare different versions (none counts as 3.13)."""
    problems: List[Problem] = []
    first = None
    for doc in documents:
        if not isinstance(doc.root, Mapping):
            continue
        version, node = declared_version(doc)
        if first is None:
            first = version
        elif version != first:
            at = node.pos if node is not None else doc.root.pos
            problems.append(SchemaProblem(
                f"compose version {version} differs from the first file's {first}", at,
                f"version mismatched between two composefiles : {first} and {version}: {REFUSED}"))
    return problems
