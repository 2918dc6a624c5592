"""``compose-policy config``: the merged, interpolated stack, like ``docker stack config``."""

from __future__ import annotations

import json

import click
import yaml

from compose_policy.commands.common import load_options, reports_errors
from compose_policy.errors import InputError
from compose_policy.model import Mapping
from compose_policy.stack import LoadOptions, load_target, stack_targets

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
            data[key] = {name: as_docker_prints(name, entry) for name, entry in sorted(sections[key].items())}
    return data


def as_docker_prints(name: str, entry):
    """A top-level resource as docker's loader completes it: an empty entry is ``{}``, and an
    external one is named (its own name, or the legacy ``external: {name: ...}``)."""
    if entry is None:
        return {}
    if not isinstance(entry, dict) or not entry.get("external"):
        return entry
    external = entry["external"]
    named = external.get("name") if isinstance(external, dict) else None
    completed = {"name": entry.get("name") or named or name}
    completed.update((k, v) for k, v in entry.items() if k != "name")
    completed["external"] = True
    return completed


def blocking_problems(stack) -> list:
    """The problems docker would refuse the stack for: any but those of overlays outside the file set."""
    outside = set(stack.documents) - set(stack.file_set)
    return [p for p in stack.problems if p.pos.path not in outside]


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
    for target in stack_targets(path, options):
        if target.kind == "python":
            raise InputError(f"{path}: a Python module has no stack to print")
        stack = load_target(target, options)
        if stack is None:
            continue
        refusals = blocking_problems(stack)
        if refusals:
            more = f" (and {len(refusals) - 1} more)" if len(refusals) > 1 else ""
            raise InputError(f"{refusals[0].pos}: {refusals[0].message}{more}")
        outputs.append((stack.name, stack_as_dict(stack)))
    if not outputs:
        raise InputError(f"{path}: no compose file found")
    if output_format == "json":
        payload = outputs[0][1] if len(outputs) == 1 else {name: data for name, data in outputs}
        click.echo(json.dumps(payload, indent=2, default=str))
        return
    for index, (name, data) in enumerate(outputs):
        if len(outputs) > 1:
            click.echo(("---\n" if index else "") + f"# {name}")
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False), nl=False)
