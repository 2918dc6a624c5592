"""Untrusted text (paths, service names, values quoted in messages) made safe to print.

A service name or a path may hold a newline or a terminal escape: printed as is, it would
forge a ``file:1:1: CP000`` line, or rewrite what the terminal shows. Control characters,
line and paragraph separators and bidirectional overrides are written as escapes instead.
"""

from __future__ import annotations

import re

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# what XML 1.0 forbids even as a character reference
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(match: "re.Match[str]") -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def printable(text: object) -> str:
    """``text`` on one line, every control character written as an escape."""
    text = str(text)
    return _UNPRINTABLE.sub(_escape, text) if _UNPRINTABLE.search(text) else text


def xml_safe(text: object) -> str:
    """``text`` with the characters XML 1.0 cannot carry written as escapes."""
    text = str(text)
    return _NOT_XML.sub(_escape, text) if _NOT_XML.search(text) else text
