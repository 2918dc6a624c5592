"""A small hostile input costs the fixer little: alias bombs, recursive anchors, deep nesting,
and files with thousands of services are bounded or refused with a clear message."""

import time
import tracemalloc

import pytest

from compose_policy.fixers.edit import Edit, EditRefused
from compose_policy.fixers.yaml_rt import detect_style
from compose_policy.fixers.verify import line_problem
from compose_policy.fixers.yamledit import apply_edits
from fixhostile import make_recipe, run, snapshot, temp_files


def alias_bomb(levels: int = 8, width: int = 9) -> str:
    """About 600 bytes whose aliases expand to width ** levels nodes (43 million here)."""
    lines = ['version: "3.8"', "x-a0: &a0 [" + ", ".join(["x"] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"x-a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    lines += ["services:", "  app:", "    image: discourse/discourse:3.2", "    deploy:",
              "      update_config:", "        order: start-first", f"    x-bomb: *a{levels}"]
    return "\n".join(lines) + "\n"


RECURSIVE = """\
version: "3.8"
x-loop: &loop
  again: *loop
services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        order: start-first
"""

DEEP = 'version: "3.8"\nx-deep: ' + "[" * 300 + "]" * 300 + "\n" + """\
services:
  app:
    image: discourse/discourse:3.2
"""

EDIT = [Edit(("services", "app", "deploy", "update_config", "order"), "stop-first")]


def bounded(call, seconds=1.0, megabytes=20):
    tracemalloc.start()
    started = time.perf_counter()
    try:
        return call()
    finally:
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert elapsed < seconds and peak < megabytes << 20, (elapsed, peak)


@pytest.mark.parametrize("text, reason", [
    (alias_bomb(), "alias bomb"), (RECURSIVE, "contains an alias to itself"), (DEEP, "levels deep")])
def test_the_editor_refuses_before_expanding(text, reason):
    assert len(text) < 1100
    with pytest.raises(EditRefused, match=reason):
        bounded(lambda: apply_edits(text, EDIT))


@pytest.mark.parametrize("text", [alias_bomb(), RECURSIVE, DEEP])
def test_detect_style_visits_each_node_once(text):
    style = bounded(lambda: detect_style(text))
    assert style.mapping == 2


@pytest.mark.parametrize("mode", [[], ["--in-place", "--unsafe-fixes"]], ids=["overlay", "in-place"])
def test_an_alias_bomb_recipe_is_bounded_end_to_end(tmp_path, mode):
    folder = make_recipe(tmp_path, alias_bomb())
    before = snapshot(folder)
    result = run("fix", folder, *mode, timeout=30)
    assert "Traceback" not in result.output and result.code in (1, 2, 3), result.output
    assert result.seconds < 10 and result.peak_mb < 200, (result.seconds, result.peak_mb)
    assert snapshot(folder)["compose.yml"] == before["compose.yml"]  # the base stays byte-identical
    assert temp_files(folder) == []
    if mode:  # in place the bomb is refused with its reason
        assert "alias bomb" in result.output


def test_a_recursive_anchor_recipe_is_a_clean_result(tmp_path):
    folder = make_recipe(tmp_path, RECURSIVE)
    for mode in ([], ["--in-place", "--unsafe-fixes"]):
        result = run("fix", folder, *mode, timeout=30)
        assert "Traceback" not in result.output and result.code in (0, 1, 2, 3), result.output
        assert result.seconds < 10 and result.peak_mb < 200, (result.seconds, result.peak_mb)
    assert (folder / "compose.yml").read_text() == RECURSIVE


def many_services(count: int) -> str:
    return 'version: "3.8"\nservices:\n' + "".join(
        f"  s{i}:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
        f"        failure_action: rollback\n        order: start-first\n" for i in range(count))


def test_in_place_edits_of_thousands_of_services_scale_linearly():
    # every service gets a fix: the old line check (difflib) and key lookup were quadratic here
    small, large = many_services(1000), many_services(10000)
    timings = []
    for text, count in ((small, 1000), (large, 10000)):
        edits = [Edit(("services", f"s{i}", "deploy", "update_config", "order"), "stop-first")
                 for i in range(count)]
        started = time.perf_counter()
        result = apply_edits(text, edits)
        timings.append(time.perf_counter() - started)
        assert result.text.count("order: stop-first") == count
    assert timings[1] < 60, timings
    assert timings[1] < 30 * max(timings[0], 0.05), timings  # 10x the input, far from 100x the time


def test_the_line_check_of_a_huge_file_is_fast():
    old = many_services(10000)
    new = old.replace("order: start-first", "order: stop-first")
    allowed = {i for i, line in enumerate(old.splitlines()) if "order:" in line}
    assert bounded(lambda: line_problem(old, new, allowed), seconds=5, megabytes=100) is None
    removed = old.replace("        failure_action: rollback\n", "", 1)
    assert "would be removed" in line_problem(old, removed, allowed)


def test_the_diff_of_a_huge_in_place_edit_is_fast_and_complete():
    from compose_policy.fixers.report import unified_diff
    from compose_policy.fixers.run import Change

    old = many_services(10000)
    new = old.replace("order: start-first", "order: stop-first")
    text = bounded(lambda: unified_diff(Change("compose.yml", old, new, 0o644)), seconds=10, megabytes=200)
    lines = text.splitlines()
    assert lines.count("-        order: start-first") == lines.count("+        order: stop-first") == 10000
    assert not any(line.startswith(("-", "+")) and "order" not in line for line in lines[2:])
