"""--write-baseline records findings without line numbers; --baseline shows only new ones."""

import json

HEAVY_SERVICE = """  {name}:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
"""


def compose(*names, top=""):
    return top + 'version: "3.8"\nservices:\n' + "".join(HEAVY_SERVICE.format(name=n) for n in names)


def lint_json(cli, *args):
    result = cli("lint", *args, "--format", "json")
    return result, json.loads(result.output)


def test_write_baseline_records_keys_and_counts_and_exits_0(cli, write, tmp_path):
    write("fleet/shop/compose.yml", compose("app", "worker"))
    baseline = tmp_path / "baseline.json"
    result = cli("lint", tmp_path / "fleet", "--select", "CP101", "--write-baseline", baseline)
    assert result.exit_code == 0
    data = json.loads(baseline.read_text())
    assert data["version"] == 1
    assert data["findings"] == [
        {"recipe": "shop", "file": "compose.yml", "service": "app", "rule": "CP101", "count": 1},
        {"recipe": "shop", "file": "compose.yml", "service": "worker", "rule": "CP101", "count": 1},
    ]
    assert "line" not in baseline.read_text()


def test_a_baseline_hides_known_findings_even_when_lines_move(cli, write, tmp_path):
    write("fleet/shop/compose.yml", compose("app"))
    baseline = tmp_path / "baseline.json"
    assert cli("lint", tmp_path / "fleet", "--select", "CP101", "--write-baseline", baseline).exit_code == 0
    # an edit above moves every line; a second heavy service is new
    write("fleet/shop/compose.yml", compose("app", "worker", top="# a header\n\n\n"))
    result, data = lint_json(cli, tmp_path / "fleet", "--select", "CP101", "--baseline", baseline)
    assert [(f["rule"], f["service"]) for f in data["findings"]] == [("CP101", "worker")]
    assert data["summary"]["suppressed_by"] == {"baseline": 1}
    assert result.exit_code == 1
    # without the new service the run is clean
    write("fleet/shop/compose.yml", compose("app", top="# a header\n"))
    result, data = lint_json(cli, tmp_path / "fleet", "--select", "CP101", "--baseline", baseline)
    assert data["findings"] == [] and result.exit_code == 0


def test_counts_are_a_budget(cli, write, tmp_path):
    # each repeated key is one CP000 finding on the same (recipe, file, service=None, rule)
    base = 'version: "3.8"\nservices:\n  app:\n    image: a\n    image: b\n    command: x\n    command: y\n'
    write("r/compose.yml", base)
    baseline = tmp_path / "b.json"
    cli("lint", tmp_path / "r", "--select", "CP000", "--write-baseline", baseline)
    assert json.loads(baseline.read_text())["findings"][0]["count"] == 2
    write("r/compose.yml", base + "    user: u\n    user: v\n")
    _, data = lint_json(cli, tmp_path / "r", "--select", "CP000", "--baseline", baseline)
    assert len(data["findings"]) == 1 and data["summary"]["suppressed_by"] == {"baseline": 2}


def test_a_lone_file_is_keyed_by_its_path_as_given(cli, write, tmp_path, monkeypatch):
    write("stacks/web-stack.yml", compose("app"))
    monkeypatch.chdir(tmp_path)
    cli("lint", "stacks", "--select", "CP101", "--write-baseline", "b.json")
    [entry] = json.loads((tmp_path / "b.json").read_text())["findings"]
    assert (entry["recipe"], entry["file"]) == (None, "stacks/web-stack.yml")
    _, data = lint_json(cli, "stacks", "--select", "CP101", "--baseline", "b.json")
    assert data["findings"] == []


def test_write_baseline_ignores_an_older_baseline(cli, write, tmp_path):
    write("r/compose.yml", compose("app"))
    old = tmp_path / "b.json"
    cli("lint", tmp_path / "r", "--select", "CP101", "--write-baseline", old)
    cli("lint", tmp_path / "r", "--select", "CP101", "--baseline", old, "--write-baseline", old)
    assert json.loads(old.read_text())["findings"][0]["count"] == 1


def test_suppressed_findings_stay_out_of_the_baseline(cli, write, tmp_path):
    write("r/compose.yml", compose("app").replace("order: start-first", "order: start-first  # compose-policy: disable=CP101"))
    baseline = tmp_path / "b.json"
    cli("lint", tmp_path / "r", "--select", "CP101", "--write-baseline", baseline)
    assert json.loads(baseline.read_text())["findings"] == []


def test_a_bad_baseline_is_one_line_and_exit_2(cli, write, tmp_path):
    write("r/compose.yml", compose("app"))
    for text, reason in [("{", "invalid JSON"), ('{"version": 1, "findings": [{"file": "x"}]}', "findings[0] needs"),
                         ("[]", "expected an object with version 1")]:
        bad = write("bad.json", text)
        result = cli("lint", tmp_path / "r", "--baseline", bad)
        assert result.exit_code == 2
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "not a compose-policy baseline" in lines[0] and reason in lines[0], lines
    result = cli("lint", tmp_path / "r", "--baseline", tmp_path / "missing.json")
    assert result.exit_code == 2 and "missing.json" in result.output
