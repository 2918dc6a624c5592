"""Parse YAML into positioned nodes with libyaml (the C parser), not a round-trip loader.

The lint path composes nodes only, resolving plain scalars as the docker CLI's YAML
library (go-yaml v3) does: YAML 1.2 core types plus ``0555``-style octal, so ``22:22`` is
a string and ``yes`` is not a boolean. Duplicate keys are reported (docker refuses them)
and the last value is kept, so that the rest of the file can still be checked.
"""

from __future__ import annotations

import math
import re

import yaml

from compose_policy.interpolate import Interpolated, InvalidTemplate
from compose_policy.model import Mapping, Node, Position, Scalar, Sequence

try:  # libyaml's parser; the pure one (thirty times slower) only where no wheel exists
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover
    from yaml import BaseLoader as _Parser  # type: ignore

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Callable, List, Optional


class _Loader(_Parser):
    """Composes nodes and leaves their tags alone: typing is resolve_plain's job.

    The composer asks the resolver about every node; these answers skip PyYAML's.
    """

    def resolve(self, kind, value, implicit):
        return ""

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


class Problem:
    """Input that cannot be read as intended: becomes a CP000 (yaml) or CP001 (compose) finding."""

    __slots__ = ("kind", "message", "pos")

    def __init__(self, kind: str, message: str, pos: Position):
        self.kind = kind  # "yaml" or "compose"
        self.message = message
        self.pos = pos

    def __eq__(self, other):
        return isinstance(other, Problem) and (self.kind, self.message, self.pos) == (
            other.kind, other.message, other.pos)

    def __repr__(self) -> str:
        return f"Problem({self.kind!r}, {self.message!r}, {self.pos})"


class Document:
    """One parsed file: its root node (None when unreadable) and its problems."""

    __slots__ = ("path", "root", "problems")

    def __init__(self, path: str, root: Optional[Node], problems: Optional[List[Problem]] = None):
        self.path = path
        self.root = root
        self.problems: List[Problem] = problems if problems is not None else []

    def __repr__(self) -> str:
        return f"Document({self.path!r}, {len(self.problems)} problems)"


_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_SPECIAL_FLOATS = {
    ".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
    ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
    "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
    "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf,
}
_DIGITS = {16: set("0123456789abcdefABCDEF"), 10: set("0123456789"), 8: set("01234567"), 2: set("01")}
_INT64 = 1 << 63


def _go_int(text: str) -> Optional[int]:
    """Go's ``strconv.ParseInt(text, 0, 64)``, falling back to ParseUint, or None."""
    sign, body = 1, text
    if body[:1] in "+-":
        sign, body = (-1 if body[0] == "-" else 1), body[1:]
    base, digits = 10, body
    if len(body) > 1 and body[0] == "0":
        prefix = body[1]
        if prefix in "xX":
            base, digits = 16, body[2:]
        elif prefix in "oO":
            base, digits = 8, body[2:]
        elif prefix in "bB":
            base, digits = 2, body[2:]
        else:
            base, digits = 8, body[1:]  # legacy 0555 octal
    if not digits or not set(digits) <= _DIGITS[base]:
        return None
    value = sign * int(digits, base)
    if -_INT64 <= value < _INT64 or (text[0] != "-" and text[0] != "+" and 0 <= value < 2 * _INT64):
        return value
    return None


def resolve_plain(text: str) -> Any:
    """Type of an unquoted scalar, as go-yaml v3 decodes it into an interface value.

    YAML 1.2 core types, plus what go-yaml keeps for compatibility: ``0555`` octal and
    underscores in numbers (``1_000``). ``yes``/``on`` and ``22:22`` stay strings.
    """
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    first = text[0]
    if first == ".":
        try:
            return float(text) if _FLOAT.fullmatch(text) else text
        except ValueError:  # pragma: no cover - the pattern admits floats only
            return text
    if first in "+-0123456789":
        plain = text.replace("_", "")
        if plain:
            number = _go_int(plain)
            if number is not None:
                return number
            if _FLOAT.fullmatch(plain):
                return float(plain)
    return text


# Bounds against hostile input. Nesting: each level costs a few Python frames in every tree
# walk (building, normalizing, merging); no compose file nests beyond a dozen levels.
MAX_DEPTH = 100
# Aliases: go-yaml's own limit, so that what docker refuses as "excessive aliasing" (an
# alias bomb: a 1 KB file that expands to billions of nodes) is refused here too
_ALIAS_RATIO_LOW, _ALIAS_RATIO_HIGH = 400_000, 4_000_000
_SATURATE = 1 << 40  # expanded sizes stop growing here: no big integers from a bomb


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v3 decode.go allowedAliasRatio: 99% for small documents, down to 10%."""
    if decoded <= _ALIAS_RATIO_LOW:
        return 0.99
    if decoded >= _ALIAS_RATIO_HIGH:
        return 0.10
    return 0.99 - 0.89 * (decoded - _ALIAS_RATIO_LOW) / (_ALIAS_RATIO_HIGH - _ALIAS_RATIO_LOW)


# libyaml's anchor names: ASCII letters, digits, "_" and "-" (``&a:`` is the anchor "a")
_ANCHOR = re.compile(r"(?:^|[\s\[{,])&([0-9A-Za-z_-]+)")
_ALIAS = re.compile(r"(?:^|[\s\[{,])\*([0-9A-Za-z_-]+)")


def _may_alias(text: str) -> bool:
    """Whether the text may hold an alias of an anchor it defines (a superset: a ``*x`` in
    a quoted string counts too)."""
    if "*" not in text or "&" not in text:
        return False
    anchors = set(_ANCHOR.findall(text))
    return bool(anchors) and any(name in anchors for name in _ALIAS.findall(text))


def _children(node) -> list:
    if isinstance(node, yaml.MappingNode):
        return [child for pair in node.value for child in pair]
    if isinstance(node, yaml.SequenceNode):
        return node.value
    return []


def graph_problem(root, path: str) -> Optional[Problem]:
    """A composed document that cannot be walked safely: an anchor that contains itself,
    nesting deeper than MAX_DEPTH, or excessive aliasing. One iterative pass, each node
    once, so that the check itself cannot blow up."""
    size: dict = {}  # id -> expanded node count (aliases expanded), once finished
    height: dict = {}
    refs: dict = {}  # id -> how often the node is referenced: more than once means aliased
    nodes: dict = {}
    on_path = set()
    scalar_type = yaml.ScalarNode
    stack = [(root, 1, None)]
    while stack:
        node, depth, children = stack.pop()
        key = id(node)
        if children is not None:  # all children done: this node's totals
            total, tallest = 1, 0
            for child in children:
                child_key = id(child)
                total += size[child_key]
                if height[child_key] > tallest:
                    tallest = height[child_key]
            size[key] = total if total < _SATURATE else _SATURATE
            height[key] = tallest + 1
            on_path.discard(key)
            continue
        refs[key] = refs.get(key, 0) + 1
        if key in size:  # seen before: an alias
            if depth + height[key] - 1 > MAX_DEPTH:
                return _too_deep(path, node)
            continue
        if key in on_path:
            return Problem("yaml", "an anchor's value contains an alias of itself; docker refuses the file",
                           _pos(path, node.start_mark))
        nodes[key] = node
        if type(node) is scalar_type:
            size[key] = height[key] = 1
            continue
        if depth > MAX_DEPTH:
            return _too_deep(path, node)
        children = _children(node)
        on_path.add(key)
        stack.append((node, depth, children))
        stack.extend((child, depth + 1, None) for child in reversed(children))
    decoded = size[id(root)]
    aliased = decoded - len(size)
    if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
        # the likeliest culprit: the aliased node that adds the most nodes
        worst = max((k for k, count in refs.items() if count > 1), key=lambda k: size[k] * (refs[k] - 1))
        return Problem("yaml", f"excessive aliasing: the anchors expand to {decoded} nodes from {len(size)}; "
                       "docker refuses the file (an alias bomb?)", _pos(path, nodes[worst].start_mark))
    return None


class _TooDeep(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


def _too_deep(path: str, node) -> Problem:
    return Problem("yaml", f"nested deeper than {MAX_DEPTH} levels; compose-policy does not read such a file "
                   "(a limit against hostile input)", _pos(path, node.start_mark))


def _pos(path: str, mark) -> Position:
    return Position(path, mark.line + 1, mark.column + 1)


class _Builder:
    """Turns composed libyaml nodes into positioned nodes: the hottest loop of a lint.

    It runs once per YAML node of every file, so it is written for speed: type checks by
    identity, positions made inline, and the alias memo kept only for a text that has
    aliases (without a ``*`` no two composed nodes are shared).
    """

    def __init__(self, path: str, interpolate: Optional[Callable[[str], Interpolated]], shared: bool = True):
        self.path = path
        self.interpolate = interpolate
        self.problems: List[Problem] = []
        self.memo: Optional[dict] = {} if shared else None

    def build(self, node, depth: int = 1) -> Node:
        memo = self.memo
        if memo is not None:  # anchors/aliases share the composed node object: share our node too
            key = id(node)
            if key in memo:
                return memo[key]
        kind = type(node)
        if kind is _ScalarNode:
            result = self.scalar(node)
        elif depth > MAX_DEPTH:  # without aliases this is the only walk that sees the depth
            raise _TooDeep(_too_deep(self.path, node))
        else:
            mark = node.start_mark
            pos = Position(self.path, mark.line + 1, mark.column + 1)
            if kind is _SequenceNode:
                result = Sequence(pos)
                if memo is not None:
                    memo[key] = result
                build = self.build
                result.items = [build(child, depth + 1) for child in node.value]
            else:
                result = Mapping(pos)
                if memo is not None:
                    memo[key] = result
                self.mapping(node, result, depth)
        if memo is not None:
            memo[key] = result
        return result

    def scalar(self, node) -> Scalar:
        mark = node.start_mark
        pos = Position(self.path, mark.line + 1, mark.column + 1)
        text = node.value
        if not node.style:  # plain (libyaml says '', the pure parser None)
            value = resolve_plain(text)
            if value.__class__ is not str:
                return Scalar(value, pos, raw=text)
        if self.interpolate is None or "$" not in text:
            return Scalar(text, pos, raw=text)
        try:
            result = self.interpolate(text)
        except InvalidTemplate as exc:
            self.problems.append(Problem("compose", str(exc), pos))
            return Scalar(text, pos, raw=text, unknown=True)
        # an unknown value keeps the known substitutions: a label key stays readable
        return Scalar(result.best, pos, raw=text, unknown=result.unknown, interpolated=result.changed)

    def mapping(self, node, into: Mapping, depth: int = 1) -> None:
        merges = []
        path, build, items, key_positions = self.path, self.build, into.items, into.key_pos
        for key_node, value_node in node.value:
            if type(key_node) is not _ScalarNode:
                self.problems.append(Problem("compose", "a mapping key must be a scalar",
                                             _pos(path, key_node.start_mark)))
                continue
            key = key_node.value
            plain = not key_node.style
            if plain and key == "<<":
                merges.append(value_node)
                continue
            mark = key_node.start_mark
            key_pos = Position(path, mark.line + 1, mark.column + 1)
            if plain and resolve_plain(key).__class__ is not str:
                # go-yaml gives such a key its type, and docker then refuses the file
                self.problems.append(Problem(
                    "compose", f"mapping key {key or 'null'} is not a string; quote it", key_pos))
            if key in items:
                first = key_positions[key]
                self.problems.append(Problem(
                    "yaml", f'mapping key "{key}" already defined at line {first.line}; '
                    "docker stack deploy rejects this file", key_pos))
            items[key] = build(value_node, depth + 1)
            key_positions[key] = key_pos
        # merge keys (<<): explicit keys win, earlier merge sources win over later ones
        for source in merges:
            sources = source.value if isinstance(source, yaml.SequenceNode) else [source]
            if not all(isinstance(src, yaml.MappingNode) for src in sources):
                self.problems.append(Problem("yaml", "a merge key (<<) needs a mapping or a list of "
                                             "mappings", _pos(path, source.start_mark)))
                continue
            for src in sources:
                built = build(src, depth)
                for key, value in built.items.items():
                    if key not in items:
                        items[key] = value
                        key_positions[key] = built.key_pos.get(key, value.pos)


_ScalarNode, _SequenceNode = yaml.ScalarNode, yaml.SequenceNode


def _error_pos(path: str, text: str, exc: "yaml.MarkedYAMLError") -> Position:
    """Where a syntax error is: where the parser stopped, unless that is past the culprit.

    A key missing its ``:`` is noticed on a later line, and an unclosed quote or bracket at
    the end of the file; then the start of the construct is the line to fix.
    """
    mark, context = exc.problem_mark, exc.context_mark
    if context is not None and (mark is None or mark.index >= len(text)
                                or "could not find expected ':'" in (exc.problem or "")):
        mark = context
    return _pos(path, mark) if mark is not None else Position(path, 1, 1)


def load_document(text: str, path: str,
                  interpolate: Optional[Callable[[str], Interpolated]] = None) -> Document:
    """Compose the first YAML document of ``text``; syntax errors become problems.

    go-yaml decodes only the first document of a stream, so docker ignores any later one,
    even a broken one; so do we, and say so.
    """
    loader = _Loader(text)
    try:
        try:
            node = loader.get_node() if loader.check_node() else None
        except yaml.MarkedYAMLError as exc:
            message = " ".join(part for part in (exc.context, exc.problem) if part)
            return Document(path, None, [Problem("yaml", message or "invalid YAML", _error_pos(path, text, exc))])
        except yaml.YAMLError as exc:
            return Document(path, None, [Problem("yaml", str(exc).splitlines()[0], Position(path, 1, 1))])
        later = _later_document(loader, path)
    finally:
        loader.dispose()
    problems = []
    root = None
    # an anchor that contains itself, or an alias bomb, needs an alias of a defined anchor:
    # the graph check is for those files only, the others pay a text search
    unsafe = graph_problem(node, path) if node is not None and _may_alias(text) else None
    if unsafe is not None:
        return Document(path, None, [unsafe])
    if node is not None:
        builder = _Builder(path, interpolate, shared="*" in text)
        try:
            root = builder.build(node)
        except _TooDeep as exc:
            return Document(path, None, [exc.problem])
        problems = builder.problems
    if later is not None:
        problems.append(Problem("compose", "the file holds several YAML documents; docker reads only the "
                                "first and ignores this one", later))
    return Document(path, root, problems)


def _later_document(loader, path: str) -> Optional[Position]:
    """Where a second document starts, if there is one."""
    try:
        if not loader.check_node():
            return None
        return _pos(path, loader.peek_event().start_mark)
    except yaml.MarkedYAMLError as exc:
        return _pos(path, exc.problem_mark or exc.context_mark) if (exc.problem_mark or exc.context_mark) \
            else Position(path, 1, 1)
    except yaml.YAMLError:
        return Position(path, 1, 1)
