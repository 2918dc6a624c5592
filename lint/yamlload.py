"""Parse YAML into positioned nodes with libyaml (the C parser), not a round-trip loader.

The lint path composes nodes only, resolving plain scalars as the docker CLI's YAML
library (go-yaml v3) does: YAML 1.2 core types plus ``0555``-style octal, so ``22:22`` is
a string and ``yes`` is not a boolean. Duplicate keys are reported (docker refuses them)
and the last value is kept, so that the rest of the file can still be checked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional

import yaml

from compose_policy.interpolate import Interpolated, InvalidTemplate
from compose_policy.model import Mapping, Node, Position, Scalar, Sequence

try:  # libyaml's parser; the pure one only where no wheel exists
    from yaml import CBaseLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import BaseLoader as _Loader  # type: ignore


@dataclass
class Problem:
    """Input that cannot be read as intended: becomes a CP000 (yaml) or CP001 (compose) finding."""

    kind: str  # "yaml" or "compose"
    message: str
    pos: Position


@dataclass
class Document:
    path: str
    root: Optional[Node]
    problems: List[Problem] = field(default_factory=list)


_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_OCT_LEGACY = re.compile(r"[-+]?0[0-7]+")
_PREFIXED = re.compile(r"[-+]?0([xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


def resolve_plain(text: str) -> Any:
    """Type of an unquoted scalar, as go-yaml v3 decodes it into an interface value."""
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _OCT_LEGACY.fullmatch(text):
        return int(text.replace("0", "0o", 1) if text[0] == "0" else text[0] + "0o" + text[2:], 0)
    if _PREFIXED.fullmatch(text):
        return int(text, 0)
    if _FLOAT.fullmatch(text):
        return float(text)
    lowered = text.lower()
    if lowered in (".inf", "+.inf"):
        return math.inf
    if lowered == "-.inf":
        return -math.inf
    if lowered == ".nan":
        return math.nan
    return text


def _pos(path: str, mark) -> Position:
    return Position(path, mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, path: str, interpolate: Optional[Callable[[str], Interpolated]]):
        self.path = path
        self.interpolate = interpolate
        self.problems: List[Problem] = []
        self.memo: dict = {}

    def build(self, node) -> Node:
        # anchors/aliases share the composed node object: share our node too
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if isinstance(node, yaml.ScalarNode):
            result = self.scalar(node)
        elif isinstance(node, yaml.SequenceNode):
            result = Sequence(_pos(self.path, node.start_mark))
            self.memo[key] = result
            result.items = [self.build(child) for child in node.value]
        else:
            result = Mapping(_pos(self.path, node.start_mark))
            self.memo[key] = result
            self.mapping(node, result)
        self.memo[key] = result
        return result

    def scalar(self, node) -> Scalar:
        pos = _pos(self.path, node.start_mark)
        text = node.value
        if not node.style:  # plain (libyaml says '', the pure parser None)
            value = resolve_plain(text)
            if not isinstance(value, str):
                return Scalar(value, pos, raw=text)
        if self.interpolate is None or "$" not in text:
            return Scalar(text, pos, raw=text)
        try:
            result = self.interpolate(text)
        except InvalidTemplate as exc:
            self.problems.append(Problem("compose", str(exc), pos))
            return Scalar(text, pos, raw=text, unknown=True)
        return Scalar(result.value, pos, raw=text, unknown=result.unknown, interpolated=result.changed)

    def mapping(self, node, into: Mapping) -> None:
        merges = []
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == "<<" and not key_node.style:
                merges.append(value_node)
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                self.problems.append(Problem("compose", "a mapping key must be a scalar",
                                             _pos(self.path, key_node.start_mark)))
                continue
            key = key_node.value
            key_pos = _pos(self.path, key_node.start_mark)
            if key in into.items:
                first = into.key_pos[key]
                self.problems.append(Problem(
                    "yaml", f'mapping key "{key}" already defined at line {first.line}; '
                    "docker stack deploy rejects this file", key_pos))
            into.items[key] = self.build(value_node)
            into.key_pos[key] = key_pos
        # merge keys (<<): explicit keys win, earlier merge sources win over later ones
        for source in merges:
            sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
            for src in sources:
                built = self.build(src)
                if not isinstance(built, Mapping):
                    self.problems.append(Problem("yaml", "a merge key (<<) needs a mapping", built.pos))
                    continue
                for key, value in built.items.items():
                    if key not in into.items:
                        into.items[key] = value
                        into.key_pos[key] = built.key_pos.get(key, value.pos)


def load_document(text: str, path: str,
                  interpolate: Optional[Callable[[str], Interpolated]] = None) -> Document:
    """Compose the first YAML document of ``text``; syntax errors become problems."""
    try:
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        pos = _pos(path, mark) if mark else Position(path, 1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        return Document(path, None, [Problem("yaml", message or "invalid YAML", pos)])
    except yaml.YAMLError as exc:
        if "expected a single document" in str(exc):
            return _first_of_many(text, path, interpolate)
        return Document(path, None, [Problem("yaml", str(exc).splitlines()[0], Position(path, 1, 1))])
    if node is None:
        return Document(path, None, [])
    builder = _Builder(path, interpolate)
    root = builder.build(node)
    return Document(path, root, builder.problems)


def _first_of_many(text: str, path: str, interpolate) -> Document:
    # go-yaml decodes the first document of a stream; so do we, and say so
    nodes = yaml.compose_all(text, Loader=_Loader)
    first = next(nodes)
    builder = _Builder(path, interpolate)
    root = builder.build(first) if first is not None else None
    problems = builder.problems + [Problem(
        "compose", "the file holds several YAML documents; docker reads only the first",
        Position(path, 1, 1))]
    return Document(path, root, problems)
