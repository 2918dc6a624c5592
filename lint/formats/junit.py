"""JUnit XML: one testsuite per stack, one testcase per rule that ran on it.

A rule with findings that reach the stack's fail-on severity is a failed testcase (all its
findings in the failure text); one whose findings stay below it passes and lists them in
system-out. So a dashboard shows, per recipe, which checks pass, not only what failed,
and its red matches the exit code.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from compose_policy.formats.escape import printable, xml_safe
from compose_policy.registry import all_rules


def _line(finding) -> str:
    # one line per finding, whatever a path, service name or message holds
    service = f" ({printable(finding.service)})" if finding.service else ""
    return (f"{printable(finding.path)}:{finding.line}:{finding.column}: [{finding.severity}] "
            f"{printable(finding.full_message)}{service}")


def testsuite(run, result, classes) -> ET.Element:
    stack_name = xml_safe(run.stack.name)  # a name is data: XML 1.0 cannot carry every character
    suite = ET.Element("testsuite", name=stack_name)
    by_rule = {}
    for finding in run.findings:
        by_rule.setdefault(finding.rule, []).append(finding)
    codes = list(dict.fromkeys(list(run.codes) + sorted(by_rule)))
    failures = skipped = 0
    for code in codes:
        rule = classes.get(code)
        title = f"{code} {rule.name}" if rule is not None else code
        case = ET.SubElement(suite, "testcase", name=title, classname=f"compose-policy.{stack_name}")
        findings = by_rule.get(code, [])
        if not findings and not run.stack.valid and rule is not None and not rule.reported_by_engine:
            skipped += 1  # the stack could not be read: this rule never looked at it
            ET.SubElement(case, "skipped", message="not checked: fix CP000/CP001 first")
            continue
        failing = [f for f in findings if result.fails(f)]
        if failing:
            failures += 1
            first = failing[0]
            count = f"{len(failing)} finding{'s' if len(failing) != 1 else ''}"
            failure = ET.SubElement(case, "failure", message=f"{count}: {printable(first.message)}",
                                    type=str(first.severity))
            failure.text = "\n".join(_line(f) for f in failing)
        rest = [f for f in findings if not result.fails(f)]
        if rest:
            ET.SubElement(case, "system-out").text = "\n".join(_line(f) for f in rest)
    suite.set("tests", str(len(codes)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    return suite


def render(result, **_) -> str:
    classes = all_rules()
    root = ET.Element("testsuites", name="compose-policy")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for run in result.runs:
        suite = testsuite(run, result, classes)
        for key in totals:
            totals[key] += int(suite.get(key))
        root.append(suite)
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
