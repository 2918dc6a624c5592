"""Click parameters from the tables of ``compose_policy.commands.spec``."""

from __future__ import annotations

import click

from compose_policy.commands.spec import Argument, Option


def _path_type(check):
    return click.Path(dir_okay=check.dir_okay) if check is not None else None


def click_param(param):
    if isinstance(param, Argument):
        return click.argument(param.dest, nargs=-1, type=_path_type(param.path))
    assert isinstance(param, Option)
    if param.kind == "version":
        return version_option(param)
    kwargs = {"help": param.help}
    if param.metavar:
        kwargs["metavar"] = param.metavar
    if param.choices is not None:
        kwargs["type"] = click.Choice(list(param.choices()))
    elif param.path is not None:
        kwargs["type"] = _path_type(param.path)
    if param.kind == "multiple":
        kwargs["multiple"] = True
    elif param.kind == "flag":
        kwargs["is_flag"] = True
    elif param.kind == "switch":
        kwargs["default"] = None
    return click.option(*param.decls, param.dest, **kwargs)


def version_option(param):
    from compose_policy import __version__

    return click.version_option(__version__, *param.decls, prog_name="compose-policy", help=param.help)


def with_params(params):
    """A decorator adding ``params`` in table order (the order --help lists them in)."""

    def decorate(func):
        for param in reversed(params):
            func = click_param(param)(func)
        return func

    return decorate
