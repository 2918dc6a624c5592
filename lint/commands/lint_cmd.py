"""``compose-policy lint``: report risky rollout settings. Exit 0 clean, 1 findings, 2 error."""

from __future__ import annotations

import sys

import click

from compose_policy.commands.common import fail, load_options, reports_errors, split_codes
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.formats import names as format_names, renderer
from compose_policy.model import Severity
from compose_policy.stack import LoadOptions


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(sorted(format_names())), help="Output format.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules (codes, code prefixes like CP1, names, or ALL; comma-separated).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--fail-on", default="warning", show_default=True,
              type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity that makes the exit code 1.")
@click.option("--statistics", is_flag=True, help="Add a count per rule to the text output.")
@click.option("--color/--no-color", default=None, help="Colour the text output (default: on a terminal).")
@load_options
@reports_errors
def lint(paths, output_format, select, ignore, fail_on, statistics, color, compose_files, env_file):
    """Lint compose stacks and Co-op Cloud recipes under PATHS (default: .)."""
    options = LintOptions(
        select=split_codes(select), ignore=split_codes(ignore),
        load=LoadOptions(compose_files=tuple(compose_files), env_file=env_file),
    )
    try:
        result = lint_paths(list(paths) or ["."], options)
    except KeyError as exc:
        fail(f"unknown rule code or name: {exc.args[0]}")
    colour = sys.stdout.isatty() if color is None else color
    click.echo(renderer(output_format)(result, color=colour, statistics=statistics), nl=False, color=colour)
    threshold = Severity.parse(fail_on)
    sys.exit(1 if any(f.severity >= threshold for f in result.findings) else 0)
