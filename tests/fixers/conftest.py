"""Fixtures for the fixer tests."""

from __future__ import annotations

import pathlib
from typing import Dict, Optional

import pytest

from fixhelpers import HEAVY, SAMPLE_ENV


@pytest.fixture
def recipe(tmp_path):
    """A recipe folder (default: ``discourse``, the heavy CP101 case) -> its path.

    ``extra`` adds files by path relative to the recipe (``{"postgres/compose.pg.yml": ...}``).
    """

    def make(text: str = HEAVY, name: str = "discourse", sample: str = SAMPLE_ENV,
             extra: Optional[Dict[str, str]] = None) -> pathlib.Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "compose.yml").write_text(text)
        (folder / ".env.sample").write_text(sample)
        for rel, content in (extra or {}).items():
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(content)
        return folder

    return make
