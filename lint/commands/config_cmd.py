"""``compose-policy config``: the merged, interpolated stack, like ``docker stack config``."""

from __future__ import annotations

import json

import click
import yaml

from compose_policy.commands.common import load_options, reports_errors
from compose_policy.discover import discover
from compose_policy.errors import InputError
from compose_policy.model import Mapping
from compose_policy.stack import LoadOptions, load_target

TOP_LEVEL = ("networks", "volumes", "secrets", "configs")


def stack_as_dict(stack) -> dict:
    """The merged stack as plain data; top-level sections merge key by key, later wins."""
    version = None
    sections = {key: {} for key in TOP_LEVEL}
    for path in stack.file_set:
        root = stack.documents[path].root
        if not isinstance(root, Mapping):
            continue
        version = version or root.value("version")
        for key in TOP_LEVEL:
            node = root.get(key)
            if isinstance(node, Mapping):
                sections[key].update(node.plain())
    data = {}
    if version is not None:
        data["version"] = version
    data["services"] = {name: service.node.plain() for name, service in stack.services.items()}
    for key in TOP_LEVEL:
        if sections[key]:
            data[key] = dict(sorted(sections[key].items()))
    return data


@click.command()
@click.argument("path", type=click.Path())
@click.option("--format", "output_format", default="yaml", type=click.Choice(["yaml", "json"]),
              help="Print the stack as YAML (like docker stack config) or JSON.")
@load_options
@reports_errors
def config(path, output_format, compose_files, env_file):
    """Print the merged, interpolated stack of PATH (a recipe or a compose file)."""
    options = LoadOptions(compose_files=tuple(compose_files), env_file=env_file)
    outputs = []
    for target in discover(path):
        if target.kind == "python":
            raise InputError(f"{path}: a Python module has no stack to print")
        stack = load_target(target, options)
        if stack is None:
            continue
        if not stack.valid:
            first = stack.problems[0]
            raise InputError(f"{first.pos}: {first.message}")
        outputs.append((stack.name, stack_as_dict(stack)))
    if output_format == "json":
        payload = outputs[0][1] if len(outputs) == 1 else {name: data for name, data in outputs}
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    for index, (name, data) in enumerate(outputs):
        if len(outputs) > 1:
            click.echo(("---\n" if index else "") + f"# {name}")
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False), nl=False)
