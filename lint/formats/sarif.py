"""SARIF 2.1.0 for code-scanning dashboards: one run, rule metadata from the rule classes.

Paths are URIs relative to the working directory (``uriBaseId: SRCROOT``), so the log
means the same on every checkout; a file outside it keeps an absolute ``file:`` URI.
"""

from __future__ import annotations

import json
import os
import pathlib
from typing import Optional
from urllib.parse import quote

from compose_policy import __version__
from compose_policy.baseline import finding_key
from compose_policy.formats.ruleurl import rule_docs_base, rule_url
from compose_policy.registry import all_rules

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
BASE_ID = "SRCROOT"
LEVELS = {"error": "error", "warning": "warning", "info": "note"}
def descriptor(rule, docs_base: Optional[str]) -> dict:
    sections = rule.doc_sections()
    what = sections.get("What it does", rule.summary())
    data = {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": what, "markdown": what},
        "help": {"text": rule.doc_text(), "markdown": rule.markdown()},
        "defaultConfiguration": {"level": LEVELS[str(rule.severity)]},
        "properties": {
            "tags": ["compose", "swarm"],
            "fix": rule.fix_applicability.value if rule.fix_applicability else None,
            # the rule's page: absolute with a published docs URL, else its path in the repository
            "url": rule_url(rule.code, docs_base),
        },
    }
    if docs_base:
        data["helpUri"] = f"{docs_base}/{rule.code}.md"
    return data


def artifact_location(path: str, root: str) -> dict:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute, root)
    if relative.startswith(".."):
        return {"uri": pathlib.Path(absolute).as_uri()}
    return {"uri": quote(relative.replace(os.sep, "/"), errors="surrogateescape"), "uriBaseId": BASE_ID}


def result_object(finding, rule_index: Optional[int], root: str) -> dict:
    recipe, file, service, rule = finding_key(finding)
    data = {
        "ruleId": finding.rule,
        "level": LEVELS[str(finding.severity)],
        "message": {"text": finding.full_message + (f" ({finding.service})" if finding.service else "")},
        "locations": [{"physicalLocation": {
            "artifactLocation": artifact_location(finding.path, root),
            "region": {"startLine": finding.line, "startColumn": finding.column},
        }}],
        # the baseline key: stable across edits that move lines
        "partialFingerprints": {"composePolicyKey/v1": "/".join(p or "" for p in (recipe, file, service, rule))},
        "properties": {"recipe": finding.recipe, "service": finding.service, "fixable": finding.fix is not None},
    }
    if rule_index is not None:
        data["ruleIndex"] = rule_index
    return data


def sarif_log(result) -> dict:
    classes = all_rules()
    docs_base = rule_docs_base()
    codes = [c for c in result.rule_codes if c in classes]
    index = {code: i for i, code in enumerate(codes)}
    root = os.getcwd()
    driver = {"name": "compose-policy", "version": __version__, "semanticVersion": __version__,
              "rules": [descriptor(classes[c], docs_base) for c in codes]}
    run = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {BASE_ID: {"uri": pathlib.Path(root).as_uri().rstrip("/") + "/"}},
        "columnKind": "unicodeCodePoints",
        "results": [result_object(f, index.get(f.rule), root) for f in result.findings],
        "properties": {"suppressed": result.suppressed, "stacks": len(result.stacks), "files": result.files},
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def render(result, **_) -> str:
    return json.dumps(sarif_log(result), indent=2) + "\n"
