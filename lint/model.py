"""The data every layer shares: positioned YAML values, services, stacks, findings, fixes.

Each value read from a compose file remembers where it came from, so that a finding on a
merged stack can still point at the exact file, line and column that decided it.
"""

from __future__ import annotations

import enum

from compose_policy.record import Frozen, Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, Iterator, List, Optional, Tuple


class Position(Frozen):
    _fields = ("path", "line", "column")

    def __init__(self, path: str, line: int, column: int):  # line and column are 1-based
        # one per YAML node: stored straight into the instance dict (what Frozen._set does,
        # without its keyword dict and three object.__setattr__ calls)
        fields = self.__dict__
        fields["path"] = path
        fields["line"] = line
        fields["column"] = column

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}"


class Node:
    """A value from a compose file with the position it was written at."""

    __slots__ = ("pos",)

    def __init__(self, pos: Position):
        self.pos = pos

    def plain(self) -> Any:
        raise NotImplementedError


class Scalar(Node):
    """A scalar after interpolation.

    ``raw`` is the text as written; ``unknown`` is true when it referenced a variable
    with no value anywhere, in which case ``value`` is the text with the known variables
    substituted and the unknown references left as written, and rules must treat it as
    "cannot tell".
    """

    __slots__ = ("value", "raw", "unknown", "interpolated")

    def __init__(self, value: Any, pos: Position, raw: Optional[str] = None,
                 unknown: bool = False, interpolated: bool = False):
        self.pos = pos  # Node.__init__ inline: one Scalar per YAML scalar
        self.value = value
        self.raw = raw if raw is not None else value
        self.unknown = unknown
        self.interpolated = interpolated

    def plain(self) -> Any:
        return self.value

    def __repr__(self) -> str:
        flag = " unknown" if self.unknown else ""
        return f"Scalar({self.value!r}{flag} @ {self.pos})"


class Mapping(Node):
    __slots__ = ("items", "key_pos")

    def __init__(self, pos: Position, items: Optional[Dict[str, Node]] = None,
                 key_pos: Optional[Dict[str, Position]] = None):
        self.pos = pos
        self.items: Dict[str, Node] = items if items is not None else {}
        self.key_pos: Dict[str, Position] = key_pos if key_pos is not None else {}

    def get(self, *path: str) -> Optional[Node]:
        node: Optional[Node] = self
        for key in path:
            if not isinstance(node, Mapping):
                return None
            node = node.items.get(key)
        return node

    def value(self, *path: str, default: Any = None) -> Any:
        """The plain value at ``path`` or ``default``; unknown scalars count as absent."""
        node = self.get(*path)
        if node is None or (isinstance(node, Scalar) and node.unknown):
            return default
        return node.plain()

    def __contains__(self, key: str) -> bool:
        return key in self.items

    def plain(self) -> Dict[str, Any]:
        return {k: v.plain() for k, v in self.items.items()}

    def __repr__(self) -> str:
        return f"Mapping({list(self.items)} @ {self.pos})"


class Sequence(Node):
    __slots__ = ("items",)

    def __init__(self, pos: Position, items: Optional[List[Node]] = None):
        self.pos = pos
        self.items: List[Node] = items if items is not None else []

    def plain(self) -> List[Any]:
        return [v.plain() for v in self.items]

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"Sequence({len(self.items)} @ {self.pos})"


class Severity(enum.IntEnum):
    INFO = 1
    WARNING = 2
    ERROR = 3

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected error, warning or info)") from None

    def __str__(self) -> str:
        return self.name.lower()


class Applicability(str, enum.Enum):
    """How safe a fix is to apply without review (the ruff grading)."""

    SAFE = "safe"
    UNSAFE = "unsafe"


class Fix(Frozen):
    """What a rule wants changed, as data: the fixers decide how to write it."""

    _fields = ("service", "key_path", "value", "why", "applicability")

    def __init__(self, service: str, key_path: Tuple[str, ...], value: Any, why: str,
                 applicability: Applicability = Applicability.UNSAFE):
        # key_path is below the service, e.g. ("deploy", "update_config", "order")
        self._set(service=service, key_path=key_path, value=value, why=why, applicability=applicability)


class Finding(Record):
    """One reported problem.

    ``message`` leads with the problem in a short line (what the text format shows);
    ``detail`` holds the why and the numbers behind it (the JSON, SARIF and explain views
    carry it too). ``full_message`` is both together.
    """

    _fields = ("rule", "name", "severity", "message", "pos", "recipe", "service", "fix", "extra", "detail")

    def __init__(self, rule: str, name: str, severity: Severity, message: str, pos: Position,
                 recipe: Optional[str] = None, service: Optional[str] = None, fix: Optional[Fix] = None,
                 extra: Optional[Dict[str, Any]] = None, detail: Optional[str] = None):
        self.rule = rule
        self.name = name
        self.severity = severity
        self.message = message
        self.detail = detail or None
        self.pos = pos
        self.recipe = recipe
        self.service = service
        self.fix = fix
        # a key that survives line moves, for baselines: (file, service, rule)
        self.extra: Dict[str, Any] = {} if extra is None else extra

    @property
    def path(self) -> str:
        return self.pos.path

    @property
    def line(self) -> int:
        return self.pos.line

    @property
    def column(self) -> int:
        return self.pos.column

    @property
    def full_message(self) -> str:
        return f"{self.message}: {self.detail}" if self.detail else self.message

    def sort_key(self):
        return (self.pos.path, self.pos.line, self.pos.column, self.rule)

    def to_dict(self) -> Dict[str, Any]:
        data = {
            "rule": self.rule,
            "name": self.name,
            "severity": str(self.severity),
            "recipe": self.recipe,
            "service": self.service,
            "path": self.pos.path,
            "line": self.pos.line,
            "column": self.pos.column,
            "message": self.message,
            "detail": self.detail,
            "fixable": self.fix is not None,
        }
        if self.fix is not None:
            data["fix"] = {
                "service": self.fix.service,
                "key_path": list(self.fix.key_path),
                "value": self.fix.value,
                "applicability": self.fix.applicability.value,
                "why": self.fix.why,
            }
        return data
