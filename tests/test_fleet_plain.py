"""The fleet report's dict conversion gives what dataclasses.asdict gives, on real recipes."""

import dataclasses
import pathlib

import pytest

from compose_policy import fleet_scan
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.fleet import _plain, build_report

TEMPLATE = str(pathlib.Path(__file__).resolve().parent / "fixtures" / "fleet" / "ci" / "tests" / "{recipe}")


@pytest.mark.corpus
def test_plain_equals_asdict_with_and_without_overlays(corpus):
    options = LintOptions()
    result = lint_paths([str(corpus / "coopcloud"), str(corpus / "swarm")], options)
    judged = fleet_scan.judge_overlays(result, TEMPLATE, options)
    report = build_report(result, overlays=judged, roots=[str(corpus)])
    assert any(recipe.overlay is not None for recipe in report.recipes)  # OverlayJudgement is covered
    assert any(recipe.services for recipe in report.recipes)
    for recipe in report.recipes:
        assert _plain(recipe) == dataclasses.asdict(recipe)
