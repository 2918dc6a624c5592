"""The fleet report grades recipes by how an upgrade could fail silently."""

import json

HEAVY = """services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config: {failure_action: rollback, order: start-first}
  db:
    image: postgres:15
"""
LIGHT = """services:
  app:
    image: nginx:1.27
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""
PLAIN = "services:\n  app:\n    image: nginx:1.27\n"


def make_fleet(write):
    write("fleet/heavy/compose.yml", HEAVY)
    write("fleet/light/compose.yml", LIGHT)
    write("fleet/plain/compose.yml", PLAIN)
    write("fleet/broken/compose.yml", "services: [\n")


def test_json_report_grades_each_recipe(cli, write, tmp_path):
    make_fleet(write)
    result = cli("fleet", tmp_path / "fleet", "--format", "json", "--select", "CP000,CP001,CP101,CP105")
    assert result.exit_code == 0
    data = json.loads(result.output)
    risks = {r["name"]: r["risk"] for r in data["recipes"]}
    assert risks == {"broken": "invalid", "heavy": "high", "light": "low", "plain": "clean"}
    assert data["summary"]["services_exposed"] == ["heavy/app"]
    heavy = next(r for r in data["recipes"] if r["name"] == "heavy")
    app = next(s for s in heavy["services"] if s["name"] == "app")
    db = next(s for s in heavy["services"] if s["name"] == "db")
    assert (app["order"], app["failure_action"], app["rules"]) == ("start-first", "rollback", ["CP101"])
    assert db["order"] == "stop-first (default)" and db["failure_action"] == "pause (default)"
    # worst first
    assert [r["name"] for r in data["recipes"]][:2] == ["broken", "heavy"]


def test_fail_on_risk_sets_the_exit_code(cli, write, tmp_path):
    write("fleet/light/compose.yml", LIGHT)
    assert cli("fleet", tmp_path / "fleet", "--select", "CP105", "--fail-on-risk", "high").exit_code == 0
    assert cli("fleet", tmp_path / "fleet", "--select", "CP105", "--fail-on-risk", "low").exit_code == 1


def test_html_report_is_written_and_escaped(cli, write, tmp_path):
    make_fleet(write)
    out = tmp_path / "report.html"
    result = cli("fleet", tmp_path / "fleet", "--format", "html", "--output", out)
    assert result.exit_code == 0 and result.output == ""
    page = out.read_text()
    assert page.startswith("<!doctype html>") and "discourse/discourse:3.2" in page
    assert "<script" not in page


def test_unwritable_output_is_exit_2(cli, write, tmp_path):
    make_fleet(write)
    result = cli("fleet", tmp_path / "fleet", "--output", tmp_path / "missing" / "r.html")
    assert result.exit_code == 2 and "compose-policy: error:" in result.output
