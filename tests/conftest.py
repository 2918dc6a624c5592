"""Fixtures shared by every test folder."""

from __future__ import annotations

import os
import pathlib

import pytest
from click.testing import CliRunner

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = pathlib.Path(os.environ.get("COMPOSE_POLICY_CORPUS", ROOT.parent / "shared" / "corpus"))
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def corpus() -> pathlib.Path:
    """../shared/corpus (third-party data, referenced by path, never copied)."""
    if not CORPUS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"the corpus is missing at {CORPUS}; CI always has it")
        pytest.skip(f"no corpus at {CORPUS} (it lives beside the repository as ../shared/corpus)")
    return CORPUS


@pytest.fixture
def cli():
    """Run the compose-policy CLI in-process: ``cli("lint", path)`` -> click Result."""
    from compose_policy.cli import cli as group

    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(group, [str(a) for a in args], catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture
def write(tmp_path):
    """Write files under tmp_path: ``write("compose.yml", text)`` -> path."""

    def _write(name: str, text: str) -> pathlib.Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    return _write
