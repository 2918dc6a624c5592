""".compose-policy.yml: discovery, precedence, overrides, image lists, and one-line errors."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest
from snippets import HEAVY

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "config"
FLEET = FIXTURES / "fleet"
LIGHT = HEAVY.replace("discourse/discourse:3.2", "nginx:1.27")  # CP105 (info), not CP101


def findings(result):
    return json.loads(result.output)["findings"]


def keyed(result):
    return {(f["rule"], f["recipe"], f["service"]): f for f in findings(result)}


def test_the_nearest_configuration_shapes_the_run(cli):
    result = cli("lint", FLEET, "--format", "json")
    found = keyed(result)
    rules = {rule for rule, _, _ in found}
    assert "CP110" in rules  # the rest of the CP1 family runs
    assert not [r for r in rules if r.startswith("CP2")], "select: [CP1, CP900] keeps other families out"
    assert "CP112" not in rules, "ignore: [CP112]"
    # heavy-images from the file extend the shipped list, and the reason reaches the message
    assert "loads a 3 GiB model at boot" in found[("CP101", "shop", "app")]["detail"]
    # options: heavy-memory 512M makes a 1G service heavy...
    assert ("CP101", "shop", "cache") in found
    # ...except where an override gives the worker service its own threshold
    assert ("CP101", "shop", "worker") not in found
    # rules.<name>.severity
    assert found[("CP105", "shop", "web")]["severity"] == "warning"
    # the recipe override drops CP101 for legacy, though discourse is on the shipped list
    assert ("CP101", "legacy", "app") not in found
    assert result.exit_code == 1  # fail-on: error and CP101 is an error


def test_fail_on_in_the_file_decides_the_exit_code(cli):
    # only warnings are left once CP101 is ignored: below the file's fail-on: error
    result = cli("lint", FLEET, "--ignore", "CP101")
    assert result.exit_code == 0, result.output
    assert "CP110 [warning]" in result.output
    assert cli("lint", FLEET, "--ignore", "CP101", "--fail-on", "warning").exit_code == 1


def test_each_stack_uses_the_file_nearest_to_it(cli, write, tmp_path):
    write(".compose-policy.yml", "ignore: [CP101]\n")
    write("a/r1/compose.yml", HEAVY)
    write("b/.compose-policy.yml", "select: [CP101]\n")
    write("b/r2/compose.yml", HEAVY)
    result = cli("lint", tmp_path / "a", tmp_path / "b", "--format", "json")
    found = keyed(result)
    assert ("CP101", "r2", "app") in found
    assert not [k for k in found if k[1] == "r1" and k[0] == "CP101"]
    assert {k[0] for k in found if k[1] == "r2"} == {"CP101"}  # b's select replaced the default


def test_explicit_config_replaces_the_search(cli, write, tmp_path):
    write("r/.compose-policy.yml", "ignore: [CP101]\n")
    write("r/compose.yml", HEAVY)
    other = write("elsewhere.yml", "select: [CP101]\n")
    assert ("CP101", "r", "app") not in keyed(cli("lint", tmp_path / "r", "--format", "json"))
    result = cli("lint", tmp_path / "r", "--config", other, "--format", "json")
    assert {k[0] for k in keyed(result)} == {"CP101"}
    assert ("CP101", "r", "app") in keyed(cli("lint", tmp_path / "r", "--no-config", "--format", "json"))


def test_command_line_select_replaces_and_ignore_adds(cli, write, tmp_path):
    write("r/.compose-policy.yml", "select: [CP105]\nignore: [CP110]\n")
    write("r/compose.yml", HEAVY)
    assert {k[0] for k in keyed(cli("lint", tmp_path / "r", "--format", "json"))} == set()  # heavy: no CP105
    selected = keyed(cli("lint", tmp_path / "r", "--select", "CP101,CP110", "--format", "json"))
    assert {k[0] for k in selected} == {"CP101"}  # the file's ignore still holds
    ignored = keyed(cli("lint", tmp_path / "r", "--select", "CP101,CP105", "--ignore", "CP101",
                        "--format", "json"))
    assert ignored == {}


def test_per_rule_options_beat_global_options(cli, write, tmp_path):
    compose = HEAVY.replace("discourse/discourse:3.2", "acme/app:1").replace(
        "    deploy:\n", "    deploy:\n      resources:\n        limits:\n          memory: 2G\n")
    write("r/compose.yml", compose)
    write("r/.compose-policy.yml", "select: [CP101]\noptions: {heavy-memory: 1G}\n")
    assert ("CP101", "r", "app") in keyed(cli("lint", tmp_path / "r", "--format", "json"))
    write("r/.compose-policy.yml", "select: [CP101]\noptions: {heavy-memory: 1G}\n"
                                   "rules: {CP101: {options: {heavy-memory: 3G}}}\n")
    assert keyed(cli("lint", tmp_path / "r", "--format", "json")) == {}


def test_override_by_service_sets_severity(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    write("r/.compose-policy.yml", textwrap.dedent("""\
        select: [CP101]
        overrides:
          - recipes: ["r*"]
            services: [app]
            rules: {CP101: {severity: info}}
        """))
    result = cli("lint", tmp_path / "r", "--format", "json")
    assert keyed(result)[("CP101", "r", "app")]["severity"] == "info"
    assert result.exit_code == 0  # info is below the default fail-on (warning)


def test_database_images_from_the_file_reach_the_rules(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.replace("discourse/discourse:3.2", "acme/ledger:5"))
    write("r/.compose-policy.yml", "select: [CP102]\ndatabase-images: [acme/ledger]\n")
    found = keyed(cli("lint", tmp_path / "r", "--format", "json"))
    assert "listed as a database in" in found[("CP102", "r", "app")]["detail"]
    write("r/.compose-policy.yml", "select: [CP102]\n")
    assert keyed(cli("lint", tmp_path / "r", "--format", "json")) == {}


BAD_CONFIGS = [
    ("rules:\n  CP101:\n    severity: fatal\n",
     ".compose-policy.yml: rules.CP101.severity: 'fatal' is not one of ['error', 'warning', 'info']"),
    ("selct: [CP101]\n", ".compose-policy.yml: selct: unknown key (expected one of: database-images, "
                         "fail-on, heavy-images, ignore, options, overrides, rules, select)"),
    ("select: [CP101, CP999]\n", ".compose-policy.yml: select[1]: unknown rule code or name 'CP999'"),
    ("rules:\n  CP999: {severity: info}\n", ".compose-policy.yml: rules.CP999: unknown rule code or name"),
    ("rules:\n  CP101:\n    options: {heavy-memry: 2G}\n",
     ".compose-policy.yml: rules.CP101.options.heavy-memry: CP101 has no option 'heavy-memry' "
     "(options: heavy-memory, heavy-start-period)"),
    ("options:\n  colour: blue\n", ".compose-policy.yml: options.colour: no rule has this option"),
    ("overrides:\n  - ignore: [CP101]\n", ".compose-policy.yml: overrides[0]: needs recipes or services"),
    ("overrides:\n  - recipes: [x]\n    ignore: [CP77]\n",
     ".compose-policy.yml: overrides[0].ignore[0]: unknown rule code or name 'CP77'"),
    ("fail-on: [error]\n", ".compose-policy.yml: fail-on: ['error'] is not one of ['error', 'warning', 'info']"),
    ("select: CP101\n", ".compose-policy.yml: select: 'CP101' is not of type 'array'"),
    ("heavy-images: {acme/x: 3}\n", ".compose-policy.yml: heavy-images.acme/x: 3 is not of type 'string'"),
    ("rules:\n  CP101: {options: {heavy-memory: [1G]}}\n",
     ".compose-policy.yml: rules.CP101.options.heavy-memory: ['1G'] does not fit option heavy-memory of CP101"),
    # an option value the rule cannot read is an error, not a silent fall back to the default
    ("options: {heavy-memory: lots}\n",
     ".compose-policy.yml: options.heavy-memory: 'lots' does not fit option heavy-memory of CP101: "
     "not a size (like 512M or 1G)"),
    ("options: {heavy-start-period: forever}\n",
     ".compose-policy.yml: options.heavy-start-period: 'forever' does not fit option heavy-start-period of CP101: "
     "not a duration (like 30s or 2m)"),
    ("rules:\n  CP104: {options: {node-memory: eight}}\n",
     ".compose-policy.yml: rules.CP104.options.node-memory: 'eight' does not fit option node-memory of CP104: "
     "not a size (like 512M or 1G)"),
    ("options: {nodes: two}\n",
     ".compose-policy.yml: options.nodes: 'two' does not fit option nodes of CP104: not a whole number of at least 1"),
    ("options: {nodes: 0}\n",
     ".compose-policy.yml: options.nodes: 0 does not fit option nodes of CP104: not a whole number of at least 1"),
    ("rules:\n  CP204: {options: {scope: everything}}\n",
     ".compose-policy.yml: rules.CP204.options.scope: 'everything' does not fit option scope of CP204: "
     "not one of rollouts, all"),
    ("select: [CP101\n", ".compose-policy.yml:1:9: invalid YAML:"),
    ("select: [CP101]\nselect: [CP105]\n", ".compose-policy.yml:2:1: invalid YAML: mapping key \"select\" already defined"),
    ("- CP101\n", ".compose-policy.yml: (top level): ['CP101'] is not of type 'object'"),
]


@pytest.mark.parametrize("text, message", BAD_CONFIGS)
def test_a_bad_file_is_one_line_naming_file_key_and_reason(cli, write, tmp_path, monkeypatch, text, message):
    write("r/compose.yml", HEAVY)
    write(".compose-policy.yml", text)
    monkeypatch.chdir(tmp_path)
    result = cli("lint", "r")
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("compose-policy: error: " + message), lines[0]


def test_missing_explicit_config_is_an_error(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    result = cli("lint", tmp_path / "r", "--config", tmp_path / "nope.yml")
    assert result.exit_code == 2
    assert "nope.yml: no such configuration file" in result.output


def test_empty_file_and_anchors_are_fine(cli, write, tmp_path):
    write("r/compose.yml", HEAVY)
    write("r/.compose-policy.yml", "")
    assert cli("lint", tmp_path / "r", "--select", "CP101").exit_code == 1
    write("r/.compose-policy.yml", "x-quiet: &quiet [CP101]\nignore: *quiet\n")
    assert cli("lint", tmp_path / "r", "--select", "CP101").exit_code == 0


def _imports_jsonschema(cwd, path) -> bool:
    code = ("import sys\nfrom compose_policy.engine import LintOptions, lint_paths\n"
            f"lint_paths([{str(path)!r}], LintOptions())\nprint('jsonschema' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True)
    return proc.stdout.strip() == "True"


def test_jsonschema_is_imported_only_when_a_file_exists(write, tmp_path):
    write("r/compose.yml", LIGHT)
    assert _imports_jsonschema(tmp_path, tmp_path / "r") is False
    write("r/.compose-policy.yml", "select: [CP105]\n")
    assert _imports_jsonschema(tmp_path, tmp_path / "r") is True


def test_the_schema_ships_inside_the_package():
    import compose_policy.config as config

    with open(config.SCHEMA_FILE, encoding="utf-8") as handle:
        schema = json.load(handle)
    assert os.path.dirname(config.SCHEMA_FILE) == os.path.dirname(os.path.abspath(config.__file__))
    assert {"select", "ignore", "fail-on", "rules", "options", "overrides"} <= set(schema["properties"])


def test_installed_command_exit_codes_with_a_configuration(write, tmp_path):
    exe = pathlib.Path(sys.executable).with_name("compose-policy")
    write("r/compose.yml", LIGHT)
    env = {**os.environ, "NO_COLOR": "1"}

    def run():
        return subprocess.run([str(exe), "lint", "r", "--select", "CP105"], cwd=tmp_path,
                              capture_output=True, text=True, env=env)

    assert run().returncode == 0  # CP105 is info, below the default fail-on
    write(".compose-policy.yml", "fail-on: info\n")
    assert run().returncode == 1
    write(".compose-policy.yml", "fail-on: fatal\n")
    proc = run()
    assert proc.returncode == 2
    assert proc.stderr.strip() == ("compose-policy: error: .compose-policy.yml: fail-on: "
                                   "'fatal' is not one of ['error', 'warning', 'info']")
    assert proc.stdout == ""
