"""The fleet report grades recipes by how an upgrade could fail silently."""

import json
import os
import pty
import subprocess
import sys

import pytest

from compose_policy.formats.fleet_render import md, render_markdown

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
# failure_action pause on its own: CP117 (a silent-failure rule) at info severity
SILENT_PAUSE = """services:
  app:
    image: nginx:1.27
    deploy:
      update_config: {failure_action: pause, order: start-first}
"""


def make_fleet(write):
    write("fleet/heavy/compose.yml", HEAVY)
    write("fleet/light/compose.yml", LIGHT)
    write("fleet/plain/compose.yml", PLAIN)
    write("fleet/broken/compose.yml", "services: [\n")


def fleet_json(cli, *args):
    result = cli("fleet", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_json_report_grades_each_recipe(cli, write, tmp_path):
    make_fleet(write)
    data = fleet_json(cli, tmp_path / "fleet", "--select", "CP000,CP001,CP101,CP105")
    risks = {r["name"]: r["risk"] for r in data["recipes"]}
    assert risks == {"broken": "invalid", "heavy": "high", "light": "low", "plain": "clean"}
    assert data["summary"]["services_exposed"] == ["heavy/app"]
    heavy = next(r for r in data["recipes"] if r["name"] == "heavy")
    app = next(s for s in heavy["services"] if s["name"] == "app")
    db = next(s for s in heavy["services"] if s["name"] == "db")
    assert (app["order"], app["failure_action"], app["rules"], app["risk"]) == ("start-first", "rollback", ["CP101"], "high")
    assert db["order"] == "stop-first (default)" and db["failure_action"] == "pause (default)" and db["risk"] == "clean"
    # high risk first, the recipes that could not be graded last, in their own section
    assert [r["name"] for r in data["recipes"]] == ["heavy", "light", "plain", "broken"]


def test_invalid_recipes_say_why_in_every_format(cli, write, tmp_path):
    make_fleet(write)
    data = fleet_json(cli, tmp_path / "fleet")
    broken = next(r for r in data["recipes"] if r["name"] == "broken")
    assert broken["reason"].startswith("CP000 compose.yml:")
    for output_format in ("text", "markdown", "html"):
        page = cli("fleet", tmp_path / "fleet", "--format", output_format).output
        assert "CP000 compose.yml:" in page, output_format
        assert page.index("nvalid (1)") > page.index("heavy"), output_format


def test_one_risk_definition_for_grade_footer_and_json(cli, write, tmp_path):
    """A silent-failure rule at info severity grades low, and a low recipe is never in the footer."""
    write("fleet/paused/compose.yml", SILENT_PAUSE)
    write("fleet/heavy/compose.yml", HEAVY)
    data = fleet_json(cli, tmp_path / "fleet")
    paused = next(r for r in data["recipes"] if r["name"] == "paused")
    assert "CP117" in paused["services"][0]["rules"]
    assert paused["risk"] != "high" and paused["services"][0]["risk"] != "high"
    assert all(f["risk"] != "high" for f in paused["findings"])
    assert data["summary"]["services_exposed"] == ["heavy/app"]
    text = cli("fleet", tmp_path / "fleet").output
    footer = text[text.index("silently revert or stall"):]
    assert "heavy/app" in footer and "paused" not in footer


def test_min_risk_shows_the_worst_but_counts_all(cli, write, tmp_path):
    make_fleet(write)
    data = fleet_json(cli, tmp_path / "fleet", "--min-risk", "high")
    assert [r["name"] for r in data["recipes"]] == ["heavy", "broken"]
    assert data["summary"]["recipes"] == 4 and data["summary"]["shown"] == 2
    text = cli("fleet", tmp_path / "fleet", "--min-risk", "medium", "--select", "CP000,CP001,CP101,CP105").output
    assert "light" not in text and "heavy" in text


def test_clean_recipes_are_collapsed(cli, write, tmp_path):
    make_fleet(write)
    for index in range(3):
        write(f"fleet/calm{index}/compose.yml", PLAIN)
    text = cli("fleet", tmp_path / "fleet", "--select", "CP000,CP001,CP101").output
    assert "clean (5): calm0, calm1, calm2, light, plain" in text
    assert "[clean]" not in text
    page = cli("fleet", tmp_path / "fleet", "--select", "CP000,CP001,CP101", "--format", "html").output
    assert "<details><summary>5 clean recipes</summary>" in page and "<li>calm1</li>" in page


def test_recipes_that_share_a_folder_name_stay_apart(cli, write, tmp_path):
    write("a/app/compose.yml", HEAVY)
    write("b/app/compose.yml", PLAIN)
    data = fleet_json(cli, tmp_path / "a" / "app", tmp_path / "b" / "app")
    by_path = {r["path"]: r for r in data["recipes"]}
    heavy, plain = by_path[str(tmp_path / "a" / "app")], by_path[str(tmp_path / "b" / "app")]
    assert heavy["risk"] == "high" and plain["risk"] == "clean"
    assert all(f["path"].startswith(str(tmp_path / "a")) for f in heavy["findings"])
    assert plain["findings"] == []
    assert heavy["display"] != plain["display"]
    assert data["summary"]["services_exposed"] == [f"{tmp_path / 'a' / 'app'}/app"]


def test_markdown_escapes_everything_from_recipes(cli, write, tmp_path):
    evil = "x|y\n<img src=x>@all [l](u)"
    write(f"fleet/{evil}/compose.yml", HEAVY)
    write("fleet/ok/compose.yml", HEAVY)
    page = cli("fleet", tmp_path / "fleet", "--format", "markdown").output
    assert "<img" not in page and "@all" not in page and "[l](u)" not in page
    rows = [line for line in page.splitlines() if line.startswith("| ") and "CP10" in line]
    assert len(rows) == 2  # the newline did not split a row
    evil_row = next(row for row in rows if "x\\|y" in row)
    assert evil_row.count(" | ") == 3  # four cells: the | in the names is escaped
    assert md("a|b\nc") == "a\\|b\\\\nc"  # renders as a|b\\nc: one line, one cell
    html_page = cli("fleet", tmp_path / "fleet", "--format", "html").output
    assert "<img" not in html_page and "&lt;img src=x&gt;" in html_page
    text = cli("fleet", tmp_path / "fleet").output
    assert "x|y\\n<img" in text  # text shows the newline as an escape, on one line


def test_markdown_never_exceeds_its_limit(cli, write, tmp_path):
    for index in range(60):
        write(f"fleet/r{index:02d}-{'long-name-' * 5}/compose.yml", HEAVY if index % 3 else LIGHT)
    from compose_policy.engine import LintOptions, lint_paths
    from compose_policy.fleet import build_report

    report = build_report(lint_paths([str(tmp_path / "fleet")], LintOptions()))
    full = render_markdown(report)
    for limit in (len(full) - 1, 6000, 2500):
        text = render_markdown(report, limit=limit)
        assert len(text) <= limit
        assert "## compose-policy fleet report" in text and "| high | 40 |" in text


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
    assert "<script" not in page and "http://" not in page.replace("http://www.w3.org/2000/svg", "")
    assert page.count("<svg") == 2  # risks per rule and per recipe, inline
    assert "white-space:nowrap" in page[page.index(".badge{"):page.index("}", page.index(".badge{"))]


def test_unwritable_output_is_exit_2(cli, write, tmp_path):
    make_fleet(write)
    result = cli("fleet", tmp_path / "fleet", "--output", tmp_path / "missing" / "r.html")
    assert result.exit_code == 2 and "compose-policy: error:" in result.output


# --- which recipes ---------------------------------------------------------------------

def test_enrolled_file_selects_recipes_and_names_the_missing(cli, write, tmp_path):
    make_fleet(write)
    enrolled = write("enrolled.txt", "# CI recipes\nheavy\n\nplain   # calm\nghost\n")
    data = fleet_json(cli, tmp_path / "fleet", "--enrolled", enrolled)
    assert sorted(r["name"] for r in data["recipes"]) == ["heavy", "plain"]
    assert data["summary"]["enrolled_missing"] == ["ghost"]
    assert "Enrolled but not found: ghost" in cli("fleet", tmp_path / "fleet", "--enrolled", enrolled).output


@pytest.mark.parametrize("content", ["../etc\n", "a/b\n"])
def test_enrolled_file_with_a_path_is_exit_2(cli, write, tmp_path, content):
    make_fleet(write)
    enrolled = write("enrolled.txt", content)
    result = cli("fleet", tmp_path / "fleet", "--enrolled", enrolled)
    assert result.exit_code == 2 and "not a recipe name" in result.output


def test_enrolled_must_be_a_regular_file(cli, write, tmp_path):
    make_fleet(write)
    result = cli("fleet", tmp_path / "fleet", "--enrolled", tmp_path)
    assert result.exit_code == 2 and "regular file" in result.output


def test_no_path_reads_abras_recipe_folder(cli, write, tmp_path, monkeypatch):
    write("abra/recipes/heavy/compose.yml", HEAVY)
    monkeypatch.setenv("ABRA_DIR", str(tmp_path / "abra"))
    data = fleet_json(cli)
    assert [r["name"] for r in data["recipes"]] == ["heavy"]
    monkeypatch.delenv("ABRA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "abra-home"))
    write("abra-home/.abra/recipes/plain/compose.yml", PLAIN)
    assert [r["name"] for r in fleet_json(cli)["recipes"]] == ["plain"]


def test_no_path_and_no_abra_folder_is_exit_2(cli, tmp_path, monkeypatch):
    monkeypatch.setenv("ABRA_DIR", str(tmp_path / "nowhere"))
    result = cli("fleet")
    assert result.exit_code == 2 and "no abra recipe folder" in result.output


# --- progress --------------------------------------------------------------------------

def test_progress_only_on_a_terminal(write, tmp_path):
    make_fleet(write)
    command = [sys.executable, "-m", "compose_policy", "fleet", str(tmp_path / "fleet"), "--format", "json"]
    quiet = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert quiet.returncode == 0 and quiet.stderr == ""
    primary, secondary = pty.openpty()
    try:
        run = subprocess.run(command, stdout=subprocess.PIPE, stderr=secondary, timeout=60,
                             env={**os.environ, "TERM": "xterm", "COLUMNS": "100"})
        os.close(secondary)
        seen = b""
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(primary)
    assert run.returncode == 0 and json.loads(run.stdout)["summary"]["recipes"] == 4
    assert b"scanned" in seen  # the live line went to the terminal, not into the report


def test_counts_of_one_are_singular_in_every_format(cli, write, tmp_path):
    write("fleet/one/compose.yml", "services:\n  app:\n    image: nginx:1.27\n    deploy:\n"
                                   "      update_config: {parallelism: 0}\n      replicas: 2\n")  # CP114 only
    fleet = tmp_path / "fleet"
    assert cli("fleet", fleet).output.startswith("Fleet: 1 recipe, 1 finding (")
    assert "\n1 recipe, 1 finding (" in cli("fleet", fleet, "--format", "markdown").output
    assert "<p>1 recipe, 1 finding (" in cli("fleet", fleet, "--format", "html").output
    audit = cli("audit", fleet, "--overlay-dir", tmp_path / "ci" / "{recipe}")
    assert audit.output == f"No CI overlay found for 1 recipe with {tmp_path / 'ci' / '{recipe}'}.\n"


def test_a_zero_monitor_shows_as_swarms_default(cli, write, tmp_path):
    # the daemon never sends a zero monitor: swarm watches for 5s, as the rules reckon too
    write("fleet/zero/compose.yml", "services:\n  app:\n    image: nginx:1.27\n    deploy:\n"
                                    "      update_config: {failure_action: rollback, monitor: 0s}\n")
    [recipe] = fleet_json(cli, tmp_path / "fleet")["recipes"]
    assert recipe["services"][0]["monitor"] == "5s (default)"
