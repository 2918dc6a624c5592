"""What ``compose-policy fix`` prints: per stack what changed and why, diffs, a summary."""

from __future__ import annotations

import os
from typing import List, Sequence

from compose_policy.fixers.run import Change, Outcome
from compose_policy.fixers.verify import AnchoredMatcher


def _shown(path: str) -> str:
    rel = os.path.relpath(path)
    return path if rel.startswith(os.pardir + os.sep + os.pardir) else rel


def _range(start: int, stop: int) -> str:
    """A hunk's line range as unified diffs write it (1-based; an empty range names the line before)."""
    length = stop - start
    first = start + 1 if length else start
    return str(first) if length == 1 else f"{first},{length}"


def _unified_lines(old: List[str], new: List[str], from_name: str, to_name: str, context: int = 3) -> List[str]:
    """``difflib.unified_diff`` over the anchored matcher: linear on files of thousands of services."""
    lines: List[str] = []
    for group in AnchoredMatcher(None, old, new, autojunk=False).get_grouped_opcodes(context):
        if not lines:
            lines += [f"--- {from_name}\n", f"+++ {to_name}\n"]
        first, last = group[0], group[-1]
        lines.append(f"@@ -{_range(first[1], last[2])} +{_range(first[3], last[4])} @@\n")
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines += [" " + line for line in old[i1:i2]]
                continue
            lines += ["-" + line for line in old[i1:i2]]
            lines += ["+" + line for line in new[j1:j2]]
    return lines


def unified_diff(change: Change) -> str:
    old = (change.old or "").splitlines(keepends=True)
    new = change.new.splitlines(keepends=True)
    shown = _shown(change.path)
    a, b = (shown, shown) if os.path.isabs(shown) else (f"a/{shown}", f"b/{shown}")
    lines = _unified_lines(old, new, "/dev/null" if change.old is None else a, b)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines)


def stack_lines(outcome: Outcome, dry_run: bool) -> List[str]:
    lines: List[str] = []
    verb = "would write" if dry_run else "wrote"
    if outcome.changes:
        files = ", ".join(_shown(c.path) for c in outcome.changes)
        count = len(outcome.applied)
        fixes = f" ({count} fix{'es' if count != 1 else ''})" if count else ""
        lines.append(f"{outcome.name}: {verb} {files}{fixes}")
        lines += [f"  {fix.label}" for fix in outcome.applied]
    for message in outcome.not_fixed:
        lines.append(f"{outcome.name}: not fixed: {message}")
    if outcome.held_back:
        count = len(outcome.held_back)
        lines.append(f"{outcome.name}: {count} unsafe fix{'es' if count != 1 else ''} held back "
                     "(in place they change the rollout); rerun with --unsafe-fixes to apply")
    if outcome.enable:
        if not outcome.changes:
            lines.append(f"{outcome.name}: {_shown(outcome.overlay)} is not in use yet")
        lines.append(f"  enable: {outcome.enable}")
        if outcome.copy_note:
            lines.append(f"  {outcome.copy_note}")
    if outcome.changes:
        lines.append(f"  findings: {len(outcome.before)} before, {len(outcome.after)} after")
    return lines


def summary(outcomes: Sequence[Outcome], dry_run: bool) -> str:
    fixed = sum(o.fixed for o in outcomes)
    files = sum(len(o.changes) for o in outcomes)
    remaining = sum(len(o.after) for o in outcomes if not o.error)
    refused = sum(1 for o in outcomes if o.error)
    stacks = len(outcomes)
    plural = lambda n, word: f"{n} {word}{'s' if n != 1 else ''}"  # noqa: E731
    if fixed:
        head = (f"Would fix {plural(fixed, 'finding')} ({plural(files, 'file')} to write)" if dry_run
                else f"Fixed {plural(fixed, 'finding')} ({plural(files, 'file')} written)")
    else:
        # a refused stack or fix means there was something to fix
        head = "Nothing fixed" if refused or any(o.not_fixed for o in outcomes) else "Nothing to fix"
    tail = f"; {plural(remaining, 'finding')} remain{'s' if remaining == 1 else ''}" if remaining else ""
    if refused:
        tail += f"; {plural(refused, 'stack')} not fixed (see the errors)"
    return f"{head} in {plural(stacks, 'stack')}{tail}."
