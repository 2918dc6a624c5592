"""Hostile input: each case runs the real CLI bounded in memory and time (boundedcli.py)."""

from __future__ import annotations

import pytest

from boundedcli import run_cli


@pytest.fixture
def hostile():
    """``hostile("lint", path)`` -> Run, bounded in memory and time."""
    return run_cli


@pytest.fixture
def recipe(tmp_path):
    """A recipe folder under tmp_path: ``recipe({"compose.yml": text})`` -> its path."""

    def make(files, name: str = "r"):
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content)
        return root

    return make
