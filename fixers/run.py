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
from compose_policy.fixers.atomic import Staged, WriteRefused, file_mode, stage, writable_target
from compose_policy.fixers.edit import EditRefused
from compose_policy.fixers.inputs import read_text
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
    allow_outside: bool = False  # write files outside the recipe (symlink targets, absolute -c entries)


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
        refusal = _write_refusal(outcome.changes, _roots(target, outcome, options), options.allow_outside)
        if refusal:
            outcome.error = f"not fixed: {refusal}"
            outcome.changes = []
            return outcome
        _prove_and_write(outcome, linter, target, files, before, base, options)
        return outcome
    if outcome.applied:
        for fix in outcome.applied:
            outcome.not_fixed.append(f"{fix.label}: already written, yet the finding remains")
        outcome.applied = []
    if outcome.overlay:  # nothing to fix, but the overlay may still need wiring
        _describe_overlay(outcome, base)
        try:
            commit_all(_stage_wire(outcome, base, options, None), options)
        except InputError as exc:
            _failed(outcome, exc)
    return outcome


def _failed(outcome: Outcome, reason) -> None:
    outcome.error = f"not fixed: {reason}"
    outcome.changes = []
    outcome.enable = outcome.copy_note = None
    outcome.fixed = 0


def _roots(target: Target, outcome: Outcome, options: FixOptions) -> List[str]:
    """The folders a fix may write in: the recipe, and the folder --overlay-dir names."""
    roots = [os.path.realpath(target.root)]
    if options.overlay_dir:
        roots.append(os.path.realpath(options.overlay_dir.replace(overlays.PLACEHOLDER, overlays.stem(target))))
    return roots


def inside(path: str, roots: List[str]) -> bool:
    real = os.path.realpath(path)
    return any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots)


def _write_refusal(changes: List[Change], roots: List[str], allow_outside: bool) -> Optional[str]:
    """Why one of ``changes`` must not be written (a symlink or an absolute entry leading
    outside the recipe, a target a rename would damage), or None."""
    for change in changes:
        if not allow_outside and not inside(change.path, roots):
            real = os.path.realpath(change.path)
            shown = change.path if real == os.path.abspath(change.path) else f"{change.path} (-> {real})"
            return f"{shown} is outside the recipe; pass --allow-outside to write there"
        try:
            writable_target(change.path)
        except WriteRefused as exc:
            return str(exc)
    return None


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


def _stage(change: Change, scratch: Optional[str]) -> Staged:
    return stage(change.path, change.new, change.mode, scratch, old=change.old, check_unchanged=True)


def _attempt(linter: Linter, target: Target, files: List[str], before: Linted, fixes: List[PlannedFix],
             changes: List[Change], scratch: Optional[str]) -> Attempt:
    attempt = Attempt(list(fixes), changes, [])
    try:
        for change in changes:
            attempt.staged.append(_stage(change, scratch))
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


def commit_all(staged: List[Staged], options: FixOptions) -> None:
    """Replace every target, or none when one changed since it was read (another writer)."""
    try:
        if options.diff:
            return
        for item in staged:
            if item.changed_since_read():
                raise InputError(f"{item.target} changed while it was being fixed; nothing written, "
                                 "run fix again")
        for item in staged:
            item.commit()
    finally:
        for item in staged:
            item.discard()


def _prove_and_write(outcome: Outcome, linter: Linter, target: Target, files: List[str], before: Linted,
                     base, options: FixOptions) -> None:
    scratch = tempfile.gettempdir() if options.diff else None
    try:
        attempt = _attempt(linter, target, files, before, outcome.applied, outcome.changes, scratch)
    except InputError as exc:
        _failed(outcome, exc)
        return
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
        if outcome.overlay:
            _describe_overlay(outcome, base)
        # the env file is staged with the rest: all of them are written, or none
        commit_all(attempt.staged + _stage_wire(outcome, base, options, scratch), options)
    except InputError as exc:
        _failed(outcome, exc)
    finally:
        if attempt is not None:
            attempt.discard()


def _describe_overlay(outcome: Outcome, base) -> None:
    """How to enable the overlay, when it exists (or is being written) and is not in use yet."""
    path = outcome.overlay
    exists = os.path.isfile(path) or any(c.path == path for c in outcome.changes)
    if not exists or path in base.file_set:
        return
    outcome.enable = overlays.enable_hint(base, path)
    entry, inside_recipe = overlays.entry_for(base, path)
    if not inside_recipe:
        outcome.copy_note = f"copy {path} to {os.path.join(base.target.root, entry)} to use it"


def _stage_wire(outcome: Outcome, base, options: FixOptions, scratch: Optional[str]) -> List[Staged]:
    """The env file with the overlay added to COMPOSE_FILE, staged (nothing when not asked or not needed)."""
    if not options.wire_env or not outcome.enable:
        return []
    env_path = options.wire_env
    entry, _ = overlays.entry_for(base, outcome.overlay)
    try:
        old = read_text(env_path)
    except EditRefused as exc:
        raise InputError(str(exc)) from None
    names = [os.path.relpath(p, base.target.root).replace(os.sep, "/") for p in base.file_set]
    new = envwire.wire(old, entry, names)
    if new == old:
        return []
    change = Change(env_path, old, new, file_mode(env_path))
    staged = _stage(change, scratch)
    outcome.changes.append(change)
    return [staged]
