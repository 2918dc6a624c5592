"""One JSON object: ``{"version", "findings": [...], "summary": {...}}``. A stable contract."""

from __future__ import annotations

import json

from compose_policy import __version__


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


def render(result, **_) -> str:
    data = {
        "version": __version__,
        "findings": [f.to_dict() for f in result.findings],
        "summary": summary(result),
    }
    return json.dumps(data, indent=2, sort_keys=False) + "\n"
