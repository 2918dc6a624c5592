"""Append an overlay to COMPOSE_FILE in an app's env file, changing that one line only.

The last active ``COMPOSE_FILE=`` line is the one that decides (abra reads the file top to
bottom, and ``COMPOSE_FILE="$COMPOSE_FILE:compose.x.yml"`` lines grow it), so the overlay
is appended to that line's value, inside its quotes. With no active line, one is added
at the end, naming the stack's current file set first. Nothing changes when the overlay
is already enabled.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional

from compose_policy.envfile import parse_env_text
from compose_policy.errors import InputError
from compose_policy.fixers.atomic import writable_target
from compose_policy.fixers.inputs import read_bytes

ENV_FILE_LIMIT = 1 << 20  # an app's env file is a few KB


def check_env_file(path: str) -> None:
    """Refuse an env file that cannot be wired, before anything is written: a missing file,
    a FIFO or device, one too large, one that is not UTF-8, one a rename would damage."""
    if not os.path.exists(path):
        raise InputError(f"{path}: env file not found")
    data = read_bytes(path, ENV_FILE_LIMIT)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text; refusing to wire it") from None
    problems = parse_env_text(text, path).problems
    if problems:  # not an env file (a link to a key file?): never written, never shown
        lines = ", ".join(str(p.pos.line) for p in problems[:5]) + (", ..." if len(problems) > 5 else "")
        raise InputError(f"{path}: not an env file (line {lines}: not KEY=value); refusing to wire it")
    writable_target(path)

_ASSIGN = re.compile(r"^(?P<lead>\s*(?:export\s+)?COMPOSE_FILE\s*=\s*)(?P<rest>.*?)(?P<eol>\r?\n?)$")


def _value_end(rest: str) -> Optional[int]:
    """Index in ``rest`` just after the value's last character (before a closing quote)."""
    if rest.startswith('"'):
        i = 1
        while i < len(rest):
            if rest[i] == "\\":
                i += 2
                continue
            if rest[i] == '"':
                return i
            i += 1
        return None
    if rest.startswith("'"):
        end = rest.find("'", 1)
        return end if end > 0 else None
    comment = re.search(r"\s+#", rest)
    return comment.start() if comment else len(rest.rstrip())


def enabled(text: str, entry: str) -> bool:
    value = parse_env_text(text, "<env>").values.get("COMPOSE_FILE", "")
    return entry in [part.strip() for part in value.split(":")]


def wire(text: str, entry: str, current_set: List[str]) -> str:
    """``text`` with ``entry`` appended to COMPOSE_FILE; ``current_set`` if there is none yet."""
    if enabled(text, entry):
        return text
    lines = text.splitlines(keepends=True)
    value = parse_env_text(text, "<env>").values.get("COMPOSE_FILE", "")
    for index in range(len(lines) - 1, -1, -1):
        match = _ASSIGN.match(lines[index])
        if not match:
            continue
        rest = match.group("rest")
        end = _value_end(rest)
        if end is None:
            break  # an unterminated quote: add a clean line instead
        start = 1 if rest[:1] in ('"', "'") else 0
        if value.strip(":"):
            new_rest = rest[:end] + ":" + entry + rest[end:]
        else:  # COMPOSE_FILE="" means the default set: name it
            new_rest = rest[:start] + ":".join(current_set + [entry]) + rest[end:]
        lines[index] = match.group("lead") + new_rest + match.group("eol")
        return "".join(lines)
    newline = "\r\n" if "\r\n" in text else "\n"
    if lines and not lines[-1].endswith(("\n", "\r")):
        lines[-1] += newline
    lines.append(f'COMPOSE_FILE="{":".join(current_set + [entry])}"{newline}')
    return "".join(lines)
