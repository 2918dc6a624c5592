"""The ``compose-policy`` command line.

The click group lives in ``compose_policy.commands.group``. A plain ``compose-policy lint
...`` (what a pre-commit hook runs) skips click, whose import alone costs more than a
one-recipe lint: its parameters are parsed from the same table the click command is made
of, and whatever that parser does not accept (help, errors, shell completion) goes to click.
"""

from __future__ import annotations

import os
import sys


def __getattr__(name):
    if name in ("cli", "LazyGroup", "SUBCOMMANDS"):
        from compose_policy.commands import group

        return getattr(group, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _run_lint_without_click(args) -> None:
    """Run ``lint`` if its arguments parse without click; return when click must do it."""
    if os.environ.get("_COMPOSE_POLICY_COMPLETE"):
        return  # shell completion is click's
    from compose_policy.commands.fastparse import parse
    from compose_policy.commands.lint_run import PARAMS, run_lint
    from compose_policy.commands.standalone import run_standalone

    values = parse(PARAMS, args)
    if values is not None:
        run_standalone(run_lint, values)


def main(argv=None):
    args = sys.argv[1:] if argv is None else list(argv)
    if args[:1] == ["lint"]:
        _run_lint_without_click(args[1:])
    from compose_policy.commands.group import cli

    cli.main(args=argv, prog_name="compose-policy")
