"""``compose-policy audit``: is each recipe's CI overlay still needed, and does it hide defects?"""

from __future__ import annotations

import json
import sys

import click

from compose_policy.commands.common import reports_errors
from compose_policy.commands.fleet_cmd import (
    lint_options, progress_wanted, run_scan, scan_paths, scan_progress, write_text)
from compose_policy.errors import InputError

_ORDER = ["error", "warning", "info"]


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--overlay-dir", "overlay_dir", required=True, metavar="TEMPLATE",
              help="Each recipe's CI overlay, e.g. ci/tests/{recipe} (a folder with compose.ccci.yml, or a file).")
@click.option("--enrolled", metavar="FILE", help="Only the recipes named in FILE (one a line, # comments).")
@click.option("--format", "output_format", default="text", show_default=True, type=click.Choice(["text", "json"]),
              help="text for people, json for tools.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the audit here instead of stdout.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules decide what a finding is.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--fail-on", "fail_on", default="warning", show_default=True, type=click.Choice(_ORDER),
              help="Lowest severity that makes the exit code 1 (weakening is error; stale, redundant and "
                   "missing-header are warning; unexplained is info).")
@click.option("--progress/--no-progress", "progress", default=None,
              help="A progress line on stderr (default: only on a terminal).")
@reports_errors
def audit(paths, overlay_dir, enrolled, output_format, output, select, ignore, fail_on, progress):
    """Audit the CI overlays of the recipes under PATHS (default: abra's recipe folder).

    Each overlay entry is justified (removes a finding), redundant (the recipe already has it),
    stale (its service or healthcheck is gone), weakening (lowers failure detection: error) or
    unexplained (removes no finding); an overlay without a header comment is reported too.
    Exit 0 clean, 1 something at or above --fail-on, 2 usage or input error.
    """
    from compose_policy import fleet_scan
    from compose_policy.formats.fleet_render import audit_lines

    fleet_scan.check_template(overlay_dir)
    roots, missing = scan_paths(paths, enrolled)
    options = lint_options(select, ignore)
    with scan_progress(progress_wanted(progress)) as step:
        result = run_scan(roots, options, step)
        judged = fleet_scan.judge_overlays(result, overlay_dir, options, on_recipe=lambda n: step(f"{n} + overlay"))
        audits = fleet_scan.audit_overlays(result, judged, options)
    if not audits and not result.stacks:
        raise InputError("no recipe found to audit")
    if output_format == "json":
        text = json.dumps({"overlays": [a.to_dict() for a in audits], "enrolled_missing": missing,
                           "recipes": len(result.stacks)}, indent=2) + "\n"
    else:
        count = len(result.stacks)
        lines = audit_lines(audits) or [
            f"No CI overlay found for {count} recipe{'' if count == 1 else 's'} with {overlay_dir}."]
        if missing:
            lines.append("Enrolled but not found: " + ", ".join(missing))
        text = "\n".join(lines) + "\n"
    write_text(output, text)
    worst = [a.worst() for a in audits if a.worst()]
    limit = _ORDER.index(fail_on)
    sys.exit(1 if any(_ORDER.index(w) <= limit for w in worst) else 0)
