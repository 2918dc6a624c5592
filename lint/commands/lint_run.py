"""``compose-policy lint``: report risky rollout settings. Exit 0 clean, 1 findings, 2 error.

Several reports can come out of one run: ``--format`` and ``--output`` pair up by order
(``--format text --format sarif --output - --output out.sarif``); a format without an
output goes to stdout, and only one may.

The parameters and the work, without click: ``lint_cmd`` makes the click command of them,
and ``compose_policy.cli`` runs them directly when nothing needs click.
"""

from __future__ import annotations

import os
import sys

from compose_policy.atomic import write_report
from compose_policy.commands.common import JOBS_HELP, fail, parse_jobs, reports_errors, split_codes
from compose_policy.commands.echo import echo
from compose_policy.commands.spec import LOAD_OPTIONS, VERSION_OPTION, Argument, Option, PathCheck
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.errors import InputError
from compose_policy.formats import names as format_names, renderer
from compose_policy.model import Severity
from compose_policy.stack import LoadOptions

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import List, Sequence, Tuple

STDOUT = "-"  # also PATH '-': the text to lint comes from stdin
STDIN_LIMIT = 10_000_000  # a compose file or harness module is kilobytes; bound what a pipe can make us hold
HELP = "Lint compose stacks and Co-op Cloud recipes under PATHS (default: .)."

PARAMS = (
    Argument("paths", path=PathCheck()),
    Option(["--format"], "formats", "multiple", choices=lambda: sorted(format_names()),
           help="Output format (default: text); repeat for several reports in one run."),
    Option(["--output", "-o"], "outputs", "multiple", metavar="FILE",
           help="Where the --format of the same rank goes ('-' is stdout; default: stdout)."),
    Option(["--select"], "select", "multiple", metavar="CODES",
           help="Only these rules (codes, code prefixes like CP1, names, or ALL; comma-separated). "
                "Replaces the configuration's select."),
    Option(["--ignore"], "ignore", "multiple", metavar="CODES",
           help="Skip these rules, besides those the configuration ignores."),
    Option(["--fail-on"], "fail_on", choices=lambda: ["error", "warning", "info"],
           help="Lowest severity that makes the exit code 1 (default: the configuration's fail-on, else warning)."),
    Option(["--config"], "config_file", metavar="FILE",
           help="Use this configuration for every path instead of the nearest .compose-policy.yml."),
    Option(["--no-config"], "no_config", "flag", help="Use no configuration file at all."),
    Option(["--baseline"], "baseline", metavar="FILE",
           help="Hide findings recorded in this baseline; show only new ones."),
    Option(["--write-baseline"], "write_baseline", metavar="FILE",
           help="Record the current findings in FILE (counts per recipe, file, service and rule) and exit 0."),
    Option(["--statistics"], "statistics", "flag", help="Add a count per rule to the text output."),
    Option(["--color/--no-color"], "color", "switch", help="Colour the text output (default: on a terminal)."),
    Option(["--exit-zero"], "exit_zero", "flag",
           help="Exit 0 even when findings reach --fail-on (2 still means a usage or input error)."),
    Option(["--quiet", "-q"], "quiet", "flag", help="Print the findings only: no summary line, no notes."),
    Option(["--stdin-filename"], "stdin_filename", metavar="PATH",
           help="With PATH '-': the name the text read from stdin stands for (its configuration, its kind: "
                "a .py name is a harness module; default: stdin.yml, a compose file)."),
    Option(["--jobs", "-j"], "jobs", metavar="N", help=JOBS_HELP),
    Option(["--fix"], "fix", "flag",
           help="Apply the safe fixes in place first, then report what remains (like `fix --in-place`)."),
    Option(["--unsafe-fixes"], "unsafe_fixes", "flag", help="With --fix, also apply fixes graded unsafe."),
) + LOAD_OPTIONS + (VERSION_OPTION,)


def pair_outputs(formats: Sequence[str], outputs: Sequence[str]) -> List[Tuple[str, str]]:
    """(format, destination) pairs; raises InputError when they cannot pair up."""
    formats = list(formats) or ["text"]
    if len(outputs) > len(formats):
        raise InputError(f"{len(outputs)} --output for {len(formats)} --format: give a --format for each --output")
    destinations = list(outputs) + [STDOUT] * (len(formats) - len(outputs))
    if destinations.count(STDOUT) > 1:
        raise InputError("only one --format can go to stdout; give the others an --output FILE")
    files = [d for d in destinations if d != STDOUT]
    if len(set(files)) != len(files):
        raise InputError("two --format write the same --output file")
    return list(zip(formats, destinations))


def write_output(destination: str, text: str, colour: bool) -> None:
    if destination == STDOUT:
        echo(text, nl=False, color=colour)
        return
    write_report(destination, text)


def colour_wanted(color, stream) -> bool:
    """--color/--no-color, else NO_COLOR (any value turns colour off), else FORCE_COLOR, else a terminal."""
    if color is not None:
        return color
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return stream.isatty()


def read_stdin() -> str:
    data = sys.stdin.buffer.read(STDIN_LIMIT + 1)
    if len(data) > STDIN_LIMIT:
        raise InputError(f"stdin: more than {STDIN_LIMIT // 1_000_000} MB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("stdin: not UTF-8 text") from None


@reports_errors
def run_lint(paths, formats, outputs, select, ignore, fail_on, config_file, no_config, baseline, write_baseline,
             statistics, color, exit_zero, quiet, stdin_filename, jobs, fix, unsafe_fixes, compose_files,
             env_file):
    if config_file and no_config:
        raise InputError("--config and --no-config exclude each other")
    pairs = pair_outputs(formats, outputs)
    jobs = parse_jobs(jobs)
    options = LintOptions(
        select=split_codes(select), ignore=split_codes(ignore),
        load=LoadOptions(compose_files=tuple(compose_files), env_file=env_file),
        config=config_file, find_config=not no_config,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        baseline=None if write_baseline else baseline, python_files=True,
    )
    if unsafe_fixes and not fix:
        raise InputError("--unsafe-fixes only applies with --fix")
    stdin = STDOUT in paths
    if stdin and (len(paths) > 1 or fix):
        raise InputError("'-' (stdin) is linted on its own, without other paths or --fix")
    if stdin_filename and not stdin:
        raise InputError("--stdin-filename names the text of PATH '-': give '-'")
    try:
        if stdin:
            from compose_policy.textlint import lint_text

            result = lint_text(read_stdin(), stdin_filename or "stdin.yml", options)
        else:
            if fix:
                from compose_policy.commands.lint_fix import fix_in_place

                fix_in_place(list(paths) or ["."], options, unsafe_fixes, quiet)
            result = lint_paths(list(paths) or ["."], options, jobs=jobs)
    except KeyError as exc:
        fail(f"unknown rule code or name: {exc.args[0]}")
    for empty in result.empty_paths:
        from compose_policy.formats.escape import printable

        echo(f"compose-policy: warning: no compose files found under {printable(empty)}", err=True)
    if write_baseline:
        from compose_policy.baseline import write_baseline as write

        data = write(write_baseline, result.findings)
        if not quiet:
            echo(f"compose-policy: wrote {len(result.findings)} findings under {len(data['findings'])} keys "
                 f"to {write_baseline}", err=True)
        sys.exit(0)
    for output_format, destination in pairs:
        colour = destination == STDOUT and colour_wanted(color, sys.stdout)
        text = renderer(output_format)(result, color=colour, statistics=statistics, quiet=quiet)
        write_output(destination, text, colour)
    sys.exit(0 if exit_zero else result.exit_code)
