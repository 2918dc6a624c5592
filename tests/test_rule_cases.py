"""Data-driven rule tests: every rule has a YAML file of pass and fail cases.

Each file ``tests/rule_cases/CPNNN.yml`` holds the cases of one rule::

    rule: CP111                       # the rule under test; must match the file name
    cases:
      short_default_monitor:          # a unique snake_case name, shown in the test id
        description: one line         # optional
        compose: |                    # the base file, written as compose.yml
          services:
            app: ...
        overlays:                     # optional: files merged on top, in order, written as
          - |                         # compose.o1.yml, compose.o2.yml, ... and enabled with
            services: ...             # COMPOSE_FILE=compose.yml:compose.o1.yml:... in .env
        env:                          # optional: variables written to .env
          DOMAIN: app.example.com
        env_sample: |                 # optional: the text of .env.sample; TYPE= or RECIPE=
          TYPE=app                    # in it makes the folder a Co-op Cloud recipe
        options:                      # optional: the rule's options, as in the configuration
          node-memory: 8G
        pass: true                    # the rule reports nothing, or ...
        fail:                         # ... exactly these findings, in any order
          - line: 9                   # the 1-based line the finding points at
            file: compose.o1.yml      # optional; compose.yml when omitted
            service: app
            message_contains: monitor # a string, or a list of strings, all in the message (with its detail)
            fix:                      # required for a fixable rule (null: no fix expected)
              key_path: [deploy, update_config, monitor]
              value: 1m50s

Each case is written to a fresh recipe folder and linted by the real engine
(``lint_paths`` with only the rule under test selected), so loading, interpolation and
merging take part exactly as in ``compose-policy lint``. The files must be valid compose
(no CP000/CP001 problem), so that a case tests its rule and nothing else.
"""

from __future__ import annotations

import pathlib
from collections import Counter

import pytest
import yaml

from compose_policy.engine import LintOptions, lint_paths
from compose_policy.registry import all_rules

CASES_DIR = pathlib.Path(__file__).resolve().parent / "rule_cases"
CASE_KEYS = {"description", "compose", "overlays", "env", "env_sample", "options", "pass", "fail"}
FINDING_KEYS = {"line", "file", "service", "message_contains", "fix"}
NOT_CASE_DRIVEN = {"CP900"}  # engine-reported rules (CP000, CP001) are excluded by their flag
# rules on Python harness modules (CP5xx) have their cases in test_harness_code_rules.py


def load_case_file(path: pathlib.Path) -> dict:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    assert isinstance(data, dict) and set(data) == {"rule", "cases"}, f"{path.name}: needs rule and cases"
    assert data["rule"] == path.stem, f"{path.name} declares rule {data['rule']}"
    assert isinstance(data["cases"], dict) and data["cases"], f"{path.name}: no cases"
    return data


def all_cases():
    for path in sorted(CASES_DIR.glob("CP*.yml")):
        data = load_case_file(path)
        for name, case in data["cases"].items():
            yield pytest.param(data["rule"], name, case, id=f"{data['rule']}::{name}")


def write_recipe(root: pathlib.Path, case: dict) -> pathlib.Path:
    recipe = root / "recipe"
    recipe.mkdir()
    (recipe / "compose.yml").write_text(case["compose"])
    overlays = case.get("overlays") or []
    env_lines = [f"{key}={value}" for key, value in (case.get("env") or {}).items()]
    if overlays:
        names = ["compose.yml"]
        for index, text in enumerate(overlays, start=1):
            names.append(f"compose.o{index}.yml")
            (recipe / names[-1]).write_text(text)
        env_lines.append("COMPOSE_FILE=" + ":".join(names))
    if env_lines:
        (recipe / ".env").write_text("\n".join(env_lines) + "\n")
    if case.get("env_sample") is not None:
        (recipe / ".env.sample").write_text(case["env_sample"])
    return recipe


def run_case(tmp_path, code: str, case: dict):
    recipe = write_recipe(tmp_path, case)
    options = LintOptions(select=[code], rule_options={code: dict(case.get("options") or {})})
    result = lint_paths([str(recipe)], options)
    assert len(result.stacks) == 1
    stack = result.stacks[0]
    assert stack.valid and not stack.problems, f"the case is not valid compose: {stack.problems}"
    return recipe, result.findings


def _as_list(value):
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("code, name, case", list(all_cases()))
def test_rule_case(tmp_path, code, name, case):
    assert set(case) <= CASE_KEYS, f"unknown keys {set(case) - CASE_KEYS}"
    assert ("pass" in case) != ("fail" in case), "a case says either pass: true or fail: [...]"
    recipe, findings = run_case(tmp_path, code, case)
    assert all(f.rule == code for f in findings)
    if case.get("pass"):
        assert findings == [], "expected no finding, got:\n" + "\n".join(
            f"  {f.line} {f.service}: {f.message}" for f in findings)
        return

    expected = case["fail"]
    assert expected, "fail: needs at least one expected finding"
    rule = all_rules()[code]

    def where(f):
        return (pathlib.Path(f.path).relative_to(recipe).as_posix(), f.line, f.service)

    got = Counter(where(f) for f in findings)
    want = Counter((e.get("file", "compose.yml"), e["line"], e["service"]) for e in expected)
    assert got == want, "findings differ:\n" + "\n".join(
        f"  {where(f)}: {f.message}" for f in findings)

    remaining = list(findings)
    for entry in expected:
        assert set(entry) <= FINDING_KEYS, f"unknown keys {set(entry) - FINDING_KEYS}"
        key = (entry.get("file", "compose.yml"), entry["line"], entry["service"])
        finding = next(f for f in remaining if where(f) == key)
        remaining.remove(finding)
        for text in _as_list(entry.get("message_contains") or []):
            assert text in finding.full_message, f"{text!r} not in {finding.full_message!r}"
        if rule.fix_applicability is not None:
            assert "fix" in entry, f"{code} is fixable: each expected finding states its fix"
        if "fix" in entry:
            if entry["fix"] is None:
                assert finding.fix is None
                continue
            assert finding.fix is not None, f"no fix on {finding.message!r}"
            assert finding.fix.service == entry["service"]
            assert list(finding.fix.key_path) == entry["fix"]["key_path"]
            assert finding.fix.value == entry["fix"]["value"]
            assert finding.fix.applicability == rule.fix_applicability
            assert finding.fix.why


def case_driven_rules():
    return [code for code, rule in all_rules().items()
            if not rule.reported_by_engine and rule.input == "compose" and code not in NOT_CASE_DRIVEN]


@pytest.mark.parametrize("code", case_driven_rules())
def test_every_rule_has_pass_and_fail_cases_and_docs(code):
    rule = all_rules()[code]
    assert rule.missing_doc_sections() == [], f"{code} docs lack {rule.missing_doc_sections()}"
    path = CASES_DIR / f"{code}.yml"
    assert path.is_file(), f"{code} has no case file {path.name}"
    cases = load_case_file(path)["cases"].values()
    assert any(c.get("pass") for c in cases), f"{code} has no pass case"
    assert any(c.get("fail") for c in cases), f"{code} has no fail case"
    if rule.fix_applicability is not None:
        assert any(e.get("fix") for c in cases for e in c.get("fail") or []), f"{code} has no fix case"


def test_every_case_file_names_a_registered_rule():
    for path in CASES_DIR.glob("*.yml"):
        assert path.stem in all_rules(), f"{path.name} is for no registered rule"
