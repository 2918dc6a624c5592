"""``lint --fix``: apply the fixes in place first, then lint what is left (as ruff does).

Safe fixes only, unless ``--unsafe-fixes``; each stack's fixes are proven by the fixer's
re-lint before they are written. What was fixed goes to stderr, so that stdout keeps
exactly the report of ``--format``.
"""

from __future__ import annotations

from compose_policy.commands.echo import echo


# the linter never imports the fixers by name (tests/test_architecture.py): the CLI reaches
# them through these strings, as the group reaches its subcommands
FIXERS = {"pyfix": "compose_policy.fixers.pyfix", "relint": "compose_policy.fixers.relint",
          "run": "compose_policy.fixers.run", "lock": "compose_policy.fixers.lock"}


def fix_in_place(paths, options, unsafe: bool, quiet: bool = False) -> None:
    import importlib

    from compose_policy.stack import stack_targets

    pyfix, relint, run, lock = (importlib.import_module(FIXERS[name]) for name in ("pyfix", "relint", "run", "lock"))
    fix_python, Linter, FixOptions, fix_target = pyfix.fix_python, relint.Linter, run.FixOptions, run.fix_target

    fix_options = FixOptions(lint=options, in_place=True, unsafe_fixes=unsafe)
    linter = Linter(options)
    fixed = files = held_back = 0
    for path in paths:
        # the same stacks as the lint (-c included), one fix at a time per recipe as `fix` does
        for target in stack_targets(path, options.load, python=options.python_files):
            if target.kind == "python":
                outcome = fix_python(target, fix_options)
            else:
                with lock.recipe_lock(target.root):
                    outcome = fix_target(target, fix_options, linter)
            if outcome is None:
                continue
            if outcome.error:
                echo(f"compose-policy: error: {outcome.name}: {outcome.error}", err=True)
            fixed += outcome.fixed
            files += len(outcome.changes)
            held_back += len(outcome.held_back)
    if fixed and not quiet:
        echo(f"compose-policy: fixed {fixed} finding{'s' if fixed != 1 else ''} "
             f"({files} file{'s' if files != 1 else ''} written)", err=True)
    if held_back and not quiet:  # as ruff does: else --fix seems to ignore fixable findings
        echo(f"compose-policy: {held_back} unsafe fix{'es' if held_back != 1 else ''} held back; "
             "add --unsafe-fixes to apply them", err=True)
