"""Inline, file-wide and per-service suppressions, and CP900 for the ones that match nothing."""

import json

HEAVY = """version: "3.8"
services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        failure_action: rollback
        order: start-first{comment}
"""


def lint_json(cli, path, *args):
    result = cli("lint", path, "--format", "json", *args)
    data = json.loads(result.output)
    return result, data


def rules_at(data):
    return sorted((f["rule"], f["line"]) for f in data["findings"])


def test_a_comment_on_the_offending_line_suppresses_it(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=CP101 -- host has 16G"))
    result, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert data["findings"] == []
    assert data["summary"]["suppressed"] == 1 and data["summary"]["suppressed_by"] == {"inline": 1}
    assert result.exit_code == 0
    text = cli("lint", tmp_path / "r", "--select", "CP101,CP900").output
    assert text.strip() == "All clear: 1 stack, 1 file checked; 1 suppressed."


def test_without_the_comment_the_finding_shows(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment=""))
    result, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert rules_at(data) == [("CP101", 8)] and result.exit_code == 1
    assert data["summary"]["suppressed"] == 0


def test_comment_lines_above_reach_down_and_stack(cli, write, tmp_path):
    compose = HEAVY.format(comment="").replace(
        "        order: start-first",
        "        # compose-policy: disable=start-first-heavy-rollback -- by name\n"
        "        # compose-policy: disable=CP105 -- a second directive stacks\n"
        "\n"
        "        order: start-first")
    write("r/compose.yml", compose)
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP105,CP900")
    # CP101 suppressed by name; the CP105 directive matches nothing (the service is heavy)
    assert rules_at(data) == [("CP900", 9)]
    assert "unused suppression of CP105" in data["findings"][0]["message"]


def test_a_comment_two_code_lines_above_does_not_reach(cli, write, tmp_path):
    compose = HEAVY.format(comment="").replace(
        "        failure_action: rollback", "        failure_action: rollback  # compose-policy: disable=CP101")
    compose = compose.replace("      update_config:\n", "      update_config:  # compose-policy: disable=CP101\n")
    write("r/compose.yml", compose)
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    # line 7's trailing comment covers line 8 (the line before); line 6's covers 6 and 7 only
    assert rules_at(data) == [("CP900", 6)]


def test_disable_all_and_disable_file(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=all"))
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP1,CP900")
    assert [f for f in data["findings"] if f["line"] == 8] == []
    write("r/compose.yml", "# compose-policy: disable-file=CP101,CP110\n" + HEAVY.format(comment=""))
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP110,CP900")
    assert data["findings"] == []
    assert data["summary"]["suppressed_by"] == {"file": 2}


def test_a_service_can_ignore_rules_and_overlays_merge_into_it(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment=""))
    write("r/compose.quiet.yml", 'version: "3.8"\nservices:\n  app:\n    x-compose-policy:\n'
                                 '      ignore: [CP101]\n')
    write("r/.env", "COMPOSE_FILE=compose.yml:compose.quiet.yml\n")
    result, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert data["findings"] == [] and result.exit_code == 0
    assert data["summary"]["suppressed_by"] == {"service": 1}


def test_unused_suppressions_are_cp900_at_the_comment(cli, write, tmp_path):
    light = HEAVY.format(comment="  # compose-policy: disable=CP101").replace("discourse/discourse:3.2", "nginx:1.27")
    light = light.replace("  app:\n", "  app:\n    x-compose-policy: {ignore: [CP105, CP101]}\n")
    path = write("r/compose.yml", light)
    lines = path.read_text().splitlines()
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP105,CP900")
    unused = {(f["line"], f["column"], f["service"]): f["message"] for f in data["findings"] if f["rule"] == "CP900"}
    assert unused == {
        (9, lines[8].index("#") + 1, None): "unused suppression of CP101: no such finding on this line or the next",
        (4, lines[3].index("CP101") + 1, "app"): "unused suppression of CP101: service app has no such finding",
    }  # the service's CP105 entry hid the CP105 finding: used
    assert data["summary"]["suppressed_by"] == {"service": 1}
    assert all(f["severity"] == "info" for f in data["findings"])


def test_only_suppressions_of_rules_that_ran_are_judged(cli, write, tmp_path):
    light = HEAVY.format(comment="  # compose-policy: disable=CP101").replace("discourse/discourse:3.2", "nginx:1.27")
    write("r/compose.yml", light)
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP105,CP900")
    assert [f for f in data["findings"] if f["rule"] == "CP900"] == []
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101")  # CP900 itself not selected
    assert data["findings"] == []


def test_unknown_codes_and_misspelt_directives_are_reported(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=CP101,CP7777")
          + "# compose-policy: disabel=CP101\n")
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    messages = sorted((f["line"], f["message"]) for f in data["findings"])
    assert messages == [(8, "suppression names no known rule: 'CP7777'"),
                        (9, "not a suppression comment: expected disable=CODES or disable-file=CODES")]


def test_cp900_can_itself_be_ignored_or_suppressed(cli, write, tmp_path):
    write("r/compose.yml", "# compose-policy: disable-file=CP900 -- kept for the smtp file set\n"
          + HEAVY.format(comment="  # compose-policy: disable=CP105").replace("discourse/discourse:3.2", "acme/x:1")
          .replace("failure_action: rollback", "failure_action: pause"))
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP105,CP900")
    assert data["findings"] == [] and data["summary"]["suppressed_by"] == {"file": 1}
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=CP105"))
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP105,CP900", "--ignore", "CP900")
    assert data["findings"] == []


def test_overlays_outside_the_file_set_keep_their_suppressions_quietly(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment=""))
    write("r/compose.smtp.yml", 'version: "3.8"\nservices:\n  app:\n    deploy:\n      update_config:\n'
                                "        order: start-first  # compose-policy: disable=CP101\n")
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert rules_at(data) == [("CP101", 8)]


def test_a_stack_that_cannot_be_read_reports_no_unused_suppression(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=CP101") + "  bad: [oops\n")
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP000,CP101,CP900")
    assert [f["rule"] for f in data["findings"]] == ["CP000"]


def test_a_finding_an_override_drops_still_uses_its_suppression(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="  # compose-policy: disable=CP101"))
    write("r/.compose-policy.yml", "overrides:\n  - services: [app]\n    ignore: [CP101]\n")
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert data["findings"] == []
    assert data["summary"]["suppressed"] == 0  # the configuration dropped it, not the comment


def test_a_comment_inside_a_quoted_value_is_not_a_directive(cli, write, tmp_path):
    write("r/compose.yml", HEAVY.format(comment="").replace(
        "    image: discourse/discourse:3.2\n",
        '    image: discourse/discourse:3.2\n    command: "echo#compose-policy: disable=CP101"\n'))
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP101,CP900")
    assert rules_at(data) == [("CP101", 9)]
