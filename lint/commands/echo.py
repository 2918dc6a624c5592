"""``click.echo`` for text, without importing click.

The same observable behaviour: a newline unless ``nl=False``, ANSI codes removed unless
``color`` is true (or None on a terminal), a flush after each write. A stream whose
encoding is ASCII is one click re-wraps to replace what it cannot encode: that rare case
goes to click itself.
"""

from __future__ import annotations

import codecs
import re
import sys

# click's own pattern (click._compat._ansi_re)
_ANSI = re.compile(r"\033\[[0-?]*[ -/]*[@-~]")


def _misconfigured(stream) -> bool:
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii"
    except LookupError:
        return True


def _shows_colour(stream) -> bool:
    """click's default: a terminal, or a Jupyter kernel's output."""
    try:
        if stream.isatty():
            return True
    except Exception:
        pass
    return type(stream).__module__.startswith("ipykernel.")


def echo(message: str = "", err: bool = False, nl: bool = True, color=None) -> None:
    stream = sys.stderr if err else sys.stdout
    if stream is None:
        return
    if _misconfigured(stream):
        import click

        click.echo(message, err=err, nl=nl, color=color)
        return
    out = message + "\n" if nl else message
    if out and not (color if color is not None else _shows_colour(stream)):
        out = _ANSI.sub("", out)
    if out:
        stream.write(out)
    stream.flush()
