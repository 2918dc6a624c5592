"""Small inputs that would cost exponential or quadratic time and memory: each is refused
at a documented limit (docs/security.md) with a finding at file:line, or exit 2.

Every case runs the CLI in a child process bounded in memory and time (conftest.py); the
in-process test at the end measures the peak allocation of the 1 KB bombs with tracemalloc.
"""

import json
import re
import time
import tracemalloc

import pytest

from compose_policy.engine import LintOptions, lint_paths
from boundedcli import assert_clean

SERVICE = "services:\n  app:\n    image: nginx:1.25\n"


def alias_bomb(use: str, levels: int = 12, fanout: int = 4) -> str:
    """Each anchor holds ``fanout`` aliases of the one before: fanout**levels nodes."""
    lines = ["x-a0: &a0 {k: v}"]
    for i in range(1, levels):
        lines.append(f"x-a{i}: &a{i} {{" + ", ".join(f"k{j}: *a{i - 1}" for j in range(fanout)) + "}")
    return "\n".join(lines) + "\n" + SERVICE + use.format(top=f"*a{levels - 1}") + "\n"


def finding_lines(run, code: str):
    return [line for line in run.stdout.splitlines() if f" {code} " in line]


@pytest.mark.parametrize("use", ["    deploy: {top}", "    ulimits: {top}", "    x-any: {top}",
                                 "    labels: [{top}]", "x-top: {top}"])
def test_an_alias_bomb_is_cp000_at_its_line(hostile, recipe, use):
    text = alias_bomb(use)
    assert len(text) < 1024
    root = recipe({"compose.yml": text})
    for command in (["lint", root], ["config", root], ["fleet", root]):
        run = hostile(*command)
        assert_clean(run)
    run = hostile("lint", root)
    assert run.returncode == 1
    [line] = finding_lines(run, "CP000")
    assert re.match(r".*compose\.yml:\d+:\d+: CP000 \[error\] excessive aliasing", line), line
    config = hostile("config", root)
    assert config.returncode == 2 and "excessive aliasing" in config.stderr


def test_aliases_docker_accepts_are_still_read(hostile, recipe):
    # a few anchors reused a few times, as recipes do: far below go-yaml's ratio
    text = ("x-deploy: &deploy\n  update_config: {order: start-first, failure_action: rollback}\n"
            "services:\n" + "".join(f"  s{i}:\n    image: discourse/discourse:3.2\n    deploy: *deploy\n"
                                    for i in range(30)))
    run = hostile("lint", recipe({"compose.yml": text}), "--select", "CP101")
    assert run.returncode == 1 and len(finding_lines(run, "CP101")) == 30, run


@pytest.mark.parametrize("text, message", [
    ("x-a: &a [*a]\n" + SERVICE, "contains an alias of itself"),
    ("services:\n  app: &a\n    image: x\n    deploy: *a\n", "contains an alias of itself"),
    ("services:\n  app: &a\n    image: x\n    <<: *a\n", "contains an alias of itself"),
    (SERVICE + "    x-deep: " + "[" * 500 + "]" * 500 + "\n", "nested deeper than 100 levels"),
    (SERVICE + "    x-deep:\n" + "".join(" " * (6 + 2 * i) + f"k{i}:\n" for i in range(150)), "nested deeper"),
])
def test_recursive_anchors_and_deep_nesting_are_cp000(hostile, recipe, text, message):
    root = recipe({"compose.yml": text})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    [line] = finding_lines(run, "CP000")
    assert message in line and re.match(r".*compose\.yml:\d+:\d+: ", line), line
    assert_clean(hostile("config", root), codes=(2,))


def test_an_alias_bomb_in_the_configuration_is_a_one_line_error(hostile, recipe):
    root = recipe({"compose.yml": SERVICE, ".compose-policy.yml": alias_bomb("x-top: {top}")})
    run = hostile("lint", root)
    assert_clean(run, codes=(2,))
    assert "excessive aliasing" in run.stderr and len(run.stderr.strip().splitlines()) == 1, run


def test_an_env_expansion_bomb_stops_at_64_kib_with_a_finding(hostile, recipe):
    env = "A=xxxxxxxxxx\n" + "".join(f"{b}=" + f"${{{a}}}" * 10 + "\n" for a, b in zip("ABCDEFGHI", "BCDEFGHIJ"))
    assert len(env) < 1024
    compose = SERVICE + "    environment:\n      BIG: ${J}\n    labels:\n      x: ${E}\n"
    root = recipe({"compose.yml": compose, ".env": env})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    found = finding_lines(run, "CP001")
    # E is 100 KB: the first value over 64 KiB, reported at its line and left unset
    assert any(re.search(r"\.env:5:1: CP001 .*E: the value expands to more than 64 KiB", f) for f in found), run
    # config refuses a stack with CP000/CP001 problems: a one-line error, exit 2, no traceback
    assert_clean(hostile("config", root), codes=(2,))


def test_interpolation_in_compose_stops_at_64_kib_per_value(hostile, recipe):
    env = "A=" + "x" * 60000 + "\n"
    compose = SERVICE + "    labels:\n      big: \"" + "${A}" * 200 + "\"\n"
    root = recipe({"compose.yml": compose, ".env": env})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    [line] = finding_lines(run, "CP001")
    assert "compose.yml:5:12:" in line and "interpolates to more than 64 KiB" in line, line


def test_twenty_thousand_suppression_comments_are_read_up_to_two_hundred(hostile, recipe):
    comments = "# compose-policy: disable=CP101 -- why\n" * 20000
    root = recipe({"compose.yml": comments + SERVICE})
    run = hostile("lint", root)
    assert_clean(run, codes=(0, 1))
    assert run.seconds < 5, run
    unread = [f for f in finding_lines(run, "CP900") if "more than 200 suppression comments" in f]
    assert len(unread) == 1 and "compose.yml:201:1:" in unread[0], run


def test_comment_suppressions_still_reach_down_to_the_next_yaml_line(hostile, recipe):
    heavy = ("services:\n  app:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
             "        failure_action: rollback\n        # compose-policy: disable=CP101 -- measured\n"
             + "\n# filler\n" * 5000 + "        order: start-first\n")
    run = hostile("lint", recipe({"compose.yml": heavy}), "--select", "CP101,CP900")
    assert_clean(run, codes=(0,))
    assert "1 suppressed" in run.stdout, run


def test_port_ranges_expand_to_at_most_1024_mappings_per_service(hostile, recipe):
    # distinct entries: docker refuses a ports list that repeats an item
    ports = "    ports:\n" + "".join(f'      - "127.0.0.{i}:1-65535:1-65535"\n' for i in range(1, 41))
    root = recipe({"compose.yml": SERVICE + ports})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    found = finding_lines(run, "CP001")
    assert len(found) == 40 and all("reads at most 1024 per service" in f for f in found), run
    assert "compose.yml:5:9:" in found[0]
    # config refuses a stack with CP001 problems: a one-line error, exit 2, no traceback
    assert_clean(hostile("config", root), codes=(2,))


def test_a_port_range_within_the_limit_is_expanded(hostile, recipe):
    root = recipe({"compose.yml": SERVICE + '    ports:\n      - "8000-8099:8000-8099"\n'})
    run = hostile("config", root, "--format", "json")
    assert_clean(run, codes=(0,))
    ports = json.loads(run.stdout)["services"]["app"]["ports"]
    assert [p["published"] for p in ports] == list(range(8000, 8100))


def test_a_50_mb_file_is_not_read(hostile, tmp_path):
    big = tmp_path / "r" / "compose.yml"
    big.parent.mkdir()
    with open(big, "w") as handle:
        handle.write(SERVICE + "    labels:\n")
        line = "      k{}: " + "v" * 80 + "\n"
        for i in range(50 * 1024 * 1024 // len(line)):
            handle.write(line.format(i))
    named = hostile("lint", big)
    assert_clean(named, codes=(2,))
    assert "larger than 4 MiB" in named.stderr, named
    walked = hostile("lint", big.parent)
    assert_clean(walked, codes=(1,))
    assert re.search(r"compose\.yml:1:1: CP000 .*larger than 4 MiB", walked.stdout), walked


def _bombs(tmp_path):
    env = "A=xxxxxxxxxx\n" + "".join(f"{b}=" + f"${{{a}}}" * 10 + "\n" for a, b in zip("ABCDEFGHI", "BCDEFGHIJ"))
    cases = {
        "alias": {"compose.yml": alias_bomb("    deploy: {top}")},
        "recursive": {"compose.yml": "x-a: &a [*a]\n" + SERVICE},
        "env": {"compose.yml": SERVICE + "    environment: {BIG: '${J}'}\n", ".env": env},
        "ports": {"compose.yml": SERVICE + "    ports:\n" + '      - "1-65535:1-65535"\n' * 40},
        "comments": {"compose.yml": "# compose-policy: disable=CP101\n" * 30 + SERVICE},
    }
    for name, files in cases.items():
        for rel, text in files.items():
            assert len(text) <= 1100, name
            path = tmp_path / name / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    return [str(tmp_path / name) for name in cases]


def test_a_1_kb_bomb_costs_well_under_a_second_and_a_few_mb(tmp_path):
    paths = _bombs(tmp_path)
    lint_paths(paths[:1], LintOptions(find_config=False))  # imports and rule loading are not the input's cost
    for path in paths:
        tracemalloc.start()
        started = time.perf_counter()
        result = lint_paths([path], LintOptions(find_config=False))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert result.findings, path
        assert peak < 8 << 20, (path, peak)
        assert seconds < 2.0, (path, seconds)  # generous: about 0.01 s on an idle machine


def test_every_document_with_an_alias_gets_the_graph_check():
    """The graph check runs only where a text search finds an alias of a defined anchor:
    that search must never miss a document whose composed graph shares a node."""
    import os
    import sys

    import yaml

    from compose_policy.yamlload import _Loader, _may_alias

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import fuzz_driver

    pool = fuzz_driver.seeds([])
    shared_seen = 0
    for number in range(3000):
        text = fuzz_driver.case_files(number, pool)["compose.yml"]
        loader = _Loader(text)
        try:
            node = loader.get_node() if loader.check_node() else None
        except yaml.YAMLError:
            continue
        finally:
            loader.dispose()
        seen, shared, stack = set(), False, [node] if node is not None else []
        while stack and not shared:
            current = stack.pop()
            if id(current) in seen:
                shared = True
                break
            seen.add(id(current))
            if isinstance(current, yaml.MappingNode):
                stack.extend(child for pair in current.value for child in pair)
            elif isinstance(current, yaml.SequenceNode):
                stack.extend(current.value)
        if shared:
            shared_seen += 1
            assert _may_alias(text), (number, text)
    assert shared_seen > 20


def test_a_recipe_reads_at_most_16_mib_of_compose_files(hostile, tmp_path):
    root = tmp_path / "r"
    root.mkdir()
    (root / "compose.yml").write_text(SERVICE)
    filler = "# " + "x" * 1000 + "\n"
    for index in range(6):  # 6 overlays of 3.5 MiB: each is under the file limit
        (root / f"compose.o{index}.yml").write_text(SERVICE + filler * (3500 * 1024 // len(filler)))
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    refused = [line for line in finding_lines(run, "CP000") if "exceed 16 MiB together" in line]
    assert [re.search(r"compose\.o\d", line).group(0) for line in refused] == ["compose.o5"], run  # o4 crosses the line: the next is refused
