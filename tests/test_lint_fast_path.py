"""``compose-policy lint`` without click: the same options, output and exit codes as with it.

``compose_policy.cli.main`` parses a lint command line from the table click's command is
made of, and hands everything it does not accept to click. Each command line below runs
both ways in-process and must give the same stdout, stderr and exit code.
"""

import os
import subprocess
import sys

import pytest

from compose_policy.commands import fastparse
from compose_policy.commands.lint_run import PARAMS
from snippets import HEAVY


# command lines the fast path runs itself
ACCEPTED = [
    ["r"],
    ["r", "--format", "json"],
    ["--format=json", "--statistics", "r"],
    ["r", "--format", "text", "--format", "json", "--output", "-", "--output", "OUT/report.json"],
    ["r", "--format", "sarif", "-oOUT/a.sarif", "--format", "text"],
    ["r", "--select", "CP101,CP105", "--ignore", "CP105", "--fail-on", "error"],
    ["r", "--fail-on", "info", "--fail-on", "error"],
    ["r", "--color", "--no-color", "--statistics"],
    ["r", "--color"],
    ["r", "-c", "compose.yml", "--env-file", "r/.env"],
    ["--no-config", "--", "r"],
    ["r", "--select", "NOPE"],  # accepted options, then a one-line error (exit 2)
    ["--config", "x.yml", "--no-config", "r"],
    ["missing"],
    ["r", "--output", "-", "--output", "-", "--format", "json", "--format", "text"],
    ["r", "--baseline", "missing.json"],
    ["r", "--exit-zero"],
    ["r", "-q", "--statistics"],
    ["--quiet", "r", "--format", "json", "--exit-zero"],
    ["r", "--stdin-filename", "x.yml"],  # without '-': a one-line error
]
# command lines left to click: help, unknown or malformed options, values click refuses
DECLINED = [
    ["--help"],
    ["r", "-h"],
    ["r", "--bogus"],
    ["r", "--format", "yaml"],
    ["r", "--fail-on", "ERROR"],
    ["r", "--output"],
    ["r", "--statistics=1"],
    ["r", "--env-file", "r"],
    ["r", "--select", "--statistics"],
    ["r", "--version"],
    ["r", "-x"],
]


@pytest.fixture
def workdir(write, tmp_path, monkeypatch):
    write("r/compose.yml", HEAVY)
    write("r/.env", "TAG=1\n")
    (tmp_path / "OUT").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(entry, args, capsys, workdir):
    for name in os.listdir(workdir / "OUT"):
        os.remove(workdir / "OUT" / name)
    with pytest.raises(SystemExit) as stopped:
        entry(args)
    out, err = capsys.readouterr()
    files = {name: (workdir / "OUT" / name).read_text() for name in sorted(os.listdir(workdir / "OUT"))}
    return stopped.value.code or 0, out, err, files


def _fast(args):
    from compose_policy.cli import main

    main(["lint", *args])


def _click(args):
    from compose_policy.cli import cli

    cli.main(args=["lint", *args], prog_name="compose-policy")


@pytest.mark.parametrize("args", ACCEPTED + DECLINED, ids=" ".join)
def test_fast_path_and_click_give_the_same_result(args, capsys, workdir):
    fast = _run(_fast, args, capsys, workdir)
    slow = _run(_click, args, capsys, workdir)
    assert fast == slow
    if fast[0] == 2 and args in ACCEPTED:
        assert fast[2].count("\n") == 1 and fast[2].startswith("compose-policy: error: ")


@pytest.mark.parametrize("args", ACCEPTED, ids=" ".join)
def test_the_fast_path_takes_plain_command_lines(args, workdir):
    assert fastparse.parse(PARAMS, args) is not None


@pytest.mark.parametrize("args", DECLINED, ids=" ".join)
def test_the_fast_path_leaves_the_rest_to_click(args, workdir):
    assert fastparse.parse(PARAMS, args) is None


def test_the_fast_path_passes_what_click_passes(workdir):
    from compose_policy.commands.lint_cmd import lint

    for args in ACCEPTED:
        ctx = lint.make_context("lint", list(args))
        assert fastparse.parse(PARAMS, args) == ctx.params, args


def test_click_and_the_table_know_the_same_options():
    from compose_policy.commands.lint_cmd import lint

    spellings = {name for param in lint.params for name in param.opts + param.secondary_opts}
    table = {name for param in PARAMS if hasattr(param, "names") for name in param.names}
    assert spellings - {"paths"} == table


# slow to import, and needed by no plain lint (see benchmarks/RESULTS.md, "Lint speed")
HEAVY_MODULES = ["click", "dataclasses", "inspect", "typing", "pkgutil", "json", "jsonschema", "ruamel", "libcst",
                 "multiprocessing", "concurrent"]


def test_a_plain_lint_imports_nothing_heavy(write, tmp_path):
    write("r/compose.yml", HEAVY)
    code = ("import sys\nfrom compose_policy.cli import main\n"
            "try:\n    main(['lint', sys.argv[1]])\n"
            "except SystemExit as stop:\n"
            f"    print(stop.code, [m for m in {HEAVY_MODULES!r} if m in sys.modules])\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path / "r")], capture_output=True, text=True)
    assert proc.stdout.splitlines()[-1] == "1 []", proc.stderr


def test_colours_are_those_click_writes():
    import click

    from compose_policy.formats import text

    for severity, colour in {"error": "red", "warning": "yellow", "info": "cyan"}.items():
        assert text._bold("x", text._COLOURS[severity]) == click.style("x", fg=colour, bold=True)
    assert text._bold("x") == click.style("x", bold=True)


@pytest.mark.parametrize("color", [None, True, False])
def test_echo_writes_what_click_echo_writes(color, capsys):
    import click

    from compose_policy.commands.echo import echo

    for err in (False, True):
        for nl in (False, True):
            echo("\033[1mbold\033[0m text", err=err, nl=nl, color=color)
            ours = capsys.readouterr()
            click.echo("\033[1mbold\033[0m text", err=err, nl=nl, color=color)
            assert ours == capsys.readouterr()
