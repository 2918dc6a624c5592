"""Manager-clock timestamps.

Swarm stamps services and tasks with the manager's clock in RFC 3339 with
nanoseconds (``2026-11-27T12:36:10.849664596Z``). Two stamps written within the
same microsecond are still ordered by their nanoseconds, and ``datetime`` keeps
only microseconds, so timestamps are compared as integer nanoseconds since the
epoch. They are only ever compared with other manager stamps, never with the
clock of the machine running the harness.
"""

from __future__ import annotations

import calendar
import re

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))$"
)

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time: "never"


def parse_ns(value: str | None) -> int | None:
    """Nanoseconds since the epoch for an RFC 3339 stamp; None for absent or zero time."""
    if not value or value.startswith("0001-01-01"):
        return None
    match = _RFC3339.match(value.strip())
    if not match:
        raise ValueError(f"not an RFC 3339 timestamp: {value!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = (match.group(7) or "")[:9].ljust(9, "0")
    seconds = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    if not match.group(8):
        offset = (int(match.group(10)) * 60 + int(match.group(11))) * 60
        seconds -= offset if match.group(9) == "+" else -offset
    return seconds * 1_000_000_000 + int(fraction)


def after(stamp: str | None, reference: str | None) -> bool:
    """True when ``stamp`` is strictly later than ``reference`` (an absent reference is the beginning of time)."""
    s = parse_ns(stamp)
    if s is None:
        return False
    r = parse_ns(reference)
    return r is None or s > r


def not_before(stamp: str | None, reference: str | None) -> bool:
    """True when ``stamp`` is at or after ``reference``."""
    s = parse_ns(stamp)
    if s is None:
        return False
    r = parse_ns(reference)
    return r is None or s >= r


def seconds(ns: int | None, default: float) -> float:
    """A Go duration in nanoseconds as seconds; ``default`` when unset or zero."""
    return ns / 1e9 if ns else default
