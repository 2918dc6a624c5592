"""The YAML editor: only the lines a fix needs change, or it refuses and says why."""

import difflib

import pytest
import yaml

from compose_policy.fixers.edit import Edit, EditRefused, render_scalar
from compose_policy.fixers.verify import line_problem, load_all, data_problem
from compose_policy.fixers.yamledit import apply_edits

ORDER = ("services", "app", "deploy", "update_config", "order")
MONITOR = ("services", "app", "deploy", "update_config", "monitor")


def changed_lines(old: str, new: str):
    """(removed, added) lines of a line diff."""
    removed, added = [], []
    for line in difflib.ndiff(old.splitlines(keepends=True), new.splitlines(keepends=True)):
        if line.startswith("- "):
            removed.append(line[2:])
        elif line.startswith("+ "):
            added.append(line[2:])
    return removed, added


BASE = """\
---
version: "3.8"   # keep me

services:
  app:
    image: discourse/discourse:3.2
    configs:
      - source: entry
        target: /entry.sh
        mode: 0555
    deploy:
      update_config:
        failure_action: rollback # keep rollbacks
        order: "start-first"  # decided in 2021
      labels:
        - "a=b"
        # - "c=d"
    # healthcheck:
    #   test: [CMD, true]

  db:
    image: postgres:15
"""


def test_replacing_a_value_changes_that_line_only_and_keeps_quotes_and_comment():
    result = apply_edits(BASE, [Edit(ORDER, "stop-first")])
    removed, added = changed_lines(BASE, result.text)
    assert removed == ['        order: "start-first"  # decided in 2021\n']
    assert added == ['        order: "stop-first"  # decided in 2021\n']
    assert result.engine == "text"


def test_single_quotes_are_kept_too():
    text = BASE.replace('"start-first"', "'start-first'")
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert "        order: 'stop-first'  # decided in 2021\n" in result.text


def test_new_key_goes_at_the_end_of_its_mapping_before_the_comments_of_the_parent():
    text = BASE.replace('        order: "start-first"  # decided in 2021\n', "")
    result = apply_edits(text, [Edit(MONITOR, "1m50s"), Edit(ORDER, "stop-first")])
    removed, added = changed_lines(text, result.text)
    assert removed == []
    assert added == ["        monitor: 1m50s\n", "        order: stop-first\n"]
    lines = result.text.splitlines()
    assert lines.index("        monitor: 1m50s") == lines.index("        failure_action: rollback # keep rollbacks") + 1


def test_a_missing_section_follows_the_comments_indented_under_the_mapping_not_the_blank_line():
    text = BASE.replace("      update_config:\n        failure_action: rollback # keep rollbacks\n"
                        '        order: "start-first"  # decided in 2021\n', "")
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    lines = result.text.splitlines()
    at = lines.index("      update_config:")
    # after the labels list and its commented-out entry, before the service-level comment
    assert lines[at - 1] == '        # - "c=d"'
    assert lines[at + 1] == "        order: stop-first"
    assert lines[at + 2] == "    # healthcheck:"
    removed, added = changed_lines(text, result.text)
    assert removed == [] and added == ["      update_config:\n", "        order: stop-first\n"]


def test_a_whole_new_deploy_section_uses_the_service_indent_and_the_file_step():
    text = "services:\n    app:\n        image: x\n\n    db:\n        image: y\n"
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.text == ("services:\n    app:\n        image: x\n        deploy:\n            update_config:\n"
                           "                order: stop-first\n\n    db:\n        image: y\n")


def test_octal_modes_document_marker_and_other_lines_stay_byte_identical():
    result = apply_edits(BASE, [Edit(ORDER, "stop-first")])
    assert result.text.startswith("---\nversion: \"3.8\"   # keep me\n")
    assert "        mode: 0555\n" in result.text
    assert len(result.text.splitlines()) == len(BASE.splitlines())


def test_crlf_line_endings_and_a_missing_final_newline_are_kept():
    text = "services:\r\n  app:\r\n    image: x\r\n    deploy:\r\n      replicas: 1"
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.text == ("services:\r\n  app:\r\n    image: x\r\n    deploy:\r\n      replicas: 1\r\n"
                           "      update_config:\r\n        order: stop-first")


def test_an_empty_parent_key_gets_its_children_below_it():
    text = "services:\n  app:\n    image: x\n    deploy:\n  db:\n    image: y\n"
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.text == ("services:\n  app:\n    image: x\n    deploy:\n      update_config:\n"
                           "        order: stop-first\n  db:\n    image: y\n")


def test_an_empty_value_is_filled_in_on_its_line():
    text = "services:\n  app:\n    deploy:\n      update_config:\n        order:   # pick one\n"
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.text == "services:\n  app:\n    deploy:\n      update_config:\n        order: stop-first   # pick one\n"


def test_a_flow_mapping_gets_the_key_on_its_own_line_through_ruamel():
    text = 'services:\n  app:\n    image: x  # the app\n    deploy: { mode: global }\n  db:\n    image: "y"\n'
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.engine == "ruamel"
    removed, added = changed_lines(text, result.text)
    assert removed == ["    deploy: { mode: global }\n"]
    assert added == ["    deploy: {mode: global, update_config: {order: stop-first}}\n"]


def test_a_value_already_there_is_no_edit():
    result = apply_edits(BASE, [Edit(("services", "app", "deploy", "update_config", "failure_action"), "rollback")])
    assert result.engine == "none" and result.text == BASE and result.edits == []


SHARED = """\
x-deploy: &deploy
  update_config:
    order: start-first
services:
  app:
    deploy: *deploy
  worker:
    deploy: *deploy
"""


def test_a_value_shared_through_an_anchor_is_refused_with_the_reason():
    with pytest.raises(EditRefused, match="anchor"):
        apply_edits(SHARED, [Edit(ORDER, "stop-first")])


def test_a_key_that_comes_from_a_merge_key_is_refused():
    text = ("x-up: &up\n  order: start-first\n  failure_action: rollback\nservices:\n  app:\n    deploy:\n"
            "      update_config:\n        <<: *up\n")
    with pytest.raises(EditRefused, match="merge key"):
        apply_edits(text, [Edit(ORDER, "stop-first")])


def test_an_own_key_beside_a_merge_key_is_edited():
    text = ("x-up: &up\n  failure_action: rollback\nservices:\n  app:\n    deploy:\n"
            "      update_config:\n        <<: *up\n        order: start-first\n")
    result = apply_edits(text, [Edit(ORDER, "stop-first")])
    assert result.text == text.replace("order: start-first", "order: stop-first")


def test_several_documents_are_refused():
    with pytest.raises(EditRefused, match="several YAML documents"):
        apply_edits("services: {}\n---\nservices: {}\n", [Edit(ORDER, "stop-first")])


def test_broken_yaml_is_refused():
    with pytest.raises(EditRefused, match="not readable as YAML"):
        apply_edits("services:\n  app: [\n", [Edit(ORDER, "stop-first")])


@pytest.mark.parametrize("value, text", [
    ("stop-first", "stop-first"), ("1m50s", "1m50s"), ("yes", '"yes"'), ("0555", '"0555"'),
    ("a: b", '"a: b"'), ("", '""'), (True, "true"), (3, "3"), ("${X}", '"${X}"'),
])
def test_scalars_are_written_so_that_they_read_back_the_same(value, text):
    assert render_scalar(value) == text
    assert yaml.safe_load(f"k: {text}")["k"] == value


def test_the_line_check_rejects_changes_outside_the_allowed_lines():
    old = "a: 1\nb: 2\nc: 3\n"
    assert line_problem(old, "a: 1\nb: 5\nc: 3\n", {1}) is None
    assert "line 3 would change" in line_problem(old, "a: 1\nb: 5\nc: 4\n", {1})
    assert "removed" in line_problem(old, "a: 1\nb: 2\n", set())
    assert "comment" in line_problem(old, "a: 1\n# hi\nb: 2\nc: 3\n", set())
    assert "blank line" in line_problem("a:\n  x: 1\n\nb: 2\n", "a:\n  x: 1\n\n  y: 2\nb: 2\n", set())
    assert "final newline" in line_problem("a: 1", "a: 1\nb: 2\n", set())


def test_the_data_check_sees_an_edit_that_reaches_another_service_through_an_alias():
    edited = SHARED.replace("order: start-first", "order: stop-first")
    assert "differs" in data_problem(load_all(SHARED), edited, [Edit(ORDER, "stop-first")])
    assert data_problem(load_all(SHARED), edited, [
        Edit(("x-deploy", "update_config", "order"), "stop-first"), Edit(ORDER, "stop-first"),
        Edit(("services", "worker", "deploy", "update_config", "order"), "stop-first"),
    ]) is None
