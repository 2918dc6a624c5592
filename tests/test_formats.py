"""Output formats (text, json, sarif, github, junit), several outputs per run, and rule docs."""

import json
import pathlib
import subprocess
import sys
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import jsonschema
import pytest

from compose_policy.formats import github, sarif
from compose_policy.registry import all_rules
from snippets import HEAVY as HEAVY_APP

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The OASIS SARIF 2.1.0 schema as published in oasis-tcs/sarif-spec, Schemata/sarif-schema-2.1.0.json
# (its "id": https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json).
SARIF_SCHEMA = pathlib.Path(__file__).resolve().parent / "fixtures" / "sarif-schema-2.1.0.json"

HEAVY = HEAVY_APP + """  web:
    image: nginx:1.27
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
"""
SELECT = ("--select", "CP101,CP105")


@pytest.fixture
def fleet(write, tmp_path, monkeypatch):
    """Two recipes (one with an error and an info finding, one clean), paths relative to cwd."""
    write("fleet/shop/compose.yml", HEAVY)
    write("fleet/blog/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_sarif_is_valid_and_carries_rule_metadata(cli, fleet, monkeypatch):
    monkeypatch.setattr(sarif, "rule_docs_base", lambda: "https://example.org/compose-policy/docs/rules")
    result = cli("lint", "fleet", *SELECT, "--format", "sarif")
    assert result.exit_code == 1
    log = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker()).validate(log)
    [run] = log["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == ["CP000", "CP001", "CP101", "CP105"]  # the input rules always run
    cp101 = rules[2]
    assert cp101["name"] == "start-first-heavy-rollback"
    assert cp101["shortDescription"]["text"] == all_rules()["CP101"].summary()
    assert cp101["fullDescription"]["text"].startswith("Flags a service whose `deploy.update_config`")
    assert cp101["help"]["markdown"] == all_rules()["CP101"].markdown()
    assert cp101["helpUri"] == "https://example.org/compose-policy/docs/rules/CP101.md"
    assert all(urlparse(r["helpUri"]).scheme == "https" for r in rules)  # SARIF wants absolute URIs
    assert cp101["defaultConfiguration"]["level"] == "error"
    assert rules[3]["defaultConfiguration"]["level"] == "note"
    results = {(r["ruleId"], r["properties"]["service"]): r for r in run["results"]}
    heavy = results[("CP101", "app")]
    assert rules[heavy["ruleIndex"]]["id"] == "CP101" and heavy["level"] == "error"
    location = heavy["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "fleet/shop/compose.yml", "uriBaseId": "SRCROOT"}
    assert location["region"] == {"startLine": 8, "startColumn": 16}
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == fleet.as_uri() + "/"
    assert results[("CP105", "web")]["level"] == "note"


def test_sarif_without_known_docs_url_still_validates(cli, fleet, monkeypatch):
    monkeypatch.setattr(sarif, "rule_docs_base", lambda: None)
    log = json.loads(cli("lint", "fleet", *SELECT, "--format", "sarif").stdout)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(log)
    assert all("helpUri" not in r for r in log["runs"][0]["tool"]["driver"]["rules"])
    assert [r["properties"]["url"] for r in log["runs"][0]["tool"]["driver"]["rules"]] == [
        "docs/rules/CP000.md", "docs/rules/CP001.md", "docs/rules/CP101.md", "docs/rules/CP105.md"]
    assert all((ROOT / r["properties"]["url"]).is_file() for r in log["runs"][0]["tool"]["driver"]["rules"])


def test_json_findings_carry_their_rule_url(cli, fleet, monkeypatch):
    from compose_policy.formats import json_format

    monkeypatch.setattr(json_format, "rule_docs_base", lambda: None)
    findings = json.loads(cli("lint", "fleet", *SELECT, "--format", "json").stdout)["findings"]
    assert findings and all(f["url"] == f"docs/rules/{f['rule']}.md" for f in findings)
    assert all((ROOT / f["url"]).is_file() for f in findings)
    monkeypatch.setattr(json_format, "rule_docs_base", lambda: "https://example.org/cp/docs/rules")
    findings = json.loads(cli("lint", "fleet", *SELECT, "--format", "json").stdout)["findings"]
    assert all(f["url"] == f"https://example.org/cp/docs/rules/{f['rule']}.md" for f in findings)


def test_the_docs_base_comes_from_the_rules_project_url(monkeypatch):
    import importlib.metadata

    from compose_policy.formats import ruleurl

    class Meta:
        def __init__(self, urls):
            self.urls = urls

        def get_all(self, key):
            return self.urls if key == "Project-URL" else None

    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: Meta(["Homepage, https://x.org",
                                                                           "rules, https://x.org/docs/rules/"]))
    assert ruleurl.rule_docs_base() == "https://x.org/docs/rules"
    monkeypatch.setattr(importlib.metadata, "metadata", lambda name: Meta(["Homepage, https://x.org"]))
    assert ruleurl.rule_docs_base() is None


def test_sarif_file_outside_the_working_directory_gets_an_absolute_uri(write, tmp_path):
    path = write("elsewhere/compose.yml", HEAVY)
    location = sarif.artifact_location(str(path), str(tmp_path / "cwd"))
    assert location == {"uri": path.as_uri()}


def test_github_workflow_commands(cli, fleet):
    result = cli("lint", "fleet", *SELECT, "--format", "github")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and result.exit_code == 1
    assert lines[0].startswith("::error file=fleet/shop/compose.yml,line=8,col=16,"
                               "title=CP101 start-first-heavy-rollback::start-first on a memory-heavy service")
    assert lines[0].endswith("(app)")
    assert lines[1].startswith("::notice file=fleet/shop/compose.yml,line=14,col=16,title=CP105 start-first-unreserved::")


def test_github_escaping_follows_the_runner():
    assert github.escape_data("50% of\r\nmemory") == "50%25 of%0D%0Amemory"
    assert github.escape_property("a,b:c%\n") == "a%2Cb%3Ac%25%0A"


def test_github_escapes_paths_and_messages(cli, write, tmp_path, monkeypatch):
    write("odd,name: x/compose.yml", HEAVY)
    monkeypatch.chdir(tmp_path)
    line = cli("lint", "odd,name: x", "--select", "CP101", "--format", "github").stdout.splitlines()[0]
    assert line.startswith("::error file=odd%2Cname%3A x/compose.yml,line=8,col=16,")
    properties, message = line[2:].split("::", 1)
    assert "\n" not in message and message.count("::") == 0


def test_junit_one_suite_per_stack_one_case_per_rule(cli, fleet):
    result = cli("lint", "fleet", *SELECT, "--format", "junit")
    root = ET.fromstring(result.stdout)
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) == {"shop", "blog"}
    shop = suites["shop"]
    cases = {c.get("name"): c for c in shop.findall("testcase")}
    assert set(cases) == {"CP000 invalid-yaml", "CP001 invalid-compose",  # the input rules always run
                          "CP101 start-first-heavy-rollback", "CP105 start-first-unreserved"}
    failure = cases["CP101 start-first-heavy-rollback"].find("failure")
    assert failure is not None and failure.get("type") == "error"
    assert failure.get("message").startswith("1 finding: start-first on a memory-heavy service")
    assert "fleet/shop/compose.yml:8:16:" in failure.text
    # info is below the default fail-on: the case passes and lists the finding
    info = cases["CP105 start-first-unreserved"]
    assert info.find("failure") is None and "(web)" in info.find("system-out").text
    assert (shop.get("tests"), shop.get("failures")) == ("4", "1")
    assert (suites["blog"].get("tests"), suites["blog"].get("failures")) == ("4", "0")
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("8", "1", "0")
    # with fail-on info the info finding fails too
    root = ET.fromstring(cli("lint", "fleet", *SELECT, "--format", "junit", "--fail-on", "info").stdout)
    assert root.get("failures") == "2"


def test_junit_skips_rules_that_could_not_look_at_a_broken_stack(cli, write, tmp_path):
    write("r/compose.yml", "services:\n  app:\n    image: [oops\n")
    root = ET.fromstring(cli("lint", tmp_path / "r", "--select", "CP000,CP101", "--format", "junit").stdout)
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert cases["CP000 invalid-yaml"].find("failure") is not None
    assert cases["CP101 start-first-heavy-rollback"].find("skipped") is not None
    assert root.get("skipped") == "1"


def test_several_formats_and_outputs_in_one_run(cli, fleet):
    result = cli("lint", "fleet", *SELECT, "--format", "text", "--format", "sarif", "--format", "json",
                 "--output", "-", "--output", "out.sarif", "-o", "out.json")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-2].startswith("Found 2 findings")
    assert result.stdout.splitlines()[-1] == "[*] 1 fixable with `compose-policy fix`."
    assert json.loads((fleet / "out.sarif").read_text())["version"] == "2.1.0"
    assert json.loads((fleet / "out.json").read_text())["summary"]["findings"] == 2
    # a format without an output goes to stdout
    result = cli("lint", "fleet", *SELECT, "--format", "sarif", "--format", "github", "-o", "only.sarif")
    assert result.stdout.startswith("::error ") and (fleet / "only.sarif").is_file()


@pytest.mark.parametrize("args, message", [
    (["--format", "text", "--format", "json"], "only one --format can go to stdout"),
    (["--format", "json", "-o", "a", "-o", "b"], "2 --output for 1 --format"),
    (["--format", "json", "--format", "sarif", "-o", "a", "-o", "a"], "the same --output file"),
    (["--format", "json", "-o", "no/such/dir/out.json"], "no/such/dir/out.json"),
])
def test_outputs_that_cannot_pair_up_are_exit_2(cli, fleet, args, message):
    result = cli("lint", "fleet", *args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_json_keeps_its_schema_and_adds_suppressed(cli, fleet):
    data = json.loads(cli("lint", "fleet", *SELECT, "--format", "json").stdout)
    assert set(data) == {"version", "findings", "summary"}
    for finding in data["findings"]:
        assert {"rule", "name", "severity", "recipe", "service", "path", "line", "column", "message"} <= set(finding)
    assert {"findings", "by_severity", "by_rule", "stacks", "files", "suppressed"} <= set(data["summary"])
    assert data["summary"]["by_rule"] == {"CP101": 1, "CP105": 1}


def test_statistics_count_per_rule(cli, fleet):
    lines = cli("lint", "fleet", *SELECT, "--statistics").stdout.splitlines()
    assert "     1  CP101  start-first-heavy-rollback" in lines
    assert "     1  CP105  start-first-unreserved" in lines


def test_installed_command_writes_every_output_and_exits_1(fleet):
    exe = pathlib.Path(sys.executable).with_name("compose-policy")
    proc = subprocess.run([str(exe), "lint", "fleet", *SELECT, "--format", "github", "--format", "junit",
                           "-o", "-", "-o", "report.xml"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.count("::") == 4 and proc.stderr == ""
    assert ET.parse(fleet / "report.xml").getroot().get("failures") == "1"


def test_committed_rule_docs_match_the_rule_modules(tmp_path):
    script = ROOT / "scripts" / "render_rule_docs.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    committed = ROOT / "docs" / "rules"
    rendered = {p.name: p.read_text() for p in tmp_path.iterdir()}
    current = {p.name: p.read_text() for p in committed.iterdir()}
    stale = sorted(name for name in set(rendered) | set(current) if rendered.get(name) != current.get(name))
    assert not stale, f"docs/rules is out of date for {stale}: run scripts/render_rule_docs.py"
    assert set(rendered) == {f"{code}.md" for code in all_rules()} | {"README.md"}


def test_docs_check_mode_reports_a_stale_page(tmp_path):
    script = ROOT / "scripts" / "render_rule_docs.py"
    subprocess.run([sys.executable, str(script), "--out", str(tmp_path)], check=True, capture_output=True)
    assert subprocess.run([sys.executable, str(script), "--out", str(tmp_path), "--check"]).returncode == 0
    (tmp_path / "CP101.md").write_text("edited by hand\n")
    (tmp_path / "CP777.md").write_text("a rule that is gone\n")
    proc = subprocess.run([sys.executable, str(script), "--out", str(tmp_path), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "CP101.md: out of date" in proc.stderr and "CP777.md: out of date" in proc.stderr


def test_text_marks_fixable_findings_and_counts_them(cli):
    example = pathlib.Path(__file__).resolve().parent.parent / "examples" / "heavy-rails"
    lines = cli("lint", example).stdout.splitlines()
    marked = [line.split(": ", 1)[1].split(" ", 3)[:3] for line in lines if " [*] " in line]
    assert marked == [["CP101", "[error]", "[*]"], ["CP111", "[warning]", "[*]"]]
    assert lines[-1] == "[*] 2 fixable with `compose-policy fix`."
    clean = cli("lint", example, "--select", "CP112,CP203").stdout
    assert "[*]" not in clean and clean.splitlines()[-1].startswith("Found 2 findings")


def test_a_report_replaces_its_file_whole_and_keeps_a_symlink(cli, fleet):
    (fleet / "reports").mkdir()
    (fleet / "reports" / "lint.json").write_text("an older, longer report " * 1000)
    (fleet / "latest.json").symlink_to("reports/lint.json")
    result = cli("lint", "fleet", *SELECT, "--format", "json", "-o", "latest.json")
    assert result.exit_code == 1
    assert (fleet / "latest.json").is_symlink()
    assert json.loads((fleet / "reports" / "lint.json").read_text())["summary"]["findings"] == 2
    assert sorted(p.name for p in (fleet / "reports").iterdir()) == ["lint.json"]  # no staged file left


def test_a_report_into_a_fifo_is_streamed_to_its_reader(fleet):
    """A FIFO (what `-o >(jq ...)` passes) is fed, not replaced by a file of its name."""
    import os
    import threading

    fifo = fleet / "report.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text()), daemon=True)
    reader.start()
    exe = pathlib.Path(sys.executable).with_name("compose-policy")
    proc = subprocess.run([str(exe), "lint", "fleet", *SELECT, "--format", "json", "-o", str(fifo)],
                          capture_output=True, text=True, timeout=60)
    reader.join(10)
    assert proc.returncode == 1, proc.stderr
    assert json.loads(received[0])["summary"]["findings"] == 2
    assert fifo.is_fifo()


def test_a_read_only_report_is_refused_not_replaced(cli, fleet):
    target = fleet / "out.json"
    target.write_text("keep\n")
    target.chmod(0o444)
    result = cli("lint", "fleet", *SELECT, "--format", "json", "-o", "out.json")
    assert result.exit_code == 2
    assert "read-only" in result.output and target.read_text() == "keep\n"


def test_fleet_report_output_is_written_whole(cli, fleet):
    (fleet / "fleet.html").symlink_to("site.html")
    result = cli("fleet", "fleet", "--format", "json", "-o", "fleet.html")
    assert result.exit_code in (0, 1), result.output
    assert (fleet / "fleet.html").is_symlink()
    assert json.loads((fleet / "site.html").read_text())["recipes"]
