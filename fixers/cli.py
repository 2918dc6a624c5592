"""``compose-policy fix``: write the fixes the rules propose, as an overlay or in place."""

from __future__ import annotations

import contextlib
import sys

import click

from compose_policy.commands.common import fail, load_options, reports_errors, split_codes
from compose_policy.stack import stack_targets
from compose_policy.engine import LintOptions
from compose_policy.errors import InputError
from compose_policy.fixers import report
from compose_policy.fixers.envwire import check_env_file
from compose_policy.fixers.lock import recipe_lock
from compose_policy.fixers.overlay import check_inside, check_layout
from compose_policy.fixers.pyfix import fix_python
from compose_policy.fixers.relint import Linter
from compose_policy.fixers.run import FixOptions, fix_target
from compose_policy.model import Severity
from compose_policy.stack import LoadOptions

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2
EXIT_FIXED = 3


@click.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--overlay", "overlay_name", metavar="FILE",
              help="Overlay file name or path inside each recipe (default: compose.ccci.yml; "
                   "NAME.ccci.yml beside a lone NAME.yml).")
@click.option("--overlay-dir", metavar="DIR",
              help="Write overlays under DIR instead; {recipe} stands for the recipe name "
                   "(e.g. tests/{recipe}).")
@click.option("--wire-env", type=click.Path(dir_okay=False), metavar="FILE",
              help="Append the overlay to COMPOSE_FILE in this env file (one recipe only); "
                   "also read as --env-file unless that is given.")
@click.option("--in-place", is_flag=True, help="Edit the stack's own compose files instead of an overlay.")
@click.option("--unsafe-fixes", is_flag=True, help="With --in-place, also apply fixes graded unsafe.")
@click.option("--allow-outside", is_flag=True,
              help="Let a fix write outside the recipe folder (an --overlay path, a symlink's target, "
                   "an absolute -c or COMPOSE_FILE entry); refused otherwise.")
@click.option("--diff", is_flag=True, help="Print a unified diff of what would change; write nothing.")
@click.option("--select", multiple=True, metavar="CODES", help="Only these rules (as in lint).")
@click.option("--ignore", multiple=True, metavar="CODES", help="Skip these rules.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info"]),
              help="Lowest severity of a remaining finding that makes the exit code 1 "
                   "(default: the configuration's fail-on, else warning).")
@click.option("--config", "config_file", metavar="FILE",
              help="Use this configuration for every path instead of the nearest .compose-policy.yml.")
@click.option("--no-config", is_flag=True, help="Use no configuration file at all.")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 when findings remain (3 still says fixes were written, 2 an error): "
                   "a fix hook leaves remaining findings to the lint hook.")
@load_options
@reports_errors
def fix(paths, overlay_name, overlay_dir, wire_env, in_place, unsafe_fixes, allow_outside, diff, select, ignore,
        fail_on, config_file, no_config, exit_zero, compose_files, env_file):
    """Fix the findings under PATHS (default: .) and prove the result by linting it again.

    \b
    By default each stack gets an overlay (compose.ccci.yml) holding only the keys the
    fixes set, with a note per key: rule, evidence, value replaced, how to undo. An
    existing overlay is merged into, never overwritten. The overlay changes nothing until
    COMPOSE_FILE enables it, so every fix is written; the command prints the COMPOSE_FILE
    value that enables it. --in-place edits the files themselves and applies only fixes
    graded safe unless --unsafe-fixes is given. Only the lines a fix needs ever change.

    \b
    Exit codes:
      0  nothing to fix, no remaining finding reaches --fail-on
      1  nothing written, findings remain (unfixable, held back, refused)
      2  error: bad option or path, a stack refused (unreadable input), a fix that
         did not prove out, or a write refused for safety (a symlink or path out of
         the recipe, a hard link, a read-only file, foreign lines in the notes
         block); then nothing is written for that stack
      3  fixes were written (with --diff: would be written); findings may remain
    """
    if config_file and no_config:
        raise InputError("--config and --no-config exclude each other")
    if in_place and (overlay_name or overlay_dir or wire_env):
        fail("--in-place writes no overlay: drop --overlay, --overlay-dir and --wire-env")
    if unsafe_fixes and not in_place:
        click.echo("compose-policy: note: overlay fixes are always written; --unsafe-fixes only matters with "
                   "--in-place", err=True)
    options = FixOptions(
        lint=LintOptions(select=split_codes(select), ignore=split_codes(ignore),
                         load=LoadOptions(compose_files=tuple(compose_files), env_file=env_file or wire_env),
                         config=config_file, find_config=not no_config,
                         fail_on=Severity.parse(fail_on) if fail_on else None),
        in_place=in_place, overlay_name=overlay_name, overlay_dir=overlay_dir,
        unsafe_fixes=unsafe_fixes, diff=diff, wire_env=wire_env, allow_outside=allow_outside,
    )
    if wire_env:  # every input is checked before anything is written
        check_env_file(wire_env)
    found = [t for path in (paths or (".",)) for t in stack_targets(path, options.lint.load, python=True)]
    targets = [t for t in found if t.kind != "python"]
    modules = [t for t in found if t.kind == "python"]  # harness modules: the CP501 codemod
    if not in_place:
        check_layout(targets, overlay_name, overlay_dir)
        if not allow_outside and not overlay_dir:
            check_inside(targets, overlay_name)
    if wire_env and len(targets) != 1:
        raise InputError(f"--wire-env names one app's env file, but {len(targets)} stacks were found")

    out = sys.stderr if diff else sys.stdout
    linter = Linter(options.lint)
    outcomes = []
    for target in targets + modules:
        try:
            if target.kind == "python":
                outcome = fix_python(target, options)
            else:
                with contextlib.nullcontext() if diff else recipe_lock(target.root):
                    outcome = fix_target(target, options, linter)
        except KeyError as exc:
            fail(f"unknown rule code or name: {exc.args[0]}")
        if outcome is None:
            continue
        outcomes.append(outcome)
        if outcome.error:
            click.echo(f"compose-policy: error: {outcome.name}: {outcome.error}", err=True)
        if diff:
            for change in outcome.changes:
                click.echo(report.unified_diff(change), nl=False)
        for line in report.stack_lines(outcome, diff):
            click.echo(line, file=out)
    click.echo(report.summary(outcomes, diff), file=out)

    if any(o.error for o in outcomes):
        sys.exit(EXIT_ERROR)
    if any(o.changes for o in outcomes):
        sys.exit(EXIT_FIXED)
    if not exit_zero and any(f.severity >= o.fail_on for o in outcomes for f in o.after):
        sys.exit(EXIT_FINDINGS)
    sys.exit(EXIT_CLEAN)
