"""The blast-radius report: which recipes of a fleet an upgrade can silently revert or stall.

Built from a lint run: each recipe's rollout policy per service, its findings, and a risk
grade, so that an operator sees at once where a bad upgrade would hide behind a rollback.
With CI overlays each recipe is judged twice (without and with its overlay) and every
finding says whether the overlay covers it; with harness verdicts the report tells
"shares the policy" from "really rolled back, paused or went unstable in a run".

Risk has one definition (``finding_risk``), used for recipe grades, service grades, the
"exposed services" list, the JSON and every rendering.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Dict, List, Optional, Sequence

from compose_policy.model import Finding, Severity
from compose_policy.units import try_duration

# rules whose findings mean "an upgrade can be reverted, paused or stuck without anyone noticing"
SILENT_FAILURE_RULES = frozenset({"CP101", "CP102", "CP103", "CP104", "CP113", "CP117"})
INVALID_RULES = frozenset({"CP000", "CP001"})
# worst first; "invalid" is not a grade but "could not be graded"
RISK_ORDER = ["invalid", "high", "medium", "low", "clean"]
GRADES = ["high", "medium", "low", "clean"]
# report order: high risk first; recipes that could not be graded in their own section at the end
SORT_ORDER = GRADES + ["invalid"]


def finding_risk(rule: str, severity: Severity) -> str:
    """The risk one finding carries: the single definition every part of the report uses."""
    if rule in INVALID_RULES:
        return "invalid"
    if rule in SILENT_FAILURE_RULES and severity >= Severity.WARNING:
        return "high"
    if severity >= Severity.WARNING:
        return "medium"
    return "low"


def worst(risks: Sequence[str]) -> str:
    return min(risks, key=RISK_ORDER.index, default="clean")


def at_least(risk: str, threshold: str) -> bool:
    """Whether ``risk`` is ``threshold`` or worse ("invalid" counts as worst)."""
    return RISK_ORDER.index(risk) <= RISK_ORDER.index(threshold)


@dataclass
class ServicePolicy:
    name: str
    image: Optional[str]
    order: str
    failure_action: str
    monitor: str
    risk: str
    rules: List[str] = field(default_factory=list)


@dataclass
class OverlayJudgement:
    """The same recipe linted with its CI overlay added to the file set."""

    files: List[str]
    risk: str
    counts: Dict[str, int]
    introduced: List[dict]  # findings the overlay brings that the recipe alone does not have
    services_exposed: List[str]
    weakening: int = 0  # audit entries that lower failure detection: the overlay's risk is high then


@dataclass
class RecipeReport:
    name: str
    display: str  # unique in the report: the name, or the path when two recipes share a name
    path: str
    kind: str  # "recipe" or "file"
    risk: str
    reason: Optional[str]  # why an invalid recipe could not be graded
    files: List[str]
    services: List[ServicePolicy]
    counts: Dict[str, int]
    findings: List[dict]  # each with "risk" and, with an overlay, "covered"
    overlay: Optional[OverlayJudgement] = None
    runs: List[dict] = field(default_factory=list)  # harness verdicts of CI runs (compose_policy.verdicts)

    @property
    def deployed_risk(self) -> str:
        """The risk of what CI deploys: with the overlay when there is one."""
        return self.overlay.risk if self.overlay is not None else self.risk

    @property
    def failed_runs(self) -> List[dict]:
        """Runs the harness failed: a service outcome, or the deployed commit (HC1)."""
        return [run for run in self.runs if run.get("failed") or run.get("hc1_failed")]


@dataclass
class FleetReport:
    recipes: List[RecipeReport]  # every recipe scanned, sorted worst first
    min_risk: Optional[str] = None
    enrolled_missing: List[str] = field(default_factory=list)
    audit: Optional[list] = None  # OverlayAudit per overlay (compose_policy.overlay_audit)
    unreadable_verdicts: List[dict] = field(default_factory=list)
    verdicts_read: Optional[int] = None

    @property
    def shown(self) -> List[RecipeReport]:
        """The recipes at --min-risk or worse (invalid ones always: they could not be graded)."""
        if not self.min_risk:
            return list(self.recipes)
        return [r for r in self.recipes if r.risk == "invalid" or at_least(r.deployed_risk, self.min_risk)
                or r.failed_runs]

    def summary(self) -> dict:
        by_risk = {risk: 0 for risk in RISK_ORDER}
        for recipe in self.recipes:
            by_risk[recipe.risk] += 1
        out = {
            "recipes": len(self.recipes),
            "shown": len(self.shown),
            "by_risk": by_risk,
            "findings": _totals(f for r in self.recipes for f in r.findings),
            "services_exposed": sorted(f"{r.display}/{s.name}" for r in self.recipes for s in r.services
                                       if s.risk == "high"),
        }
        judged = [r for r in self.recipes if r.overlay is not None]
        if judged:
            with_overlay = {risk: 0 for risk in RISK_ORDER}
            for recipe in self.recipes:
                with_overlay[recipe.deployed_risk] += 1
            out["with_overlays"] = {
                "recipes_with_overlay": len(judged),
                "by_risk": with_overlay,
                "covered_findings": sum(1 for r in judged for f in r.findings if f.get("covered")),
                "hidden_findings": sum(1 for r in judged for f in r.findings if f.get("hidden")),
                "introduced_findings": sum(len(r.overlay.introduced) for r in judged),
                "services_exposed": sorted(s for r in judged for s in r.overlay.services_exposed),
            }
        if self.audit is not None:
            by_class: Dict[str, int] = {}
            for overlay in self.audit:
                for entry in overlay.entries:
                    by_class[entry.kind] = by_class.get(entry.kind, 0) + 1
                if not overlay.header:
                    by_class["missing-header"] = by_class.get("missing-header", 0) + 1
            out["audit"] = {"overlays": len(self.audit), "by_class": dict(sorted(by_class.items()))}
        if self.verdicts_read is not None:
            out["runs"] = {
                "verdicts": self.verdicts_read,
                "unreadable": len(self.unreadable_verdicts),
                "recipes_failed": sorted(r.display for r in self.recipes if r.failed_runs),
            }
        if self.enrolled_missing:
            out["enrolled_missing"] = list(self.enrolled_missing)
        return out

    def to_dict(self) -> dict:
        data = {"summary": self.summary(), "min_risk": self.min_risk,
                "recipes": [_recipe_dict(r) for r in self.shown]}
        if self.audit is not None:
            data["audit"] = [overlay.to_dict() for overlay in self.audit]
        if self.verdicts_read is not None:
            data["unreadable_verdicts"] = list(self.unreadable_verdicts)
        return data


_FIELDS: Dict[type, tuple] = {}


def _plain(value):
    """``dataclasses.asdict`` for the report's values (dataclasses, lists, dicts, JSON scalars)
    without its deep copy of every leaf: a 1,000-recipe report is built in the parent after
    the parallel lint, so this is part of its wall time."""
    if is_dataclass(value):
        names = _FIELDS.get(type(value))
        if names is None:
            names = _FIELDS[type(value)] = tuple(f.name for f in fields(value))
        return {name: _plain(getattr(value, name)) for name in names}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, tuple):
        return tuple(_plain(item) for item in value)
    return value


def _recipe_dict(recipe: RecipeReport) -> dict:
    data = _plain(recipe)
    data["deployed_risk"] = recipe.deployed_risk
    return data


def _totals(findings) -> dict:
    """Totals in the shape of ``lint --format json``'s summary, to compare them."""
    by_severity = {str(s): 0 for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}
    by_rule: Dict[str, int] = {}
    total = 0
    for finding in findings:
        total += 1
        by_severity[finding["severity"]] += 1
        by_rule[finding["rule"]] = by_rule.get(finding["rule"], 0) + 1
    return {"total": total, "by_severity": by_severity, "by_rule": dict(sorted(by_rule.items()))}


def _text(service, *path: str, default: str, zero_is_default: bool = False) -> str:
    node = service.get(*path)
    if node is None or node.plain() is None or (zero_is_default and try_duration(node.plain()) == 0):
        return f"{default} (default)"
    raw = getattr(node, "raw", None)
    return str(raw if getattr(node, "unknown", False) else node.plain())


def grade(findings: Sequence[Finding]) -> str:
    return worst([finding_risk(f.rule, f.severity) for f in findings])


def _finding_key(finding: Finding):
    """What "the same finding" means across the runs without and with an overlay."""
    return (finding.rule, finding.service)


def _counts(findings: Sequence[Finding]) -> Dict[str, int]:
    return {str(s): sum(1 for f in findings if f.severity == s)
            for s in (Severity.ERROR, Severity.WARNING, Severity.INFO)}


def _invalid_reason(findings: Sequence[Finding], root: str) -> Optional[str]:
    for finding in findings:
        if finding.rule in INVALID_RULES:
            where = os.path.relpath(finding.path, root) if root else finding.path
            return f"{finding.rule} {where}:{finding.line}: {finding.message}"
    return None


def _exposed(display: str, stack, findings: Sequence[Finding]) -> List[str]:
    return [f"{display}/{name}" for name in stack.services
            if grade([f for f in findings if f.service == name]) == "high"]


# what _services reads of a service: a parallel scan sends back only these (engine.lint_paths)
SERVICE_PATHS = (("image",), ("deploy", "update_config"))


def _services(stack, findings: Sequence[Finding]) -> List[ServicePolicy]:
    out = []
    for name, service in stack.services.items():
        own = [f for f in findings if f.service == name]
        out.append(ServicePolicy(
            name=name,
            image=service.value("image"),
            order=_text(service, "deploy", "update_config", "order", default="stop-first"),
            failure_action=_text(service, "deploy", "update_config", "failure_action", default="pause"),
            # the daemon never sends a zero monitor: swarm watches for its default
            monitor=_text(service, "deploy", "update_config", "monitor", default="5s", zero_is_default=True),
            risk=grade(own),
            rules=sorted({f.rule for f in own}),
        ))
    return out


def display_names(stacks, roots: Sequence[str] = ()) -> Dict[int, str]:
    """id(stack) -> a name unique in the report (``fleet a/app b/app`` are two recipes).

    A recipe is its name unless another recipe has the same one, then its path; a lone file
    is its path below the scanned folder it was found in.
    """
    count: Dict[str, int] = {}
    for stack in stacks:
        count[stack.name] = count.get(stack.name, 0) + 1
    folders = sorted((os.path.normpath(r) for r in roots if os.path.isdir(r)), key=len, reverse=True)
    out = {}
    for stack in stacks:
        if stack.recipe is not None:
            out[id(stack)] = stack.name if count[stack.name] == 1 else os.path.normpath(stack.target.root)
            continue
        path = os.path.normpath(stack.name)
        below = [f for f in folders if path.startswith(f + os.sep)]
        out[id(stack)] = os.path.relpath(path, below[0]) if below else path
    if len(set(out.values())) != len(out):  # two scanned folders hold the same relative path
        return {id(s): os.path.normpath(s.target.root if s.recipe else s.name) for s in stacks}
    return out


def build_report(result, overlays: Optional[Dict[int, tuple]] = None, runs: Optional[Dict[int, List[dict]]] = None,
                 min_risk: Optional[str] = None, roots: Sequence[str] = (), audits: Optional[list] = None) -> FleetReport:
    """The report of a lint result; findings are grouped by the stack run that found them.

    ``overlays`` maps id(stack) to (overlay files, the LintResult of the recipe with them);
    ``runs`` maps id(stack) to the harness verdicts read for it; ``audits`` are the overlay
    audits: an overlay with a weakening entry makes the recipe high risk with it, however few
    findings remain (it removes findings by turning failure detection down).
    """
    overlays = overlays or {}
    weakening: Dict[str, int] = {}
    hidden: Dict[str, set] = {}  # overlay -> (rule, service) a weakening entry removes: hidden, not covered
    for audit in audits or []:
        weak = [e for e in audit.entries if e.kind == "weakening"]
        weakening[audit.overlay] = len(weak)
        hidden[audit.overlay] = {(rule, e.service) for e in weak for rule in e.rules}
    runs = runs or {}
    names = display_names([run.stack for run in result.runs], roots)
    recipes = []
    for run in result.runs:
        stack, findings = run.stack, run.findings
        display = names[id(stack)]
        dicts = []
        judged = overlays.get(id(stack))
        remaining, hides = set(), set()
        if judged is not None:
            remaining = {_finding_key(f) for f in judged[1].findings}
            hides = set().union(*(hidden.get(f, set()) for f in judged[0]))
        for finding in findings:
            item = finding.to_dict()
            item["risk"] = finding_risk(finding.rule, finding.severity)
            if judged is not None:
                gone = _finding_key(finding) not in remaining
                item["hidden"] = gone and (finding.rule, finding.service) in hides
                item["covered"] = gone and not item["hidden"]
            dicts.append(item)
        overlay = None
        if judged is not None:
            files, with_result = judged
            own = {_finding_key(f) for f in findings}
            with_findings = with_result.findings
            introduced = [dict(f.to_dict(), risk=finding_risk(f.rule, f.severity))
                          for f in with_findings if _finding_key(f) not in own]
            with_stack = with_result.stacks[0] if with_result.stacks else stack
            weak = sum(weakening.get(f, 0) for f in files)
            overlay = OverlayJudgement(files=list(files), risk=worst([grade(with_findings)] + (["high"] if weak else [])),
                                       counts=_counts(with_findings), introduced=introduced,
                                       services_exposed=_exposed(display, with_stack, with_findings), weakening=weak)
        risk = grade(findings)
        recipes.append(RecipeReport(
            name=stack.name, display=display, path=stack.target.root, kind=stack.target.kind, risk=risk,
            reason=_invalid_reason(findings, stack.target.root) if risk == "invalid" else None,
            files=list(stack.file_set), services=_services(stack, findings), counts=_counts(findings),
            findings=dicts, overlay=overlay, runs=runs.get(id(stack), [])))
    recipes.sort(key=lambda r: (r.risk == "invalid", not r.failed_runs, SORT_ORDER.index(r.deployed_risk),
                                SORT_ORDER.index(r.risk), r.display))
    return FleetReport(recipes, min_risk=min_risk, audit=audits)
