"""The CI overlay audit: each entry justified, redundant, stale, weakening or unexplained.

The overlays under tests/fixtures/fleet/ci/tests/<recipe>/ are hand-made for recipes of
../shared/corpus/coopcloud, one or more per audit class.
"""

import json
import pathlib
import shutil
import subprocess

import pytest

from compose_policy.overlay_audit import has_header

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
TEMPLATE = str(FIXTURES / "fleet" / "ci" / "tests" / "{recipe}")
ENROLLED = FIXTURES / "fleet" / "enrolled.txt"


def audit_json(cli, *args):
    result = cli("audit", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.output)


def entries(data):
    return {(o["recipe"], e["service"], e["key"]): e for o in data["overlays"] for e in o["entries"]}


@pytest.mark.corpus
def test_every_audit_class_on_corpus_recipes(cli, corpus):
    code, data = audit_json(cli, corpus / "coopcloud", "--overlay-dir", TEMPLATE)
    assert code == 1  # weakening entries are errors
    found = entries(data)
    expected = {
        # justified: removing it brings CP111 back
        ("docs.coopcloud.tech", "app", "deploy.update_config.monitor"): "justified",
        # redundant: the recipe already has failure_action: rollback / order: start-first
        ("docs.coopcloud.tech", "app", "deploy.update_config.failure_action"): "redundant",
        ("traefik-ahdinosaur", "app", "deploy.update_config.order"): "redundant",
        # redundant: docker's merge ignores a zero monitor
        ("traefik-ahdinosaur", "app", "deploy.update_config.monitor"): "redundant",
        # stale: the service is gone; the healthcheck it tunes is gone
        ("lemp", "mailrelay", "environment.RELAY"): "stale",
        ("go-ssb-room", "app", "healthcheck.start_period"): "stale",
        # weakening: each way of lowering failure detection
        ("foodsharing-cms", "app", "deploy.update_config.failure_action"): "weakening",
        ("foodsharing-cms", "app", "deploy.update_config.max_failure_ratio"): "weakening",
        ("bonfire", "app", "deploy.update_config.monitor"): "weakening",
        ("bonfire", "app", "healthcheck.disable"): "weakening",
        ("gaseous", "db", "healthcheck.test"): "weakening",
        ("lemp", "app", "healthcheck.test"): "weakening",
        # unexplained: changes the stack, removes nothing
        ("go-ssb-room", "app", "environment.CI_MODE"): "unexplained",
        ("traefik-ahdinosaur", "app", "healthcheck.test"): "unexplained",
    }
    assert {key: found[key]["class"] for key in expected} == expected
    assert found[("docs.coopcloud.tech", "app", "deploy.update_config.monitor")]["removes"] == ["CP111"]
    continue_ = found[("foodsharing-cms", "app", "deploy.update_config.failure_action")]
    assert "continue over rollback" in continue_["reason"] and "CP111" in continue_["removes"]
    assert found[("lemp", "app", "healthcheck.test")]["removes"] == ["CP110"]  # a fake fix for CP110
    assert "always passes" in found[("lemp", "app", "healthcheck.test")]["reason"]
    assert {e["severity"] for e in found.values() if e["class"] == "weakening"} == {"error"}
    headers = {o["recipe"]: o["header"] for o in data["overlays"]}
    assert headers["lemp"] is False and headers["docs.coopcloud.tech"] is True


@pytest.mark.corpus
def test_appended_healthcheck_test_is_judged_as_the_daemon_runs_it(cli, corpus):
    """docker appends the overlay's test list to traefik's: the daemon runs traefik with extra words."""
    _, data = audit_json(cli, corpus / "coopcloud", "--overlay-dir", TEMPLATE)
    entry = entries(data)[("traefik-ahdinosaur", "app", "healthcheck.test")]
    assert "docker appends" in entry["reason"] and "traefik healthcheck CMD-SHELL exit 0" in entry["reason"]


@pytest.mark.corpus
def test_audit_text_exit_codes_and_enrolled(cli, corpus):
    result = cli("audit", corpus / "coopcloud", "--overlay-dir", TEMPLATE, "--enrolled", ENROLLED)
    assert result.exit_code == 1
    assert "missing-header [warning]" in result.output and "Enrolled but not found: not-a-recipe" in result.output
    # docs.coopcloud.tech alone: a justified and a redundant entry, no error
    only = cli("audit", corpus / "coopcloud" / "docs.coopcloud.tech", "--overlay-dir", TEMPLATE, "--fail-on", "error")
    assert only.exit_code == 0, only.output
    assert cli("audit", corpus / "coopcloud" / "docs.coopcloud.tech", "--overlay-dir", TEMPLATE).exit_code == 1


def test_overlay_dir_needs_the_recipe_placeholder(cli, tmp_path):
    result = cli("audit", tmp_path, "--overlay-dir", "ci/tests")
    assert result.exit_code == 2 and "{recipe}" in result.output


@pytest.mark.parametrize("text, expected", [
    ("# why: the CI runner has 2 GiB\nservices: {}\n", True),
    ("---\n\n# keeps rollback, adds stop-first\nservices: {}\n", True),
    ("services: {}\n# too late\n", False),
    ("#\nservices: {}\n", False),
    ("", False),
])
def test_header_comment(text, expected):
    assert has_header(text) is expected


BASE_SHELL_TEST = """version: "3.8"
services:
  db:
    image: postgres:15
    healthcheck:
      test: ["CMD-SHELL", "pg_isready"]
  web:
    image: nginx:1.27
    healthcheck:
      interval: 30s
"""
OVERLAY_NOOP_TESTS = """# CI: make the checks pass on the slow runner
version: "3.8"
services:
  db:
    healthcheck:
      test: ["CMD-SHELL", "exit 0"]
  web:
    healthcheck:
      test: ["CMD-SHELL", "exit 0"]
"""


def test_healthcheck_test_merge_matches_docker(cli, write, tmp_path):
    """docker appends a test list to the base's: the base's shell command still runs; with no base test it replaces."""
    write("r/app/compose.yml", BASE_SHELL_TEST)
    write("ci/app/compose.ccci.yml", OVERLAY_NOOP_TESTS)
    if shutil.which("docker"):  # the reference: how the docker CLI really merges the two files
        merged = subprocess.run(["docker", "stack", "config", "-c", str(tmp_path / "r/app/compose.yml"),
                                 "-c", str(tmp_path / "ci/app/compose.ccci.yml")],
                                capture_output=True, text=True, timeout=60)
        assert merged.returncode == 0, merged.stderr
        import yaml

        services = yaml.safe_load(merged.stdout)["services"]
        assert services["db"]["healthcheck"]["test"] == ["CMD-SHELL", "pg_isready", "CMD-SHELL", "exit 0"]
        assert services["web"]["healthcheck"]["test"] == ["CMD-SHELL", "exit 0"]
        # the audit judges the linter's merge: it must be docker's
        from compose_policy.discover import discover
        from compose_policy.stack import LoadOptions, load_target

        [target] = discover(str(tmp_path / "r" / "app"))
        stack = load_target(target, LoadOptions(compose_files=("compose.yml", "../../ci/app/compose.ccci.yml")))
        for name in ("db", "web"):
            assert stack.services[name].value("healthcheck", "test") == services[name]["healthcheck"]["test"]
    _, data = audit_json(cli, tmp_path / "r", "--overlay-dir", str(tmp_path / "ci" / "{recipe}"))
    found = entries(data)
    db = found[("app", "db", "healthcheck.test")]
    assert db["class"] == "redundant" and "sh -c 'pg_isready'" in db["reason"]
    web = found[("app", "web", "healthcheck.test")]
    assert web["class"] == "weakening" and "always passes" in web["reason"]


def test_audit_rows_escape_what_the_overlay_says(cli, write, tmp_path):
    write("r/app/compose.yml", BASE_SHELL_TEST)
    write("ci/app/compose.ccci.yml", 'version: "3.8"\nservices:\n  db:\n    environment:\n      "A|B\\n<img src=x>": "1"\n')
    args = (tmp_path / "r", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    page = cli("fleet", *args, "--format", "markdown").output
    [row] = [line for line in page.splitlines() if line.startswith("|") and "unexplained" in line]
    assert "A\\|B\\\\n&lt;img" in row and row.count(" | ") == 3
    html_page = cli("fleet", *args, "--format", "html").output
    assert "<img" not in html_page and "A|B\\n&lt;img src=x&gt;" in html_page
    text = cli("audit", *args).output
    assert "A|B\\n<img src=x>" in text and len(text.splitlines()) == 3  # header line, missing-header, the entry


def test_a_huge_overlay_is_audited_in_bounded_time(cli, write, tmp_path):
    import time

    write("r/app/compose.yml", BASE_SHELL_TEST.replace("  db:\n", "  db:\n    deploy:\n      update_config: {failure_action: rollback, order: start-first}\n", 1))
    lines = "".join(f"      V{i}: x\n" for i in range(400))
    write("ci/app/compose.ccci.yml",
          f"# many\nversion: \"3.8\"\nservices:\n  db:\n    deploy:\n      update_config: {{order: stop-first}}\n    environment:\n{lines}")
    start = time.perf_counter()
    code, data = audit_json(cli, tmp_path / "r", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    assert time.perf_counter() - start < 60  # a blow-up guard, not a speed target
    entries = data["overlays"][0]["entries"]
    assert entries[0]["class"] == "justified"  # order: stop-first removes CP105
    reasons = [e["reason"] for e in entries[1:]]
    assert len(reasons) == 400 and sum("not checked" in r for r in reasons) >= 400 - 63


def test_an_overlay_that_breaks_the_recipe_says_how(cli, write, tmp_path):
    """The audit names docker's objection; it has no CP000/CP001 findings of its own to point to."""
    write("r/app/compose.yml", BASE_SHELL_TEST.replace('version: "3.8"\n', ""))
    write("ci/app/compose.ccci.yml", '# CI\nversion: "3.8"\nservices:\n  db:\n    deploy:\n      replicas: 1\n')
    code, data = audit_json(cli, tmp_path / "r", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    [problem] = data["overlays"][0]["problems"]
    assert code == 1
    assert problem.startswith("the recipe with this overlay is not valid compose: ")
    assert "compose.ccci.yml:2:10: CP001 compose version 3.8 differs from the first file's 3.13" in problem


def test_markdown_shows_a_recipe_its_overlay_breaks(cli, write, tmp_path):
    """Text and HTML show the recipe and the audit problem; the pull-request comment must too."""
    write("r/app/compose.yml", BASE_SHELL_TEST.replace('version: "3.8"\n', ""))
    write("ci/app/compose.ccci.yml", '# CI\nversion: "3.8"\nservices:\n  db:\n    deploy:\n      replicas: 1\n')
    page = cli("fleet", tmp_path / "r", "--overlay-dir", tmp_path / "ci" / "{recipe}", "--format", "markdown").output
    rows = [line for line in page.splitlines() if line.startswith("| app |")]
    assert any("invalid with overlay" in row for row in rows), page
    assert any("| problem |" in row and "compose version 3.8 differs" in row for row in rows), page


def test_a_zero_monitor_is_swarms_default_not_a_shorter_window(cli, write, tmp_path):
    """The daemon never sends a zero monitor (moby's updateConfigToGRPC): swarm watches for its
    default 5s, exactly as without the overlay."""
    write("r/app/compose.yml", BASE_SHELL_TEST)  # no update_config: the overlay's is taken whole
    write("ci/app/compose.ccci.yml", "# CI\nversion: \"3.8\"\nservices:\n  db:\n    deploy:\n"
                                     "      update_config:\n        failure_action: pause\n        monitor: 0s\n")
    code, data = audit_json(cli, tmp_path / "r", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    [_, entry] = data["overlays"][0]["entries"]
    assert (entry["key"], entry["class"]) == ("deploy.update_config.monitor", "redundant"), entry
    assert entry["reason"] == "a zero monitor is never sent to swarm, which then watches for its default 5s: drop it"
