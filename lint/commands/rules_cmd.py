"""``compose-policy rules`` (the catalogue) and ``compose-policy explain CODE`` (a rule's docs)."""

from __future__ import annotations

import json

import click

from compose_policy.commands.common import fail
from compose_policy.registry import all_rules, get_rule


@click.command()
@click.option("--format", "output_format", default="text", type=click.Choice(["text", "json"]),
              help="text: one line per rule; json: every field, options included.")
def rules(output_format):
    """List every rule: code, name, severity, fixability, summary."""
    catalogue = all_rules()
    if output_format == "json":
        data = [{"code": r.code, "name": r.name, "severity": str(r.severity),
                 "fix": r.fix_applicability.value if r.fix_applicability else None,
                 "summary": r.summary(), "options": r.options} for r in catalogue.values()]
        click.echo(json.dumps(data, indent=2))
        return
    for rule in catalogue.values():
        fix = "fix" if rule.fix_applicability else "   "
        click.echo(f"{rule.code}  {rule.name:<38} {str(rule.severity):<8} {fix}  {rule.summary()}")


@click.command()
@click.argument("code")
def explain(code):
    """Print the documentation of a rule (by code or name)."""
    try:
        rule = get_rule(code)
    except KeyError:
        fail(f"unknown rule {code!r}; `compose-policy rules` lists them")
    click.echo(rule.markdown(), nl=False)
