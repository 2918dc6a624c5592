"""One change to a YAML document, and how a scalar is written so that it reads back the same."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import yaml

from compose_policy.yamlload import resolve_plain


@dataclass(frozen=True)
class Edit:
    """Set the scalar at ``path`` (mapping keys from the document root) to ``value``."""

    path: Tuple[str, ...]
    value: Any

    def dotted(self) -> str:
        return ".".join(self.path)


class EditRefused(Exception):
    """An edit that cannot be written without touching more than it should."""


class Unreachable(EditRefused):
    """The key is reached through an anchor, a merge key or a non-mapping, or its value is a
    variable the user set up to override it: no engine may edit it."""


def interpolated(text: str) -> bool:
    """A value docker interpolates (``${ORDER:-start-first}``, ``$ORDER``); ``$$`` is a literal $."""
    return "$" in text.replace("$$", "")


_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./+@-]*")


def _reads_back_plain(text: str) -> bool:
    """True when ``text`` unquoted is the same string for go-yaml (1.2) and for YAML 1.1 readers."""
    if not _PLAIN_SAFE.fullmatch(text):
        return False
    if resolve_plain(text) != text:
        return False
    try:
        return yaml.safe_load(text) == text
    except yaml.YAMLError:
        return False


def _printable(char: str) -> bool:
    """Whether YAML may hold ``char`` raw inside a double-quoted scalar on one line.

    YAML's printable set, less the characters YAML 1.1 readers take for line breaks
    (NEL, LINE and PARAGRAPH SEPARATOR) and the byte order mark.
    """
    code = ord(char)
    if code in (0x85, 0x2028, 0x2029, 0xFEFF):
        return False
    return (0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def quoted(text: str) -> str:
    """``text`` as a one-line double-quoted scalar: every character that could end a line
    or is not printable is escaped, so a value can never start a YAML line of its own."""
    out = json.dumps(text, ensure_ascii=False)
    if all(_printable(c) for c in out):
        return out
    return "".join(c if _printable(c) else
                   (f"\\u{ord(c):04x}" if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}") for c in out)


def visible(text: str) -> str:
    """``text`` for a comment or a message line: as is when printable, else quoted."""
    return text if all(_printable(c) for c in text) else quoted(text)


def render_scalar(value: Any, quote: Optional[str] = None) -> str:
    """YAML text for a scalar; ``quote`` ('"' or "'") keeps the style of the value it replaces."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if quote == "'" and all(_printable(c) for c in text):
        return "'" + text.replace("'", "''") + "'"
    if quote == '"' or not _reads_back_plain(text):
        return quoted(text)
    return text


def render_key(key: str) -> str:
    return key if _reads_back_plain(key) else quoted(key)
