"""Fix one stack: lint, plan, edit, stage, prove by re-linting, then write (or only show).

The proof runs on the staged files before anything replaces the real ones: the findings the
fixes address must be gone and no finding may appear that was not there before, compared
by (rule, service). A stack that fails the proof gets nothing written.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from compose_policy.discover import Target
from compose_policy.engine import UNUSED_SUPPRESSION, LintOptions
from compose_policy.errors import InputError
from compose_policy.fixers import envwire, inplace, overlay as overlays
from compose_policy.fixers.atomic import Staged, file_mode, stage
from compose_policy.fixers.edit import EditRefused
from compose_policy.fixers.plan import PlannedFix, plan_fixes
from compose_policy.fixers.relint import Linted, Linter, problems_in
from compose_policy.fixers.yamledit import apply_edits
from compose_policy.model import Finding, Severity
from compose_policy.stack import load_target

OWN_OVERLAY = re.compile(r"\.ccci\.ya?ml$")


@dataclass
class FixOptions:
    lint: LintOptions = field(default_factory=LintOptions)
    in_place: bool = False
    overlay_name: Optional[str] = None
    overlay_dir: Optional[str] = None
    unsafe_fixes: bool = False
    diff: bool = False  # show, write nothing
    wire_env: Optional[str] = None


@dataclass
class Change:
    path: str
    old: Optional[str]  # None: a new file
    new: str
    mode: int


@dataclass
class Outcome:
    name: str
    root: str
    before: List[Finding] = field(default_factory=list)
    after: List[Finding] = field(default_factory=list)
    applied: List[PlannedFix] = field(default_factory=list)
    held_back: List[PlannedFix] = field(default_factory=list)  # unsafe, in place, no --unsafe-fixes
    not_fixed: List[str] = field(default_factory=list)
    changes: List[Change] = field(default_factory=list)
    error: Optional[str] = None
    overlay: Optional[str] = None
    enable: Optional[str] = None  # how to use the overlay (COMPOSE_FILE=...), when it is not in use yet
    copy_note: Optional[str] = None
    fail_on: Severity = Severity.WARNING  # the stack's threshold for "findings remain"
    fixed: int = 0  # findings the proven changes remove


def read_text(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused(f"{path}: not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None


def proof_problem(before: Linted, after: Linted, applied: List[PlannedFix]) -> Optional[str]:
    """Why the staged result does not prove the fix, or None.

    An unused suppression (CP900) may appear: a fix can remove what a suppression silenced.
    """
    targeted: Counter = Counter()
    for fix in applied:
        for finding in {id(f): f for f in fix.findings}.values():
            targeted[(finding.rule, finding.service)] += 1
    was, now = before.keys(), after.keys()
    for key in sorted(set(now) | set(targeted), key=str):
        allowed = was[key] - targeted[key]
        if now[key] > allowed and not (key[0] == UNUSED_SUPPRESSION and not targeted[key]):
            rule, service = key
            what = "is still reported" if targeted[key] else "appeared"
            return f"{rule} ({service}) {what} after the fix"
    return None


def _plan(outcome: Outcome, before: Linted, options: FixOptions) -> List[PlannedFix]:
    plan = plan_fixes(before.findings)
    outcome.not_fixed += plan.conflicts
    if not options.in_place:
        return plan.fixes  # the overlay changes nothing until COMPOSE_FILE enables it
    apply, held = inplace.split_by_safety(plan.fixes, options.unsafe_fixes)
    outcome.held_back = held
    return apply


def _overlay_changes(outcome: Outcome, before: Linted, fixes: List[PlannedFix], path: str) -> List[Change]:
    existing = read_text(path) if os.path.isfile(path) else None
    base = before.stack.file_set[0]
    text = overlays.overlay_text(before.stack, existing, fixes, path)
    if text == existing:
        return []
    mode = file_mode(path) if existing is not None else file_mode(base)
    return [Change(path, existing, text, mode)]


def _inplace_changes(outcome: Outcome, before: Linted, fixes: List[PlannedFix]) -> List[Change]:
    changes = []
    for group in inplace.edits_by_file(before.stack, fixes):
        rel = os.path.relpath(group.path, before.stack.target.root)
        try:
            old = read_text(group.path)
            result = apply_edits(old, group.edits())
        except EditRefused as exc:
            for fix in group.fixes:
                outcome.not_fixed.append(f"{rel}: {fix.label}: {exc}")
                outcome.applied.remove(fix)
            continue
        if result.edits:
            changes.append(Change(group.path, old, result.text, file_mode(group.path)))
    return changes


def _after_files(files: List[str], staged: List[Staged]) -> List[str]:
    temps = {s.target: s.temp for s in staged}
    out = [temps.pop(f, f) for f in files]
    return out + list(temps.values())


def fix_target(target: Target, options: FixOptions, linter: Optional[Linter] = None) -> Optional[Outcome]:
    linter = linter or Linter(options.lint)
    if target.kind == "file" and not target.explicit and OWN_OVERLAY.search(target.file or ""):
        return None  # an overlay this command wrote beside a lone file: fixed with its base
    base = load_target(target, options.lint.load)
    if base is None:
        return None
    outcome = Outcome(name=base.name, root=target.root)
    if not base.file_set:
        outcome.error = "no compose file to fix"
        return outcome
    files = list(base.file_set)
    if not options.in_place:
        outcome.overlay = overlays.overlay_path(target, options.overlay_name, options.overlay_dir)
        if os.path.normpath(outcome.overlay) == os.path.normpath(files[0]):
            raise InputError(f"{outcome.overlay}: the overlay cannot be the base compose file")
        if os.path.isfile(outcome.overlay) and outcome.overlay not in files:
            files.append(outcome.overlay)

    before = linter.lint(target, files)
    outcome.before = outcome.after = before.findings
    outcome.fail_on = before.fail_on
    problems = problems_in(before.stack)
    # a stack the rules could not read may hide fixes: refuse it; one they read is refused
    # only when there is something to fix, its problems stay findings of their own
    if problems and (not before.stack.valid or any(f.fix is not None for f in before.findings)):
        where, message = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        outcome.error = f"not fixed: {where}: {message}{more}; fix the input first"
        return outcome

    outcome.applied = _plan(outcome, before, options)
    try:
        if outcome.applied and options.in_place:
            outcome.changes = _inplace_changes(outcome, before, outcome.applied)
        elif outcome.applied:
            outcome.changes = _overlay_changes(outcome, before, outcome.applied, outcome.overlay)
    except EditRefused as exc:
        outcome.error = f"not fixed: {exc}"
        outcome.changes = []
        return outcome

    if outcome.changes:
        _prove_and_write(outcome, linter, target, files, before, options)
    elif outcome.applied:
        for fix in outcome.applied:
            outcome.not_fixed.append(f"{fix.label}: already written, yet the finding remains")
        outcome.applied = []
    if outcome.overlay and not outcome.error:
        _describe_overlay(outcome, base, options)
    return outcome


@dataclass
class Attempt:
    """Staged files for a set of fixes and what the re-lint of them says."""

    fixes: List[PlannedFix]
    changes: List[Change]
    staged: List[Staged]
    after: Optional[Linted] = None
    problem: Optional[str] = None

    def discard(self) -> None:
        for item in self.staged:
            item.discard()


def _changes_for(outcome: Outcome, before: Linted, fixes: List[PlannedFix], options: FixOptions) -> List[Change]:
    if options.in_place:
        return _inplace_changes(outcome, before, fixes)
    return _overlay_changes(outcome, before, fixes, outcome.overlay)


def _attempt(linter: Linter, target: Target, files: List[str], before: Linted, fixes: List[PlannedFix],
             changes: List[Change], scratch: Optional[str]) -> Attempt:
    attempt = Attempt(list(fixes), changes, [])
    try:
        for change in changes:
            attempt.staged.append(stage(change.path, change.new, change.mode, scratch))
        rename: Dict[str, str] = {s.temp: s.target for s in attempt.staged}
        attempt.after = linter.lint(target, _after_files(files, attempt.staged), rename)
        attempt.problem = proof_problem(before, attempt.after, fixes)
    except BaseException:
        attempt.discard()
        raise
    return attempt


def _worst_first(fix: PlannedFix):
    return (-max(f.severity for f in fix.findings), fix.service, fix.key_path)


def _provable_subset(outcome: Outcome, linter: Linter, target: Target, files: List[str], before: Linted,
                     options: FixOptions, scratch: Optional[str]) -> Optional[Attempt]:
    """Add the fixes one by one, worst finding first, keeping each one the re-lint accepts.

    One fix can make another rule fire (a longer monitor can outlast the deploy timeout):
    that fix is left out and said so, instead of losing every other fix with it.
    """
    best: Optional[Attempt] = None
    for fix in sorted(outcome.applied, key=_worst_first):
        trial = (best.fixes if best else []) + [fix]
        attempt = _attempt(linter, target, files, before, trial, _changes_for(outcome, before, trial, options),
                           scratch)
        if attempt.problem:
            attempt.discard()
            outcome.not_fixed.append(f"{fix.label}: left out: {attempt.problem}")
            continue
        if best is not None:
            best.discard()
        best = attempt
    return best


def _prove_and_write(outcome: Outcome, linter: Linter, target: Target, files: List[str], before: Linted,
                     options: FixOptions) -> None:
    scratch = tempfile.gettempdir() if options.diff else None
    attempt = _attempt(linter, target, files, before, outcome.applied, outcome.changes, scratch)
    try:
        if attempt.problem and len(outcome.applied) > 1:
            problem = attempt.problem
            attempt.discard()
            attempt = _provable_subset(outcome, linter, target, files, before, options, scratch)
            if attempt is None:
                outcome.not_fixed.clear()
                outcome.error = f"not fixed: {problem}; nothing written"
                outcome.changes = []
                return
            outcome.applied, outcome.changes = attempt.fixes, attempt.changes
        if attempt.problem:
            outcome.error = f"not fixed: {attempt.problem}; nothing written"
            outcome.changes = []
            return
        outcome.after = attempt.after.findings
        outcome.fixed = len({id(f) for fix in outcome.applied for f in fix.findings})
        if not options.diff:
            for item in attempt.staged:
                item.commit()
    finally:
        if attempt is not None:
            attempt.discard()


def _describe_overlay(outcome: Outcome, base, options: FixOptions) -> None:
    path = outcome.overlay
    exists = os.path.isfile(path) or any(c.path == path for c in outcome.changes)
    if not exists or path in base.file_set:
        return
    outcome.enable = overlays.enable_hint(base, path)
    entry, inside = overlays.entry_for(base, path)
    if not inside:
        outcome.copy_note = f"copy {path} to {os.path.join(base.target.root, entry)} to use it"
    if options.wire_env:
        _wire(outcome, base, options, entry)


def _wire(outcome: Outcome, base, options: FixOptions, entry: str) -> None:
    env_path = options.wire_env
    old = read_text(env_path)
    names = [os.path.relpath(p, base.target.root).replace(os.sep, "/") for p in base.file_set]
    new = envwire.wire(old, entry, names)
    if new == old:
        return
    change = Change(env_path, old, new, file_mode(env_path))
    if not options.diff:
        item = stage(env_path, new, change.mode)
        try:
            item.commit()
        finally:
            item.discard()
    outcome.changes.append(change)
