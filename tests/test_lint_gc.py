"""A lint makes garbage collections rarer while it builds nodes, and gives the setting back."""

import gc

import pytest

from compose_policy import engine
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.errors import InputError
from compose_policy.stack import LoadOptions


def test_the_collector_threshold_is_raised_during_a_lint_and_restored(write, tmp_path, monkeypatch):
    write("r/compose.yml", "services:\n  app:\n    image: nginx:1.25\n")
    seen = []
    real = engine._lint_paths

    def spy(*args):
        seen.append(gc.get_threshold())
        return real(*args)

    monkeypatch.setattr(engine, "_lint_paths", spy)
    before = gc.get_threshold()
    try:
        gc.set_threshold(700, 10, 10)
        result = lint_paths([str(tmp_path / "r")], LintOptions())
        assert gc.get_threshold() == (700, 10, 10)
    finally:
        gc.set_threshold(*before)
    assert seen == [(engine.GC_YOUNG_THRESHOLD, 10, 10)]
    assert len(result.stacks) == 1


def test_the_threshold_is_restored_when_the_lint_fails(write, tmp_path):
    write("r/compose.yml", "services:\n  app:\n    image: nginx:1.25\n")
    before = gc.get_threshold()
    options = LintOptions(load=LoadOptions(env_file=str(tmp_path / "missing.env")))
    with pytest.raises(InputError):
        lint_paths([str(tmp_path / "r")], options)
    assert gc.get_threshold() == before
