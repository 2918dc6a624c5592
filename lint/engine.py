"""The lint pipeline: discover -> load and merge -> rules -> filter -> sorted findings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, Optional, Sequence

from compose_policy.discover import discover
from compose_policy.model import Finding, Severity
from compose_policy.registry import all_rules, match_codes
from compose_policy.rule import Rule, RuleContext
from compose_policy.stack import LoadOptions, Stack, load_target


@dataclass
class LintOptions:
    select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    load: LoadOptions = field(default_factory=LoadOptions)
    # per-rule option overrides and severities, by code (filled from configuration)
    rule_options: Dict[str, Dict] = field(default_factory=dict)
    severities: Dict[str, Severity] = field(default_factory=dict)
    data: Dict = field(default_factory=dict)


@dataclass
class LintResult:
    findings: List[Finding]
    stacks: List[Stack]
    files: int

    def counts(self) -> Dict[str, int]:
        out = {str(s): 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        for finding in self.findings:
            out[str(finding.severity)] += 1
        return out


def enabled_codes(options: LintOptions) -> List[str]:
    codes = match_codes(list(options.select)) if options.select else list(all_rules())
    ignored = set(match_codes(list(options.ignore))) if options.ignore else set()
    return [c for c in codes if c not in ignored]


def problem_findings(stack: Stack, rules: Dict[str, Rule]) -> Iterable[Finding]:
    for problem in stack.problems:
        code = "CP000" if problem.kind == "yaml" else "CP001"
        rule = rules.get(code)
        if rule is not None:
            yield Finding(rule=code, name=rule.name, severity=rule.effective_severity,
                          message=problem.message, pos=problem.pos, recipe=stack.recipe)


def check_stack(stack: Stack, rules: Dict[str, Rule], options: LintOptions) -> List[Finding]:
    findings = list(problem_findings(stack, rules))
    if not stack.valid:
        return findings  # rules on half a stack would mislead
    for code, rule in rules.items():
        if rule.reported_by_engine:
            continue
        ctx = RuleContext(options={**rule.options, **options.rule_options.get(code, {})}, data=options.data)
        findings.extend(rule.check(stack, ctx))
    return findings


def instantiate(options: LintOptions) -> Dict[str, Rule]:
    classes = all_rules()
    return {code: classes[code](options.severities.get(code)) for code in enabled_codes(options)}


def lint_paths(paths: Sequence[str], options: LintOptions,
               on_stack: Optional[Callable[[Stack], None]] = None) -> LintResult:
    rules = instantiate(options)
    stacks: List[Stack] = []
    findings: List[Finding] = []
    files = 0
    for path in paths:
        for target in discover(path):
            stack = load_target(target, options.load)
            if stack is None:
                continue
            stacks.append(stack)
            files += len(stack.documents)
            findings.extend(check_stack(stack, rules, options))
            if on_stack is not None:
                on_stack(stack)
    unique = {(f.rule, f.pos, f.service, f.message): f for f in findings}
    return LintResult(sorted(unique.values(), key=Finding.sort_key), stacks, files)
