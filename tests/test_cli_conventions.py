"""What users of linters expect from the command line: exit-zero, quiet, stdin, colour
variables, completion, --version everywhere, help on every option, JSON errors."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import click
import pytest

from snippets import HEAVY

ROOT = pathlib.Path(__file__).resolve().parent.parent
EXE = pathlib.Path(sys.executable).with_name("compose-policy")
HARNESS = ROOT / "tests" / "fixtures" / "harness_code" / "bad_upgrade.py"


def run(*args, stdin=None, env=None, cwd=None):
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {})
    return subprocess.run([str(EXE), *map(str, args)], input=stdin, capture_output=True, text=True,
                          env=environment, cwd=cwd, timeout=120)


@pytest.fixture
def recipe(write, tmp_path):
    write("r/compose.yml", HEAVY)
    return tmp_path / "r"


def test_exit_zero_reports_and_exits_0(recipe):
    plain = run("lint", recipe)
    zero = run("lint", recipe, "--exit-zero")
    assert plain.returncode == 1 and zero.returncode == 0 and zero.stdout == plain.stdout
    assert run("lint", recipe, "--exit-zero", "--select", "NOPE").returncode == 2


def test_quiet_prints_the_findings_only(recipe):
    loud = run("lint", recipe).stdout.splitlines()
    quiet = run("lint", recipe, "-q")
    assert quiet.returncode == 1
    assert quiet.stdout.splitlines() == [line for line in loud if line.startswith(str(recipe))]
    assert run("lint", recipe, "--quiet", "--select", "CP204").stdout == ""
    assert json.loads(run("lint", recipe, "-q", "--format", "json").stdout)["summary"]


def test_stdin_is_linted_under_its_stdin_filename(recipe, tmp_path):
    text = (recipe / "compose.yml").read_text()
    from_file = run("lint", recipe / "compose.yml", "--format", "json")
    piped = run("lint", "-", "--stdin-filename", recipe / "compose.yml", "--format", "json", stdin=text)
    assert piped.returncode == from_file.returncode == 1
    assert json.loads(piped.stdout)["findings"] == json.loads(from_file.stdout)["findings"]
    # the configuration that applies at the stdin file name applies
    (recipe / ".compose-policy.yml").write_text("select: [CP101]\n")
    assert json.loads(run("lint", "-", "--stdin-filename", recipe / "compose.yml", "--format", "json",
                          stdin=text).stdout)["summary"]["by_rule"] == {"CP101": 1}
    unnamed = run("lint", "-", stdin=text, cwd=tmp_path)
    assert unnamed.returncode == 1 and unnamed.stdout.startswith("stdin.yml:")


def test_stdin_python_by_its_name(tmp_path):
    piped = run("lint", "-", "--stdin-filename", "tests/test_up.py", stdin=HARNESS.read_text(), cwd=tmp_path)
    assert piped.returncode == 1
    assert piped.stdout.splitlines()[0].startswith("tests/test_up.py:21:5: CP501 [error] [*] ")


def test_stdin_misuse_is_a_usage_error(recipe):
    for args in (["-", recipe], ["--stdin-filename", "x.yml", recipe], ["-", "--fix"]):
        proc = run("lint", *args, stdin="")
        assert proc.returncode == 2 and proc.stderr.count("\n") == 1, args
    binary = subprocess.run([str(EXE), "lint", "-"], input=b"services: \xff\n", capture_output=True, timeout=60)
    assert binary.returncode == 2 and binary.stderr == b"compose-policy: error: stdin: not UTF-8 text\n"


@pytest.mark.parametrize("env, args, coloured", [
    ({}, [], False),
    ({"FORCE_COLOR": "1"}, [], True),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, [], False),
    ({"NO_COLOR": ""}, ["--color"], True),
    ({"NO_COLOR": "1"}, ["--color"], True),
    ({"FORCE_COLOR": "1"}, ["--no-color"], False),
])
def test_colour_variables(recipe, env, args, coloured):
    out = run("lint", recipe, *args, env=env).stdout
    assert ("\033[" in out) == coloured


def test_shell_completion_is_clicks(recipe):
    script = run(env={"_COMPOSE_POLICY_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_compose_policy_completion" in script.stdout
    words = run(env={"_COMPOSE_POLICY_COMPLETE": "bash_complete", "COMP_WORDS": "compose-policy li", "COMP_CWORD": "1"})
    assert "lint" in words.stdout
    options = run(env={"_COMPOSE_POLICY_COMPLETE": "bash_complete", "COMP_WORDS": "compose-policy lint --exit",
                       "COMP_CWORD": "2"})
    assert "--exit-zero" in options.stdout


def all_commands():
    from compose_policy.commands.group import cli

    def walk(command, path):
        yield path, command
        if isinstance(command, click.Group):
            for name in command.list_commands(None):
                yield from walk(command.get_command(None, name), path + [name])

    return list(walk(cli, []))


@pytest.mark.parametrize("name", ["lint", "config", "rules", "explain", "fix", "harness", "fleet", "audit",
                                  "harness snapshot", "harness converge", "harness hc1", "harness verify-upgrade"])
def test_every_subcommand_has_version(name):
    proc = run(*name.split(), "--version")
    assert proc.returncode == 0 and proc.stdout == run("--version").stdout


def test_every_option_has_help():
    missing = [f"{' '.join(path)} {param.opts}" for path, command in all_commands() for param in command.params
               if isinstance(param, click.Option) and not param.hidden and not param.help]
    assert missing == []


def test_fleet_takes_compose_file_env_file_and_config(write, tmp_path):
    write("fleet/a/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n')
    write("fleet/a/compose.heavy.yml", HEAVY)
    write("fleet/a/alt.env", "COMPOSE_FILE=compose.yml:compose.heavy.yml\n")
    write("fleet.yml", "select: [CP101]\n")
    base = json.loads(run("fleet", tmp_path / "fleet" / "a", "--format", "json").stdout)
    with_c = json.loads(run("fleet", tmp_path / "fleet" / "a", "--format", "json",
                            "-c", "compose.yml", "-c", "compose.heavy.yml").stdout)
    with_env = json.loads(run("fleet", tmp_path / "fleet" / "a", "--format", "json",
                              "--env-file", tmp_path / "fleet" / "a" / "alt.env").stdout)
    configured = json.loads(run("fleet", tmp_path / "fleet" / "a", "--format", "json", "-c", "compose.yml",
                                "-c", "compose.heavy.yml", "--config", tmp_path / "fleet.yml").stdout)

    def rules(report):
        return sorted({f["rule"] for recipe in report["recipes"] for f in recipe["findings"]})

    assert "CP101" not in rules(base)
    assert "CP101" in rules(with_c) and rules(with_env) == rules(with_c)
    assert len(rules(with_c)) > 1 and rules(configured) == ["CP101"]


def test_harness_usage_errors_are_json_with_format_json():
    proc = run("harness", "verify-upgrade", "--format", "json", "--expect", "1234567", "--since", "missing.json")
    assert proc.returncode == 2
    record = json.loads(proc.stdout)
    assert record["passed"] is False and record["checked"] is False and "--stack" in record["error"]
    unknown = run("harness", "verify", "--format", "json")
    assert unknown.returncode == 2 and "No such command" in json.loads(unknown.stdout)["error"]
    text = run("harness", "verify-upgrade", "--expect", "1234567", "--since", "missing.json")
    assert text.returncode == 2 and text.stdout == "" and "--stack" in text.stderr


def test_lint_fix_fixes_in_place_then_reports_what_remains(tmp_path):
    recipe = tmp_path / "r"
    shutil.copytree(ROOT / "examples" / "heavy-rails", recipe)
    shutil.copy(HARNESS, recipe / "test_upgrade.py")
    safe = run("lint", recipe, "--fix", "--select", "CP101,CP501")
    assert safe.returncode == 1 and "CP101" in safe.stdout and "CP501" in safe.stdout  # unsafe fixes: held back
    # ...and said so, or --fix would look like it did nothing for no reason
    assert safe.stderr == "compose-policy: 5 unsafe fixes held back; add --unsafe-fixes to apply them\n"
    assert "order: start-first" in (recipe / "compose.yml").read_text()
    unsafe = run("lint", recipe, "--fix", "--unsafe-fixes", "--select", "CP101,CP501")
    assert unsafe.returncode == 0, unsafe.stdout + unsafe.stderr
    assert "All clear" in unsafe.stdout and "fixed 5 findings (2 files written)" in unsafe.stderr
    assert "order: stop-first" in (recipe / "compose.yml").read_text()
    assert run("lint", recipe, "--unsafe-fixes").returncode == 2


def test_lint_fix_fixes_the_stack_the_compose_files_make(tmp_path):
    # with -c, lint --fix edits the stack lint reads: the base alone has nothing to fix
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "stack.yml").write_text('version: "3.8"\nservices:\n  app:\n    image: discourse/discourse:3.2\n')
    prod = HEAVY.replace("    image: discourse/discourse:3.2\n", "")
    (folder / "prod.yml").write_text(prod)
    args = ("-c", "stack.yml", "-c", "prod.yml", "--select", "CP101")
    assert run("lint", folder, *args).returncode == 1
    fixed = run("lint", folder, *args, "--fix", "--unsafe-fixes")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "order: stop-first" in (folder / "prod.yml").read_text()
    assert (folder / "stack.yml").read_text().count("\n") == 4  # untouched
