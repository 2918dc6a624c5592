"""The click command of ``compose-policy lint``, made from the parameters in ``lint_run``."""

from __future__ import annotations

import click

from compose_policy.commands.clickspec import with_params
from compose_policy.commands.lint_run import HELP, PARAMS, run_lint


@click.command(help=HELP)
@with_params(PARAMS)
def lint(**values):
    run_lint(**values)
