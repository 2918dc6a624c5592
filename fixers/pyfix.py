"""``fix`` on Python harness modules: CP501's guard inserted by a libcst codemod.

The codemod adds a statement after each reported redeploy statement (and one import when
the module lacks the guard's name) and leaves every other byte of the module as it was.
The fix is graded unsafe (it calls a function with arguments the author must check), so
it is written only with ``--in-place --unsafe-fixes``. As for compose files, the result is
staged, re-linted and written only when the findings it addresses are gone and no other
finding appeared.
"""

from __future__ import annotations

import os
from collections import Counter
from typing import List, Optional, Set

from compose_policy.engine import lint_paths
from compose_policy.fixers.atomic import file_mode, stage
from compose_policy.fixers.run import Change, FixOptions, Outcome, read_text
from compose_policy.model import Finding
from compose_policy.textlint import lint_text

FIXED_RULES = ("CP501",)


class GuardFix:
    """One guard insertion, shaped like a PlannedFix for the report."""

    def __init__(self, finding: Finding):
        self.finding = finding
        self.findings = [finding]
        self.statement, self.needs_import = finding.fix.value
        self.label = f"{finding.rule} line {finding.line}: insert {self.statement}"


def insert_guards(text: str, fixes: List[GuardFix]) -> str:
    """The module with each guard on the line after its redeploy statement."""
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    wrapper = MetadataWrapper(cst.parse_module(text), unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    wanted = {(f.finding.line, f.finding.column - 1): f for f in fixes}
    imports: Set[str] = {f.needs_import for f in fixes if f.needs_import}

    def fix_for(statement) -> Optional[GuardFix]:
        if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
            return None
        value = getattr(statement.body[0], "value", None)
        if isinstance(value, cst.Await):
            value = value.expression
        if not isinstance(value, cst.Call):
            return None
        start = positions[value].start
        return wanted.get((start.line, start.column))

    class Insert(cst.CSTTransformer):
        def _with_guards(self, original, updated):
            """The updated statements, each followed by its guard; positions are those of
            the original statements (one updated statement per original one)."""
            out = []
            for before, statement in zip(original, updated):
                out.append(statement)
                found = fix_for(before)
                if found is not None:
                    out.append(cst.parse_statement(found.statement + "\n"))
            return out

        def leave_IndentedBlock(self, original, updated):
            return updated.with_changes(body=self._with_guards(original.body, updated.body))

        def leave_Module(self, original, updated):
            body = self._with_guards(original.body, updated.body)
            for line in sorted(imports):
                body = _add_import(body, cst.parse_statement(line + "\n"))
            return updated.with_changes(body=body)

    return wrapper.module.visit(Insert()).code


def _add_import(body, statement):
    """After the module's last top-level import, else after its docstring, else first."""
    import libcst as cst

    def is_import(node) -> bool:
        return isinstance(node, cst.SimpleStatementLine) and any(
            isinstance(s, (cst.Import, cst.ImportFrom)) for s in node.body)

    def is_docstring(node) -> bool:
        return (isinstance(node, cst.SimpleStatementLine) and isinstance(node.body[0], cst.Expr)
                and isinstance(node.body[0].value, (cst.SimpleString, cst.ConcatenatedString)))

    at = max((i + 1 for i, node in enumerate(body) if is_import(node)), default=None)
    if at is None:
        at = 1 if body and is_docstring(body[0]) else 0
    return list(body[:at]) + [statement] + list(body[at:])


def _counts(findings: List[Finding]) -> Counter:
    return Counter(f.rule for f in findings)


def fix_python(target, options: FixOptions) -> Outcome:
    path = target.file
    outcome = Outcome(name=path, root=target.root)
    before = lint_paths([path], options.lint)
    outcome.before = outcome.after = before.findings
    if before.runs:
        outcome.fail_on = before.runs[0].fail_on
    fixes = [GuardFix(f) for f in before.findings if f.rule in FIXED_RULES and f.fix is not None]
    if any(f.rule == "CP500" for f in before.findings):
        if fixes:
            outcome.error = "not fixed: the module does not parse"
        return outcome
    if not fixes:
        return outcome
    if not (options.in_place and options.unsafe_fixes):
        outcome.held_back = fixes
        if not options.in_place:
            outcome.not_fixed.append("Python modules are fixed in place only: use --in-place --unsafe-fixes")
            outcome.held_back = []
        return outcome
    if os.path.islink(path):  # replacing it would turn the link into a file, or write elsewhere
        outcome.error = "not fixed: a symbolic link; fix the file it points to"
        return outcome
    from libcst import ParserSyntaxError

    old = read_text(path)
    try:
        new = insert_guards(old, fixes)
    except ParserSyntaxError as exc:  # a configured guard-call that is no Python statement
        outcome.error = f"not fixed: the guard call {fixes[0].statement!r} does not parse: {exc.message}"
        return outcome
    if new == old:
        return outcome
    change = Change(path, old, new, file_mode(path))
    after = lint_text(new, path, options.lint)
    problem = _proof_problem(before.findings, after.findings, fixes)
    if problem:
        outcome.error = f"not fixed: {problem}"
        return outcome
    if not options.diff:
        stage(path, new, change.mode).commit()
    outcome.applied = fixes
    outcome.changes = [change]
    outcome.after = after.findings
    outcome.fixed = len(before.findings) - len(after.findings)
    return outcome


def _proof_problem(before: List[Finding], after: List[Finding], fixes: List[GuardFix]) -> Optional[str]:
    was, now = _counts(before), _counts(after)
    targeted = _counts([f.finding for f in fixes])
    for rule in sorted(set(now) | set(targeted)):
        if now[rule] > was[rule] - targeted[rule]:
            what = "is still reported" if targeted[rule] else "appeared"
            return f"{rule} {what} after the fix"
    return None
