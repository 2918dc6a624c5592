"""``compose-policy fleet``: the blast-radius report over many recipes."""

from __future__ import annotations

import sys

import click

from compose_policy.commands.common import fail, load_options, reports_errors, split_codes
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.errors import InputError
from compose_policy.fleet import build_report
from compose_policy.formats.fleet_render import RENDERERS
from compose_policy.stack import LoadOptions


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(sorted(RENDERERS)), help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--fail-on-risk", type=click.Choice(["high", "medium", "low"]),
              help="Exit 1 when any recipe is at this risk or worse (default: always 0).")
@click.option("--config", "config_file", metavar="FILE",
              help="Use this configuration for every path instead of the nearest .compose-policy.yml.")
@load_options
@reports_errors
def fleet(paths, output_format, output, select, ignore, fail_on_risk, config_file, compose_files, env_file):
    """Report, for every recipe under PATHS, how an upgrade could fail silently."""
    options = LintOptions(select=split_codes(select), ignore=split_codes(ignore), config=config_file,
                          load=LoadOptions(compose_files=tuple(compose_files), env_file=env_file))
    try:
        result = lint_paths(list(paths) or ["."], options)
    except KeyError as exc:
        fail(f"unknown rule code or name: {exc.args[0]}")
    report = build_report(result)
    text = RENDERERS[output_format](report)
    if output:
        try:
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
        except OSError as exc:
            raise InputError(f"{output}: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)
    if fail_on_risk:
        worst = ["invalid", "high", "medium", "low"]
        limit = worst.index(fail_on_risk)
        sys.exit(1 if any(r.risk in worst[: limit + 1] for r in report.recipes) else 0)
