"""Read env files (an app's ``.env``, a recipe's ``.env.sample``) the way abra does.

``KEY=value`` lines with optional ``export``, single quotes (literal), double quotes
(escapes and ``$VAR`` expansion), unquoted values with ``$VAR`` expansion and `` #``
comments. Expansion sees the keys defined above, which is how
``COMPOSE_FILE="$COMPOSE_FILE:compose.x.yml"`` grows.
"""

from __future__ import annotations

import re

from compose_policy.model import Position

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, List, Optional

_LINE = re.compile(r"\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<rest>.*)$")
_VAR = re.compile(r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?::?-(?P<default>[^}]*))?\}|(?P<named>[A-Za-z_][A-Za-z0-9_]*))")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


class EnvFileError(ValueError):
    def __init__(self, message: str, pos: Position):
        super().__init__(message)
        self.pos = pos


class EnvFile:
    """The values of one env file, where each was set, and the lines that could not be read."""

    __slots__ = ("path", "values", "positions", "problems")

    def __init__(self, path: str, values: Optional[Dict[str, str]] = None,
                 positions: Optional[Dict[str, Position]] = None, problems: Optional[List[EnvFileError]] = None):
        self.path = path
        self.values: Dict[str, str] = values if values is not None else {}
        self.positions: Dict[str, Position] = positions if positions is not None else {}
        self.problems: List[EnvFileError] = problems if problems is not None else []

    def __repr__(self) -> str:
        return f"EnvFile({self.path!r}, {len(self.values)} values)"


def _expand(text: str, values: Dict[str, str]) -> str:
    def replace(match: "re.Match[str]") -> str:
        name = match.group("braced") or match.group("named")
        value = values.get(name)
        if not value and match.group("default") is not None:
            return match.group("default")
        return value or ""

    return _VAR.sub(replace, text)


def _double_quoted(body: str) -> Optional[str]:
    out = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            out.append(_ESCAPES.get(body[i + 1], "\\" + body[i + 1]))
            i += 2
            continue
        if ch == '"':
            return "".join(out)
        out.append(ch)
        i += 1
    return None  # no closing quote


def parse_env_text(text: str, path: str) -> EnvFile:
    env = EnvFile(path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(line)
        pos = Position(path, number, 1)
        if not match:
            # the position only: an env file may be a link to a secret, never echo its lines
            env.problems.append(EnvFileError("not a KEY=value line", pos))
            continue
        key, rest = match.group("key"), match.group("rest").strip()
        if rest.startswith("'"):
            end = rest.find("'", 1)
            value = rest[1:end] if end > 0 else rest[1:]
        elif rest.startswith('"'):
            body = _double_quoted(rest[1:])
            value = _expand(body if body is not None else rest[1:], env.values)
        else:
            value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
            value = _expand(value, env.values)
        env.values[key] = value
        env.positions[key] = pos
    return env


def read_env_file(path: str) -> EnvFile:
    with open(path, encoding="utf-8", errors="replace") as handle:
        return parse_env_text(handle.read(), path)
