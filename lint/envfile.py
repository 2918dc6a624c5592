"""Read env files (an app's ``.env``, a recipe's ``.env.sample``) the way abra does.

``KEY=value`` lines with optional ``export``, single quotes (literal), double quotes
(escapes and ``$VAR`` expansion), unquoted values with ``$VAR`` expansion and `` #``
comments. Expansion sees the keys defined above, which is how
``COMPOSE_FILE="$COMPOSE_FILE:compose.x.yml"`` grows.
"""

from __future__ import annotations

import re

from compose_policy.model import Position
from compose_policy.readfile import ENV_FILE_LIMIT, read_text

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


# Bounds against expansion bombs (ten lines of B=${A}${A}... grow tenfold each): a value
# may reach 64 KiB, all values of one file together 1 MiB; a line past that is a problem
# and its key stays unset (unknown to the rules)
MAX_VALUE = 64 << 10
MAX_TOTAL = 1 << 20


class _TooLarge(Exception):
    pass


def _expand(text: str, values: Dict[str, str]) -> str:
    grown = [len(text)]

    def replace(match: "re.Match[str]") -> str:
        name = match.group("braced") or match.group("named")
        value = values.get(name)
        if not value and match.group("default") is not None:
            value = match.group("default")
        value = value or ""
        grown[0] += len(value)
        if grown[0] > MAX_VALUE:
            raise _TooLarge
        return value

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
    total = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _LINE.match(line)
        pos = Position(path, number, 1)
        if not match:
            # the line itself is not shown: an env file may be a link to any file (a key, a secret)
            env.problems.append(EnvFileError("not a KEY=value line (its text is not shown)", pos))
            continue
        key, rest = match.group("key"), match.group("rest").strip()
        try:
            value = _value(rest, env.values)
        except _TooLarge:
            value = None
        if value is None or total + len(value) > MAX_TOTAL:
            env.problems.append(EnvFileError(
                f"{key}: the value expands to more than {MAX_VALUE >> 10} KiB (or the file's values to more "
                f"than {MAX_TOTAL >> 20} MiB); left unset (a limit against expansion bombs)", pos))
            env.values.pop(key, None)
            continue
        total += len(value)
        env.values[key] = value
        env.positions[key] = pos
    return env


def _value(rest: str, values: Dict[str, str]) -> str:
    if rest.startswith("'"):
        end = rest.find("'", 1)
        return rest[1:end] if end > 0 else rest[1:]
    if rest.startswith('"'):
        body = _double_quoted(rest[1:])
        return _expand(body if body is not None else rest[1:], values)
    value = re.split(r"\s+#", rest, maxsplit=1)[0].strip()
    return _expand(value, values)


def read_env_file(path: str) -> EnvFile:
    """Raises InputError for a file that is not regular, too large or unreadable."""
    return parse_env_text(read_text(path, ENV_FILE_LIMIT), path)
