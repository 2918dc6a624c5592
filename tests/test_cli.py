"""The CLI contract: exit codes 0/1/2, the text line format, the JSON object, rules/explain."""

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest
from snippets import HEAVY

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "heavy-rails"
CLEAN = 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n'


def test_clean_recipe_exits_0(cli, write, tmp_path):
    write("r/compose.yml", CLEAN)
    result = cli("lint", tmp_path / "r")
    assert result.exit_code == 0, result.output
    assert "All clear" in result.output


def test_finding_exits_1_with_the_documented_line_format(cli, write, tmp_path):
    path = write("r/compose.yml", HEAVY)
    result = cli("lint", tmp_path / "r")
    assert result.exit_code == 1
    [first] = [line for line in result.output.splitlines() if " CP101 " in line]
    assert first.startswith(f"{path}:8:16: CP101 [error] ")
    assert first.endswith("(app)")
    assert len(first) - len(f"{path}:8:16: ") < 120  # the problem first, in one short line
    [finding] = [f for f in json.loads(cli("lint", tmp_path / "r", "--format", "json").output)["findings"]
                 if f["rule"] == "CP101"]
    assert finding["message"] in first and "discourse/discourse" in finding["detail"]


def test_fail_on_threshold(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.replace("discourse/discourse:3.2", "nginx:1.27"))  # CP105 (info) only
    assert cli("lint", tmp_path / "r", "--select", "CP105").exit_code == 0
    assert cli("lint", tmp_path / "r", "--select", "CP105", "--fail-on", "info").exit_code == 1


def test_select_and_ignore(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    assert cli("lint", tmp_path / "r", "--select", "CP101", "--ignore", "CP101").exit_code == 0
    assert cli("lint", tmp_path / "r", "--select", "CP1").exit_code == 1
    assert cli("lint", tmp_path / "r", "--select", "CP105,CP000").exit_code == 0


def test_the_input_rules_run_whatever_select_says_and_only_cp001_can_be_ignored(cli, write, tmp_path):
    write("bad/compose.yml", "services:\n  app:\n    image: nginx:1.27\n    labels:\n")  # CP001
    write("broken/compose.yml", "services:\n  app:\n    image: [oops\n")  # CP000
    rules = lambda *args: [f["rule"] for f in json.loads(cli("lint", *args, "--format", "json").output)["findings"]]  # noqa: E731
    assert rules(tmp_path / "bad", "--select", "CP101") == ["CP001"]
    assert rules(tmp_path / "bad", "--ignore", "CP001") == [] and rules(tmp_path / "bad", "--ignore", "ALL") == []
    assert rules(tmp_path / "broken", "--select", "CP101", "--ignore", "ALL") == ["CP000"]


def test_json_output_is_one_stable_object(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    result = cli("lint", tmp_path / "r", "--format", "json")
    data = json.loads(result.output)
    assert set(data) >= {"version", "findings", "summary"}
    [finding] = [f for f in data["findings"] if f["rule"] == "CP101"]
    for key in ("rule", "name", "severity", "recipe", "service", "path", "line", "column", "message"):
        assert key in finding
    assert (finding["recipe"], finding["service"], finding["line"], finding["column"]) == ("r", "app", 8, 16)
    assert finding["name"] == "start-first-heavy-rollback" and finding["severity"] == "error"
    assert data["summary"]["by_rule"]["CP101"] == 1


def test_broken_yaml_is_a_finding_not_a_crash(cli, write, tmp_path):
    write("r/compose.yml", "services:\n  app:\n    image: [oops\n")
    result = cli("lint", tmp_path / "r", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.output)["findings"]
    assert finding["rule"] == "CP000" and finding["line"] >= 3


@pytest.mark.parametrize("args, message", [
    (["lint", "/nonexistent/recipe"], "no such file or directory"),
    (["lint", ".", "--select", "CP777"], "unknown rule code or name: CP777"),
    (["explain", "CP777"], "unknown rule"),
])
def test_bad_input_is_one_line_and_exit_2(cli, args, message):
    result = cli(*args)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0]
    assert "Traceback" not in result.output


def test_bad_option_value_exits_2(cli):
    assert cli("lint", ".", "--fail-on", "fatal").exit_code == 2


def test_rules_lists_the_catalogue_and_explain_prints_the_docs(cli):
    listing = cli("rules").output
    assert re.search(r"^CP101\s+start-first-heavy-rollback\s+error\s+fix", listing, re.M)
    docs = cli("explain", "CP101").output
    for section in ("What it does", "Why is this bad", "Example", "Use instead", "Fix"):
        assert f"## {section}" in docs
    assert cli("explain", "start-first-heavy-rollback").output == docs


def test_config_prints_the_merged_stack(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    write("r/compose.fix.yml", "version: \"3.8\"\nservices:\n  app:\n    deploy:\n      update_config:\n        order: stop-first\n")
    result = cli("config", tmp_path / "r", "-c", "compose.yml", "-c", "compose.fix.yml", "--format", "json")
    data = json.loads(result.output)
    assert data["services"]["app"]["deploy"]["update_config"] == {
        "failure_action": "rollback", "order": "stop-first"}


def test_installed_console_script_runs_the_bundled_example():
    exe = pathlib.Path(sys.executable).with_name("compose-policy")
    proc = subprocess.run([str(exe), "lint", str(EXAMPLE)], capture_output=True, text=True,
                          env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "CP101 [error]" in proc.stdout and "(app)" in proc.stdout
    assert proc.stderr == ""
