"""The value classes behave as the dataclasses they replace: equality, repr, hashing, freezing."""

import pytest

from compose_policy.engine import LintResult
from compose_policy.model import Finding, Fix, Position, Severity


def test_positions_compare_and_hash_by_value_and_refuse_assignment():
    a, b = Position("a.yml", 1, 2), Position("a.yml", 1, 2)
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert a != Position("a.yml", 1, 3)
    assert repr(a) == "Position(path='a.yml', line=1, column=2)"
    with pytest.raises(AttributeError):
        a.line = 5
    with pytest.raises(AttributeError):
        del a.path


def test_a_fix_is_frozen_and_keeps_its_default_grading():
    fix = Fix("app", ("deploy", "update_config", "order"), "stop-first", "why")
    assert fix.applicability.value == "unsafe"
    assert fix == Fix(service="app", key_path=("deploy", "update_config", "order"), value="stop-first", why="why")
    with pytest.raises(AttributeError):
        fix.value = "start-first"


def test_findings_compare_by_value_are_unhashable_and_get_their_own_extra():
    pos = Position("a.yml", 1, 2)
    first = Finding("CP101", "name", Severity.ERROR, "message", pos)
    second = Finding("CP101", "name", Severity.ERROR, "message", pos)
    assert first == second and first != Finding("CP105", "name", Severity.ERROR, "message", pos)
    assert first != ("CP101",)
    first.extra["file"] = "a.yml"
    assert second.extra == {}
    with pytest.raises(TypeError):
        hash(first)


def test_hidden_fields_stay_out_of_the_repr():
    result = LintResult([], [], 0, thresholds={1: Severity.INFO})
    assert repr(result) == "LintResult(findings=[], stacks=[], files=0, runs=[], suppressed_by={}, empty_paths=[])"
