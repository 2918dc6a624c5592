"""The click group of ``compose-policy``.

Subcommands live in their own modules and are imported only when invoked, so that
``compose-policy lint`` in a pre-commit hook does not pay for the docker SDK or the fixers.
"""

from __future__ import annotations

import importlib

import click

from compose_policy import __version__

# name -> "module:attribute" of a click command, imported on first use
SUBCOMMANDS = {
    "lint": "compose_policy.commands.lint_cmd:lint",
    "config": "compose_policy.commands.config_cmd:config",
    "rules": "compose_policy.commands.rules_cmd:rules",
    "explain": "compose_policy.commands.rules_cmd:explain",
    "fix": "compose_policy.fixers.cli:fix",
    "harness": "compose_policy.harness.cli:harness",
    "fleet": "compose_policy.commands.fleet_cmd:fleet",
    "audit": "compose_policy.commands.audit_cmd:audit",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return sorted(SUBCOMMANDS)

    def get_command(self, ctx, name):
        target = SUBCOMMANDS.get(name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                return None  # subcommand not shipped in this build
            raise
        return with_version(getattr(module, attr))


def with_version(command: click.Command) -> click.Command:
    """Every subcommand answers --version, as the group does (lint declares it in its table)."""
    if not any("--version" in param.opts for param in command.params):
        show = click.version_option(__version__, prog_name="compose-policy", help="Show the version and exit.")
        command.params.append(show(lambda: None).__click_params__[0])
    if isinstance(command, click.Group):  # harness snapshot, converge, ...: their subcommands too
        for sub in command.commands.values():
            with_version(sub)
    return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="compose-policy", help="Show the version and exit.")
def cli():
    """Lint, fix and verify Docker Swarm rollout policies of compose stacks."""
