"""The blast-radius report: which recipes of a fleet an upgrade can silently revert or stall.

Built from a lint run: each recipe's rollout policy per service, its findings, and a risk
grade, so that an operator sees at once where a bad upgrade would hide behind a rollback.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Dict, List, Optional

from compose_policy.model import Finding, Severity

# rules whose findings mean "an upgrade can be reverted, paused or stuck without anyone noticing"
SILENT_FAILURE_RULES = {"CP101", "CP102", "CP103", "CP104", "CP113", "CP117"}
RISK_ORDER = ["invalid", "high", "medium", "low", "clean"]


@dataclass
class ServicePolicy:
    name: str
    image: Optional[str]
    order: str
    failure_action: str
    monitor: str
    rules: List[str] = field(default_factory=list)


@dataclass
class RecipeReport:
    name: str
    path: str
    risk: str
    files: List[str]
    services: List[ServicePolicy]
    counts: Dict[str, int]
    findings: List[dict]


@dataclass
class FleetReport:
    recipes: List[RecipeReport]

    def summary(self) -> dict:
        by_risk = {risk: 0 for risk in RISK_ORDER}
        by_rule: Dict[str, int] = {}
        for recipe in self.recipes:
            by_risk[recipe.risk] += 1
            for finding in recipe.findings:
                by_rule[finding["rule"]] = by_rule.get(finding["rule"], 0) + 1
        exposed = sorted({(r.name, s.name) for r in self.recipes for s in r.services
                          if SILENT_FAILURE_RULES.intersection(s.rules)})
        return {"recipes": len(self.recipes), "by_risk": by_risk, "by_rule": dict(sorted(by_rule.items())),
                "services_exposed": [f"{r}/{s}" for r, s in exposed]}

    def to_dict(self) -> dict:
        return {"summary": self.summary(), "recipes": [asdict(r) for r in self.recipes]}


def _text(service, *path: str, default: str) -> str:
    node = service.get(*path)
    if node is None or node.plain() is None:
        return f"{default} (default)"
    raw = getattr(node, "raw", None)
    return str(raw if getattr(node, "unknown", False) else node.plain())


def grade(findings: List[Finding]) -> str:
    if any(f.rule in ("CP000", "CP001") for f in findings):
        return "invalid"
    if any(f.rule in SILENT_FAILURE_RULES and f.severity >= Severity.WARNING for f in findings):
        return "high"
    if any(f.severity >= Severity.WARNING for f in findings):
        return "medium"
    if findings:
        return "low"
    return "clean"


def build_report(result) -> FleetReport:
    by_stack: Dict[str, List[Finding]] = {}
    for finding in result.findings:
        by_stack.setdefault(finding.recipe or finding.path, []).append(finding)
    recipes = []
    for stack in result.stacks:
        findings = by_stack.get(stack.name, [])
        services = []
        for name, service in stack.services.items():
            services.append(ServicePolicy(
                name=name,
                image=service.value("image"),
                order=_text(service, "deploy", "update_config", "order", default="stop-first"),
                failure_action=_text(service, "deploy", "update_config", "failure_action", default="pause"),
                monitor=_text(service, "deploy", "update_config", "monitor", default="5s"),
                rules=sorted({f.rule for f in findings if f.service == name}),
            ))
        counts = {str(s): sum(1 for f in findings if f.severity == s)
                  for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
        recipes.append(RecipeReport(
            name=stack.name, path=stack.target.root, risk=grade(findings), files=list(stack.file_set),
            services=services, counts=counts, findings=[f.to_dict() for f in findings]))
    recipes.sort(key=lambda r: (RISK_ORDER.index(r.risk), r.name))
    return FleetReport(recipes)
