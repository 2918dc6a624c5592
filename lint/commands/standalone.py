"""Run a command function as click's standalone mode would, without click.

The same endings: the function's own ``sys.exit`` code (0 when it returns), "Aborted!"
and exit 1 on Ctrl-C or end of input, exit 1 without a traceback when the reader of
stdout goes away (a closed pipe).
"""

from __future__ import annotations

import os
import sys

from compose_policy.commands.echo import echo


def _silence_stdout() -> None:
    """Later flushes of a closed pipe would fail again: point stdout at /dev/null."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def run_standalone(func, values) -> "NoReturn":  # noqa: F821
    try:
        func(**values)
    except (EOFError, KeyboardInterrupt):
        echo(err=True)  # closes the terminal's ^C line
        echo("Aborted!", err=True)
        sys.exit(1)
    except BrokenPipeError:
        _silence_stdout()
        sys.exit(1)
    sys.exit(0)
