"""Command parameters as data, so that click and the click-free fast path read one table.

A pre-commit hook runs ``compose-policy lint`` once per commit; importing click costs it
about a third of its run. ``fastparse`` parses these tables without click, and
``clickspec`` turns the same tables into click parameters for everything else (--help,
errors, the other commands).
"""

from __future__ import annotations


class PathCheck:
    """What ``click.Path`` checks on a value that exists (a missing path is accepted)."""

    __slots__ = ("dir_okay",)

    def __init__(self, dir_okay: bool = True):
        self.dir_okay = dir_okay


class Argument:
    """A positional parameter taking every remaining value (``nargs=-1``)."""

    __slots__ = ("dest", "path")

    def __init__(self, dest: str, path: PathCheck = None):
        self.dest = dest
        self.path = path


class Option:
    """An option: ``kind`` is "value", "multiple", "flag", "switch" (``--x/--no-x``, default None)
    or "version" (click's --version: prints and exits, passes no value; the fast path leaves it
    to click)."""

    __slots__ = ("decls", "dest", "kind", "help", "metavar", "choices", "path")

    def __init__(self, decls, dest: str, kind: str = "value", help: str = "", metavar: str = None,
                 choices=None, path: PathCheck = None):
        self.decls = tuple(decls)
        self.dest = dest
        self.kind = kind
        self.help = help
        self.metavar = metavar
        self.choices = choices  # a callable returning the allowed values, or None
        self.path = path

    @property
    def names(self):
        """Every spelling on the command line (``--color`` and ``--no-color`` for a switch)."""
        if self.kind == "switch":
            return tuple(part for decl in self.decls for part in decl.split("/"))
        return self.decls

    def flag_value(self, name: str) -> bool:
        """What a flag's spelling sets: True, or False for the ``--no-x`` half of a switch."""
        return self.kind == "flag" or name in self.decls[0].split("/")[0:1]

    def default(self):
        return {"multiple": (), "flag": False}.get(self.kind)


# --compose-file and --env-file: every command that loads a stack takes them
LOAD_OPTIONS = (
    Option(["--compose-file", "-c"], "compose_files", "multiple", metavar="FILE",
           help="Compose file set, in merge order, relative to the recipe "
                "(repeatable; default: COMPOSE_FILE, else compose.yml)."),
    Option(["--env-file"], "env_file", path=PathCheck(dir_okay=False),
           help="App env file: COMPOSE_FILE and values for interpolation "
                "(default: the recipe's .env if present)."),
)

# every subcommand answers --version (the group adds it to those not made from a table)
VERSION_OPTION = Option(["--version"], "version", "version", help="Show the version and exit.")
