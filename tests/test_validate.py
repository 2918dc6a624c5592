"""The compose schema check on its own: messages, positions, and bounded cost on hostile input.

Whether docker really refuses each case is the differential test's job (test_docker_differential).
"""

import time

import pytest

from compose_policy.interpolate import Interpolator
from compose_policy.validate import validate_document
from compose_policy.yamlload import load_document


def problems(text: str):
    doc = load_document(text, "compose.yml", Interpolator({}))
    return [(p.pos.line, p.message, p.detail) for p in validate_document(doc)]


def test_a_typo_is_reported_at_its_key_with_a_suggestion_and_dockers_reason():
    [(line, message, detail)] = problems('version: "3.8"\nservices:\n  app:\n    image: x\n    hotsname: a\n')
    assert line == 5
    assert message == "unknown key 'hotsname' in services.app (did you mean hostname?)"
    assert detail.startswith("services.app Additional property hotsname is not allowed")


def test_wrong_types_say_what_was_found():
    found = problems('services:\n  app:\n    image: [x]\n    environment: 5\n')
    assert [(line, message) for line, message, _ in found] == [
        (3, "services.app.image must be a string, not a list"),
        (4, "services.app.environment must be a mapping or a list, not an integer"),
    ]


@pytest.mark.parametrize("name", ["my app", "a/b", "a\nb", "é"])
def test_service_names_docker_refuses(name):
    text = 'services:\n  "' + name.replace("\n", "\\n") + '":\n    image: x\n'
    [(_, message, _)] = problems(text)
    assert message.startswith("invalid service name") and "letters, digits" in message


def test_keys_newer_than_the_declared_version():
    [(line, message, _)] = problems('version: "3.7"\nservices:\n  app:\n    image: x\n    deploy:\n'
                                    '      placement:\n        max_replicas_per_node: 1\n')
    assert line == 7 and message == "max_replicas_per_node needs compose version 3.8, the file says 3.7"


def test_overflowing_duration_is_not_a_duration():
    [(_, message, detail)] = problems('services:\n  app:\n    image: x\n    stop_grace_period: 3000000h\n')
    assert "is not a duration" in message and "Does not match format 'duration'" in detail


def test_unknown_values_are_not_judged():
    assert problems('services:\n  app:\n    image: x\n    deploy:\n      replicas: ${N}\n') == []


def test_an_alias_bomb_in_a_unique_list_is_checked_in_bounded_time():
    lines = ['x-a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]']
    for level in range(1, 9):
        lines.append(f"x-{level}: &l{level} [" + ", ".join([f"*{'a' if level == 1 else 'l' + str(level - 1)}"] * 10)
                     + "]")
    lines.append("services:\n  app:\n    image: x\n    volumes:\n" + "".join(
        f"      - {{type: bind, source: /s, target: /t{i}, bind: {{x: *l8}}}}\n" for i in range(50)))
    started = time.monotonic()
    found = problems("\n".join(lines) + "\n")
    assert time.monotonic() - started < 5
    assert found == []


def test_a_deep_nest_gives_no_recursion_error():
    deep = "[" * 300 + "]" * 300  # deeper nests are the loader's to bound
    started = time.monotonic()
    text = f"services:\n  app:\n    image: x\n    labels: [{deep}, {deep}]\n"
    doc = load_document(text, "compose.yml", Interpolator({}))
    found = [p.message for p in validate_document(doc)]
    assert time.monotonic() - started < 5
    if doc.root is not None:  # the loader may refuse the nest itself (CP000); else the schema does
        assert found[:2] == [f"services.app.labels.{i} must be a string, not a list" for i in (0, 1)]
