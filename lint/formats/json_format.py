"""One JSON object: ``{"version", "findings": [...], "summary": {...}}``. A stable contract."""

from __future__ import annotations

import json

from compose_policy import __version__
from compose_policy.formats.ruleurl import rule_docs_base, rule_url


def summary(result) -> dict:
    by_rule = {}
    for f in result.findings:
        by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
    return {
        "findings": len(result.findings),
        "by_severity": result.counts(),
        "by_rule": dict(sorted(by_rule.items())),
        "stacks": len(result.stacks),
        "files": result.files,
        # hidden by inline, file or service suppressions and by a baseline; never shown
        "suppressed": result.suppressed,
        "suppressed_by": dict(sorted(result.suppressed_by.items())),
    }


def finding_dict(finding, docs_base) -> dict:
    data = finding.to_dict()
    data["url"] = rule_url(finding.rule, docs_base)  # the rule's page (see formats.ruleurl)
    return data


def render(result, **_) -> str:
    base = rule_docs_base()
    data = {
        "version": __version__,
        "findings": [finding_dict(f, base) for f in result.findings],
        "summary": summary(result),
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
