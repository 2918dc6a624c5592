"""Durations and byte sizes in the forms compose files use (Go durations, go-units sizes)."""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Optional

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
_GO_DECIMAL = re.compile(r"[-+]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][-+]?[0-9]+)?")
MAX_DURATION = ((1 << 63) - 1) / 1e9  # seconds in Go's largest time.Duration
_BYTE_UNIT = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40, "p": 1 << 50}


def parse_duration(text: Any) -> float:
    """Seconds in a Go duration string (``1m30s``, ``500ms``, ``0``). Raises ValueError."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise ValueError(f"{text!r} is not a duration string")
    s = text  # Go accepts no surrounding space
    sign = 1.0
    if s[:1] in "+-" and s:
        sign = -1.0 if s[0] == "-" else 1.0
        s = s[1:]
    if s == "0":
        return 0.0
    if not s:
        raise ValueError("empty duration")
    total, pos = 0.0, 0
    for match in _DURATION_PART.finditer(s):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if pos != len(s):
        raise ValueError(f"{text!r} is not a valid duration (like 30s, 1m30s, 500ms)")
    if total > MAX_DURATION:  # Go counts nanoseconds in an int64: about 292 years
        raise ValueError(f"{text!r} is out of range for a duration (at most 2562047h47m16s)")
    return sign * total


def try_duration(value: Any) -> Optional[float]:
    try:
        return parse_duration(value)
    except ValueError:
        return None


def parse_bytes(value: Any) -> int:
    """Bytes in a size like ``512M``, ``1g``, ``1.5GiB`` or a plain integer. Raises ValueError.

    The rules of go-units' RAMInBytes, which docker uses: a decimal number, an optional
    space, then nothing, ``b``, or one of ``k m g t p`` (powers of 1024) optionally followed
    by ``b`` or ``ib``, in any case; the result is truncated to whole bytes.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a size")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    text = str(value)
    cut = max(text.rfind(ch) for ch in "0123456789. ")
    if cut < 0:
        raise ValueError(f"{value!r} is not a size (like 512M or 1G)")
    number, suffix = (text[:cut + 1], text[cut + 1:]) if text[cut] != " " else (text[:cut], text[cut + 1:])
    if not _GO_DECIMAL.fullmatch(number) or number.startswith("-") or len(suffix) > 3:
        raise ValueError(f"{value!r} is not a size (like 512M or 1G)")
    size = float(number)
    suffix = suffix.lower()
    if suffix in ("", "b"):
        return int(size)
    if suffix[0] not in _BYTE_UNIT or suffix[1:] not in ("", "b", "ib"):
        raise ValueError(f"{value!r} is not a size (like 512M or 1G)")
    return int(size * _BYTE_UNIT[suffix[0]])


def try_bytes(value: Any) -> Optional[int]:
    try:
        return parse_bytes(value)
    except (ValueError, OverflowError):  # .inf is a YAML float
        return None


def format_duration(seconds: float) -> str:
    """A literal Go duration for a fixer to write, e.g. ``1m30s``."""
    seconds = int(round(seconds))
    if seconds <= 0:
        return "0s"
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = ""
    if hours:
        out += f"{hours}h"
    if minutes:
        out += f"{minutes}m"
    if secs or not out:
        out += f"{secs}s"
    return out


def format_bytes(count: int) -> str:
    for unit, size in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if count >= size and count % size == 0:
            return f"{count // size}{unit}"
    if count >= 1 << 30:
        return f"{count / (1 << 30):.1f}G"
    return f"{count}B"
