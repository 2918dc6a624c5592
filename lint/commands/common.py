"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import sys
from typing import List, Tuple

import click

from compose_policy.errors import PolicyError


def split_codes(values: Tuple[str, ...]) -> List[str]:
    """``--select CP101,CP105 --select CP2`` -> [CP101, CP105, CP2]."""
    out = []
    for value in values:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


def fail(message: str) -> "NoReturn":  # noqa: F821
    click.echo(f"compose-policy: error: {message}", err=True)
    sys.exit(2)


def reports_errors(func):
    """Turn a PolicyError into a one-line message and exit code 2."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except PolicyError as exc:
            fail(str(exc))

    return wrapper


def load_options(func):
    func = click.option("--env-file", type=click.Path(dir_okay=False),
                        help="App env file: COMPOSE_FILE and values for interpolation "
                             "(default: the recipe's .env if present).")(func)
    func = click.option("--compose-file", "-c", "compose_files", multiple=True, metavar="FILE",
                        help="Compose file set, in merge order, relative to the recipe "
                             "(repeatable; default: COMPOSE_FILE, else compose.yml).")(func)
    return func
