"""Options and error handling shared by the commands."""

from __future__ import annotations

import functools
import sys

from compose_policy.commands.echo import echo
from compose_policy.commands.spec import LOAD_OPTIONS
from compose_policy.errors import PolicyError

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import List, Tuple


def split_codes(values: Tuple[str, ...]) -> List[str]:
    """``--select CP101,CP105 --select CP2`` -> [CP101, CP105, CP2]."""
    out = []
    for value in values:
        out.extend(part.strip() for part in value.split(",") if part.strip())
    return out


JOBS_HELP = ("Worker processes for many stacks (default: auto, one per core when there are enough stacks "
             "to pay for them, else 1); the output is the same as with 1.")


def parse_jobs(value) -> "Optional[int]":  # noqa: F821
    """--jobs: a positive number, or auto (None: the engine decides from the number of stacks)."""
    if value is None or value == "auto":
        return None
    try:
        jobs = int(value)
    except ValueError:
        jobs = 0
    if jobs < 1:
        from compose_policy.errors import InputError

        raise InputError(f"--jobs {value}: give a positive number or auto")
    return jobs


def fail(message: str) -> "NoReturn":  # noqa: F821
    from compose_policy.formats.escape import printable  # a path may hold a newline: one line still

    echo(f"compose-policy: error: {printable(message)}", err=True)
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
    """--compose-file and --env-file as click options (click only for the commands that use it)."""
    from compose_policy.commands.clickspec import with_params

    return with_params(LOAD_OPTIONS)(func)
