"""The fleet report on ../shared/corpus: lint's totals, one GitHub comment, the published schema."""

import json
import pathlib
from importlib import resources

import jsonschema
import pytest

from compose_policy.formats.fleet_render import GITHUB_COMMENT_LIMIT
from compose_policy.harness.verdict import ROLLED_BACK, ServiceVerdict, Verdict

pytestmark = pytest.mark.corpus
TEMPLATE = str(pathlib.Path(__file__).resolve().parent / "fixtures" / "fleet" / "ci" / "tests" / "{recipe}")


def schema():
    return json.loads(resources.files("compose_policy").joinpath("fleet_report_schema.json").read_text())


def run_json(cli, command, *args):
    result = cli(command, *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


@pytest.mark.parametrize("folder", ["swarm", "coopcloud"])
def test_report_totals_equal_lints(cli, corpus, folder):
    lint = run_json(cli, "lint", corpus / folder)["summary"]
    fleet = run_json(cli, "fleet", corpus / folder)["summary"]
    assert fleet["findings"]["total"] == lint["findings"] > 0
    assert fleet["findings"]["by_severity"] == lint["by_severity"]
    assert fleet["findings"]["by_rule"] == lint["by_rule"]
    assert fleet["recipes"] == lint["stacks"]


def test_markdown_fits_one_github_comment_on_the_swarm_corpus(cli, corpus):
    data = run_json(cli, "fleet", corpus / "swarm")
    page = cli("fleet", corpus / "swarm", "--format", "markdown").output
    assert len(page) <= GITHUB_COMMENT_LIMIT
    high = [r["display"] for r in data["recipes"] if r["risk"] == "high"]
    assert high and all(name.replace("_", "\\_") in page for name in high)
    assert f"| invalid | {data['summary']['by_risk']['invalid']} |" in page


def test_json_report_validates_against_the_published_schema(cli, corpus, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    failed = Verdict(stack="lemp_ci", services=[ServiceVerdict(service="lemp_ci_app", outcome=ROLLED_BACK,
                                                              reason="rolled back")])
    (runs / "lemp.json").write_text(json.dumps(failed.to_dict()))
    (runs / "bad.json").write_text("[]")
    data = run_json(cli, "fleet", corpus / "coopcloud", corpus / "swarm", "--overlay-dir", TEMPLATE, "--verdicts", runs)
    jsonschema.validate(data, schema())
    assert {"with_overlays", "audit", "runs"} <= set(data["summary"])
    assert any(r["overlay"] for r in data["recipes"]) and any(r["runs"] for r in data["recipes"])
    assert any(r["risk"] == "invalid" for r in data["recipes"])
    broken = dict(data, recipes=[dict(data["recipes"][0], risk="dangerous")])
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema())


def test_overlays_cover_findings_per_recipe(cli, corpus):
    data = run_json(cli, "fleet", corpus / "coopcloud", "--overlay-dir", TEMPLATE)
    recipes = {r["name"]: r for r in data["recipes"]}
    docs = recipes["docs.coopcloud.tech"]
    covered = {f["rule"]: f["covered"] for f in docs["findings"]}
    assert covered["CP111"] is True and covered["CP105"] is False
    assert docs["risk"] == "medium" and docs["deployed_risk"] == "low"
    # the weakening overlay removes findings by turning failure detection off, and brings CP116
    food = recipes["foodsharing-cms"]
    assert [f["rule"] for f in food["overlay"]["introduced"]] == ["CP116"]
    # what failure_action: continue removes is hidden, not covered, and the recipe is high risk with it
    hidden = {f["rule"] for f in food["findings"] if f["hidden"]}
    assert hidden == {"CP105", "CP111", "CP112"} and not any(f["covered"] for f in food["findings"])
    assert food["risk"] == "medium" and food["deployed_risk"] == "high" and food["overlay"]["weakening"] == 2
    assert recipes["abramon"]["overlay"] is None and "covered" not in recipes["abramon"]["findings"][0]
    assert data["summary"]["with_overlays"]["recipes_with_overlay"] == 7
    lint = run_json(cli, "lint", corpus / "coopcloud")["summary"]
    assert data["summary"]["findings"]["total"] == lint["findings"]  # the base run is lint's, overlays aside
