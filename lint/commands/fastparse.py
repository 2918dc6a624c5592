"""Parse a command line against a ``spec`` table without click, or decline.

It accepts only what it can read exactly as click would: ``--name value``,
``--name=value``, ``-o value``, ``-ovalue``, flags, positional values and ``--``. For
anything else (help, an unknown or malformed option, a value click would reject) it
returns None and the caller hands the whole command line to click, which prints the same
help and the same errors as always.
"""

from __future__ import annotations

import os
import stat

from compose_policy.commands.spec import Argument, Option

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, List, Optional, Sequence


def _path_ok(value: str, check) -> bool:
    """click.Path's verdict: a missing path passes; an existing one must fit and be readable."""
    try:
        st = os.stat(value)
    except OSError:
        return True
    if not check.dir_okay and stat.S_ISDIR(st.st_mode):
        return False
    return os.access(value, os.R_OK)


def _value_ok(option: Option, value: str) -> bool:
    if option.choices is not None and value not in option.choices():
        return False
    return option.path is None or _path_ok(value, option.path)


def parse(params: Sequence, args: Sequence[str]) -> Optional[Dict[str, object]]:
    """Keyword values as click would pass them to the command, or None to leave it to click."""
    argument = next(p for p in params if isinstance(p, Argument))
    by_name = {name: p for p in params if isinstance(p, Option) for name in p.names}
    values: Dict[str, object] = {p.dest: p.default() for p in params if isinstance(p, Option) and p.kind != "version"}
    positional: List[str] = []
    pending = list(args)
    while pending:
        arg = pending.pop(0)
        if arg == "--":
            positional.extend(pending)
            break
        if not arg.startswith("-") or arg == "-":
            positional.append(arg)
            continue
        name, explicit = arg, None
        if arg.startswith("--") and "=" in arg:
            name, explicit = arg.split("=", 1)
        elif not arg.startswith("--") and len(arg) > 2:
            name, explicit = arg[:2], arg[2:]  # -ofile
        option = by_name.get(name)
        if option is None or option.kind == "version":
            return None
        if option.kind in ("flag", "switch"):
            if explicit is not None:
                return None
            values[option.dest] = option.flag_value(name)
            continue
        if explicit is None:
            if not pending or (pending[0].startswith("-") and pending[0] != "-"):
                return None  # click would complain, or read an option as the value
            explicit = pending.pop(0)
        if not _value_ok(option, explicit):
            return None
        if option.kind == "multiple":
            values[option.dest] += (explicit,)
        else:
            values[option.dest] = explicit
    if argument.path is not None and not all(_path_ok(p, argument.path) for p in positional):
        return None
    values[argument.dest] = tuple(positional)
    return values
