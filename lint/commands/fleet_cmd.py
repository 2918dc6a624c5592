"""``compose-policy fleet``: the blast-radius report over many recipes."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import click

from compose_policy.atomic import write_report
from compose_policy.commands.common import JOBS_HELP, fail, load_options, parse_jobs, reports_errors, split_codes
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.fleet import GRADES, SERVICE_PATHS, at_least, build_report
from compose_policy.formats.fleet_render import RENDERERS
from compose_policy.stack import LoadOptions


@contextmanager
def scan_progress(enabled):
    """A live line on stderr while a long scan runs (terminal only): step(text) per item."""
    if not enabled:
        yield lambda text: None
        return
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task("scanning", total=None)
        count = [0]

        def step(text):
            count[0] += 1
            shown = "".join(c if c.isprintable() else "?" for c in str(text))[-60:]
            bar.update(task, description=f"{count[0]} scanned: {escape(shown)}")

        yield step


def progress_wanted(flag) -> bool:
    return sys.stderr.isatty() if flag is None else flag


def scan_paths(paths, enrolled):
    """(paths to lint, enrolled names not found): PATHs, else abra's recipe folder; --enrolled filters."""
    from compose_policy import fleet_scan

    roots = list(paths) or fleet_scan.default_paths()
    missing = []
    if enrolled:
        names = fleet_scan.read_enrolled(enrolled)
        roots, missing = fleet_scan.enrolled_roots(roots, names)
    return roots, missing


def lint_options(select, ignore, config_file=None, compose_files=(), env_file=None) -> LintOptions:
    return LintOptions(select=split_codes(select), ignore=split_codes(ignore), config=config_file,
                       load=LoadOptions(compose_files=tuple(compose_files), env_file=env_file))


def run_scan(roots, options, step, jobs=None):
    try:
        return lint_paths(roots, options, on_stack=lambda stack: step(stack.name), jobs=jobs,
                          service_paths=SERVICE_PATHS)
    except KeyError as exc:
        fail(f"unknown rule code or name: {exc.args[0]}")


def write_text(output, text) -> None:
    if output:
        write_report(output, text)
    else:
        click.echo(text, nl=False)


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--format", "output_format", default="text", show_default=True,
              type=click.Choice(sorted(RENDERERS)), help="Report format.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report here instead of stdout.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules.")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--min-risk", type=click.Choice(GRADES[:-1]),
              help="Show only recipes at this risk or worse (invalid ones and failed runs always show).")
@click.option("--enrolled", metavar="FILE", help="Only the recipes named in FILE (one a line, # comments).")
@click.option("--overlay-dir", "overlay_dir", metavar="TEMPLATE",
              help="Each recipe's CI overlay, e.g. ci/tests/{recipe} (a folder with compose.ccci.yml, or a file): "
                   "judge each recipe without and with it, and audit it.")
@click.option("--verdicts", metavar="DIR", type=click.Path(),
              help="Harness JSON verdicts of CI runs (harness verify-upgrade --format json), per recipe.")
@click.option("--fail-on-risk", type=click.Choice(["high", "medium", "low"]),
              help="Exit 1 when any recipe (with its overlay) is at this risk or worse, or is invalid (default: always 0).")
@click.option("--progress/--no-progress", "progress", default=None,
              help="A progress line on stderr (default: only on a terminal).")
@click.option("--config", "config_file", metavar="FILE",
              help="Use this configuration for every path instead of the nearest .compose-policy.yml.")
@click.option("--jobs", "-j", metavar="N", help=JOBS_HELP)
@load_options
@reports_errors
def fleet(paths, output_format, output, select, ignore, min_risk, enrolled, overlay_dir, verdicts, fail_on_risk,
          progress, config_file, jobs, compose_files, env_file):
    """Report, for every recipe under PATHS (default: abra's recipe folder), how an upgrade could fail silently."""
    from compose_policy import fleet_scan

    if overlay_dir:
        fleet_scan.check_template(overlay_dir)
    roots, missing = scan_paths(paths, enrolled)
    options = lint_options(select, ignore, config_file, compose_files, env_file)
    jobs = parse_jobs(jobs)
    judged, audits, runs, unreadable, read = {}, None, {}, [], None
    with scan_progress(progress_wanted(progress)) as step:
        result = run_scan(roots, options, step, jobs) if roots else lint_paths([], options)
        if overlay_dir:
            judged = fleet_scan.judge_overlays(result, overlay_dir, options, on_recipe=lambda n: step(f"{n} + overlay"))
            audits = fleet_scan.audit_overlays(result, judged, options)
        if verdicts:
            from compose_policy.verdicts import read_verdicts

            names = [s.name for s in result.stacks if s.recipe]
            stack_names = {s.stack_name: s.name for s in result.stacks if s.recipe}
            by_name, unreadable, read = read_verdicts(verdicts, names, stack_names)
            runs = {id(s): by_name.get(s.name, []) for s in result.stacks if s.recipe}
    report = build_report(result, overlays=judged, runs=runs, min_risk=min_risk, roots=roots, audits=audits)
    report.enrolled_missing = missing
    report.unreadable_verdicts = unreadable
    report.verdicts_read = read
    write_text(output, RENDERERS[output_format](report))
    if fail_on_risk:
        sys.exit(1 if any(at_least(r.deployed_risk, fail_on_risk) for r in report.recipes) else 0)
