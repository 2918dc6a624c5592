"""YAML as docker reads it (go-yaml v3 typing), and bad files as CP000/CP001 at the right line."""

import json
import math

import pytest

from compose_policy.model import Mapping, Position, Scalar
from compose_policy.yamlload import load_document, resolve_plain


@pytest.mark.parametrize("text, expected", [
    ("0555", 0o555),  # go-yaml still reads YAML 1.1 octal
    ("0o17", 15),
    ("0x1F", 31),
    ("0b11", 3),
    ("1_000", 1000),
    ("-0", 0),
    ("+12", 12),
    ("08", 8.0),  # not octal, so a float, as Go's ParseFloat reads it
    ("9223372036854775808", 9223372036854775808),  # past int64: go-yaml's uint64
    ("1e3", 1000.0),
    (".5", 0.5),
    ("1.0", 1.0),
    (".inf", math.inf),
    ("-.Inf", -math.inf),
    ("true", True), ("False", False), ("TRUE", True),
    ("~", None), ("null", None), ("", None),
    # strings in YAML 1.2, unlike YAML 1.1 readers
    ("22:22", "22:22"), ("yes", "yes"), ("no", "no"), ("on", "on"), ("off", "off"), ("y", "y"),
    (".iNf", ".iNf"), ("0x", "0x"), ("2001-12-14", "2001-12-14"), ("1.2.3", "1.2.3"), ("v1", "v1"),
])
def test_plain_scalars_are_typed_like_go_yaml_v3(text, expected):
    assert resolve_plain(text) == expected
    assert type(resolve_plain(text)) is type(expected)


def test_quoted_scalars_stay_strings():
    doc = load_document("a: '0555'\nb: \"22\"\nc: 0555\nd: 22:22\n", "f.yml")
    assert doc.root.plain() == {"a": "0555", "b": "22", "c": 365, "d": "22:22"}


def test_document_start_marker_and_comments_are_fine():
    doc = load_document("---\n# a comment\nversion: '3.8'\nservices: {}\n", "f.yml")
    assert doc.problems == []
    assert doc.root.plain() == {"version": "3.8", "services": {}}


def test_only_the_first_of_several_documents_counts():
    doc = load_document("a: 1\n---\nb: 2\n", "f.yml")
    assert doc.root.plain() == {"a": 1}
    assert [p.kind for p in doc.problems] == ["compose"]
    assert "several YAML documents" in doc.problems[0].message


def test_positions_are_one_based_line_and_column():
    doc = load_document("services:\n  app:\n    image: nginx\n", "f.yml")
    image = doc.root.get("services", "app", "image")
    assert image.pos == Position("f.yml", 3, 12)
    assert doc.root.get("services", "app").key_pos["image"] == Position("f.yml", 3, 5)


def test_anchors_and_merge_keys():
    text = """\
x-base: &base
  order: start-first
  monitor: 30s
  delay: 10s
x-extra: &extra
  delay: 20s
  parallelism: 2
update: &update
  <<: [*base, *extra]
  monitor: 1m
again: *update
"""
    doc = load_document(text, "f.yml")
    update = doc.root.get("update")
    # explicit keys win over merged ones; earlier merge sources win over later ones
    assert update.plain() == {"monitor": "1m", "order": "start-first", "delay": "10s", "parallelism": 2}
    assert update.get("monitor").pos.line == 10
    assert update.get("order").pos.line == 2  # a merged value keeps the line it was written at
    assert update.key_pos["parallelism"].line == 7
    assert doc.root.get("again") is update  # an alias is the very same node
    assert doc.problems == []


def test_a_merge_key_needs_a_mapping():
    doc = load_document("x: &list [1, 2]\ny:\n  <<: *list\n", "f.yml")
    assert [p.kind for p in doc.problems] == ["yaml"]


def test_duplicate_keys_are_reported_at_the_second_key_and_the_last_value_kept():
    doc = load_document("services:\n  app:\n    image: a\n    image: b\n", "f.yml")
    assert doc.root.get("services", "app", "image").value == "b"
    [problem] = doc.problems
    assert (problem.kind, problem.pos.line, problem.pos.column) == ("yaml", 4, 5)
    assert "already defined at line 3" in problem.message


def _lint(cli, path, codes="CP000,CP001"):
    result = cli("lint", path, "--format", "json", "--select", codes)
    return [(f["rule"], f["line"], f["column"], f["message"]) for f in json.loads(result.output)["findings"]]


def test_duplicate_key_is_cp000_through_the_linter(cli, write):
    path = write("compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n'
                                "    deploy:\n      replicas: 1\n      replicas: 2\n")
    [(rule, line, column, message)] = _lint(cli, path)
    assert (rule, line, column) == ("CP000", 7, 7)
    assert "already defined at line 6" in message


@pytest.mark.parametrize("text, line", [
    # the line to fix, even where the parser only notices later
    ('services:\n  app:\n    image: nginx\n    deploy:\n      replicas: 1\n     bad: 2\n', 6),
    ('services:\n  app:\n    image: nginx\n    ports: [80\n', 4),  # unclosed bracket
    ('services:\n  app:\n    image: "nginx\n', 3),  # unclosed quote
    ('services:\n  app:\n    image: nginx\n    run this\n    deploy: {}\n', 4),  # key without ':'
    ('services:\n  app:\n    image: "a\\qb"\n', 3),  # unknown escape
    ('services:\n  app:\n\t  image: nginx\n', 3),  # a tab
])
def test_broken_yaml_is_cp000_at_the_right_line(cli, write, text, line):
    path = write("compose.yml", text)
    [(rule, found_line, _, _)] = _lint(cli, path)
    assert (rule, found_line) == ("CP000", line)


@pytest.mark.parametrize("text, line, words", [
    ("- app\n- db\n", 1, "top level must be a mapping"),
    ("just a string\n", 1, "top level must be a mapping"),
    ("services:\n  - app\n", 2, "services must be a mapping"),
    ("services:\n  app: nginx\n", 2, "must be a mapping"),
    ("services:\n  app:\n    image: nginx\n    deploy: [1]\n", 4, "deploy"),
    ("services:\n  app:\n    image: nginx\n    environment:\n      1: x\n", 5, "not a string"),
])
def test_a_file_that_is_not_compose_is_cp001(cli, write, text, line, words):
    path = write("compose.yml", text)
    [(rule, found_line, _, message)] = _lint(cli, path)
    assert (rule, found_line) == ("CP001", line)
    assert words in message


def test_an_empty_file_is_cp001(cli, write):
    path = write("compose.yml", "# nothing here\n")
    [(rule, line, _, _)] = _lint(cli, path)
    assert (rule, line) == ("CP001", 1)


def test_the_c_parser_is_used_where_libyaml_is_installed():
    import yaml

    from compose_policy import yamlload

    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML without libyaml")
    assert issubclass(yamlload._Loader, yaml._yaml.CParser)


def test_nodes_built_from_yaml_are_model_nodes():
    doc = load_document("a: [1, {b: c}]\n", "f.yml")
    assert isinstance(doc.root, Mapping)
    assert isinstance(doc.root.get("a").items[1].get("b"), Scalar)
