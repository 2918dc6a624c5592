"""Findings -> one planned change per (service, key path), whatever rule asked for it.

Several findings may want the same key (two rules both asking for ``order: stop-first``):
they make one change with all their reasons. Two findings wanting different values for one
key conflict: the first rule (by code) wins and the other finding is reported as not fixed.
A mapping value is split into one change per leaf, so every change sets one scalar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Tuple

from compose_policy.fixers.edit import visible
from compose_policy.fixers.notes import Reason
from compose_policy.model import Applicability, Finding


@dataclass
class PlannedFix:
    service: str
    key_path: Tuple[str, ...]
    value: Any
    applicability: Applicability
    findings: List[Finding] = field(default_factory=list)
    reasons: List[Reason] = field(default_factory=list)

    @property
    def label(self) -> str:
        codes = ", ".join(sorted({f.rule for f in self.findings}))
        return visible(f"{codes} {self.service}: {'.'.join(self.key_path)}: {self.value}")


@dataclass
class Plan:
    fixes: List[PlannedFix] = field(default_factory=list)
    conflicts: List[str] = field(default_factory=list)


def _leaves(path: Tuple[str, ...], value: Any) -> Iterable[Tuple[Tuple[str, ...], Any]]:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            yield from _leaves(path + (str(key),), sub)
    else:
        yield path, value


def plan_fixes(findings: Iterable[Finding]) -> Plan:
    plan = Plan()
    by_key: Dict[Tuple[str, Tuple[str, ...]], PlannedFix] = {}
    for finding in sorted((f for f in findings if f.fix is not None), key=lambda f: (f.rule, f.sort_key())):
        fix = finding.fix
        for key_path, value in _leaves(tuple(fix.key_path), fix.value):
            key = (fix.service, key_path)
            planned = by_key.get(key)
            if planned is None:
                planned = by_key[key] = PlannedFix(fix.service, key_path, value, fix.applicability)
            elif planned.value != value:
                plan.conflicts.append(
                    f"{finding.rule} wants {fix.service}: {'.'.join(key_path)}: {value!r}, "
                    f"but {planned.findings[0].rule} wants {planned.value!r}; kept {planned.value!r}")
                continue
            elif fix.applicability is Applicability.UNSAFE:
                planned.applicability = Applicability.UNSAFE  # the riskier grade wins
            if finding not in planned.findings:
                planned.findings.append(finding)
            reason = Reason(finding.rule, finding.name, fix.why)
            if reason not in planned.reasons:
                planned.reasons.append(reason)
    plan.fixes = sorted(by_key.values(), key=lambda p: (p.service, p.key_path))
    return plan
