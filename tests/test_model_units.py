"""Go durations and go-units sizes, read exactly as docker reads them."""

import pytest

from compose_policy.units import (format_bytes, format_duration, parse_bytes, parse_duration, try_bytes,
                                  try_duration)


@pytest.mark.parametrize("text, seconds", [
    ("30s", 30), ("1m30s", 90), ("1h", 3600), ("1.5h", 5400), ("500ms", 0.5), ("90us", 90e-6),
    ("90µs", 90e-6), ("10ns", 10e-9), ("0", 0), ("-5s", -5), ("+5s", 5), (".5s", 0.5), ("5.s", 5),
    ("1h2m3s4ms", 3723.004),
])
def test_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("value", ["", "5", "30 s", " 30s", "30sec", "1h5", "s", "-", "1d", 30, None, True])
def test_not_durations(value):
    with pytest.raises(ValueError):
        parse_duration(value)
    assert try_duration(value) is None


@pytest.mark.parametrize("value, count", [
    ("512M", 512 << 20), ("512m", 512 << 20), ("512MB", 512 << 20), ("512MiB", 512 << 20),
    ("1g", 1 << 30), ("1.5G", 3 << 29), ("2 GB", 2 << 30), ("100", 100), ("100b", 100), ("1k", 1024),
    ("1t", 1 << 40), ("1p", 1 << 50), ("0", 0), ("0M", 0), ("1.", 1), (".5k", 512), (536870912, 536870912),
    ("1.9999999b", 1),  # truncated to whole bytes
])
def test_sizes(value, count):
    assert parse_bytes(value) == count


@pytest.mark.parametrize("value", ["512Mi", "1GBB", "G", "", "-1M", "1 2M", "1x", "M512", True])
def test_not_sizes(value):
    with pytest.raises(ValueError):
        parse_bytes(value)
    assert try_bytes(value) is None


def test_formatting_for_fixes():
    assert format_duration(95) == "1m35s"
    assert format_duration(3600) == "1h"
    assert format_duration(0) == "0s"
    assert format_bytes(1 << 30) == "1G"
    assert format_bytes(768 << 20) == "768M"
