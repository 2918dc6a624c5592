"""Overlay mode: the overlay holds only the fixes, merges into what exists, and proves itself."""

import os
import stat

import yaml

from compose_policy.engine import LintOptions
from compose_policy.fixers.relint import Linter
from compose_policy.discover import discover

from fixhelpers import HEAVY, docker_config, snapshot

EXIT_FIXED = 3


def findings_of(folder, files):
    target = discover(str(folder))[0]
    return Linter(LintOptions()).lint(target, [str(folder / f) for f in files]).findings


def test_a_new_overlay_holds_only_the_fix_with_its_note(cli, recipe):
    folder = recipe()
    before = snapshot(folder)
    result = cli("fix", folder)
    assert result.exit_code == EXIT_FIXED, result.output
    overlay = folder / "compose.ccci.yml"
    data = yaml.safe_load(overlay.read_text())
    assert data == {"version": "3.8", "services": {"app": {"deploy": {"update_config": {"order": "stop-first"}}}}}
    text = overlay.read_text()
    note = text[: text.index("version:")]
    assert all(line.startswith("#") for line in note.splitlines())
    assert "[app] deploy.update_config.order: stop-first (was: start-first)" in note
    assert "CP101 start-first-heavy-rollback:" in note and "image discourse/discourse is memory-heavy" in note
    assert "Undo: delete services.app.deploy.update_config.order below" in note
    assert 'version: "3.8"\n' in text  # written as in the base file
    # the base files are untouched; only the overlay is new
    after = snapshot(folder)
    assert {k: v for k, v in after.items() if k != "compose.ccci.yml"} == before
    assert 'enable: COMPOSE_FILE="compose.yml:compose.ccci.yml"' in result.stdout
    assert "findings: " in result.stdout


def test_the_merged_result_drops_the_fixed_finding_and_keeps_failure_detection(recipe, cli):
    folder = recipe()
    assert cli("fix", folder).exit_code == EXIT_FIXED
    rules = {f.rule for f in findings_of(folder, ["compose.yml", "compose.ccci.yml"])}
    assert "CP101" not in rules
    assert "CP101" in {f.rule for f in findings_of(folder, ["compose.yml"])}
    code, data, err = docker_config(folder, ["compose.yml", "compose.ccci.yml"], {"STACK_NAME": "d"})
    assert code == 0, err
    assert data["services"]["app"]["deploy"]["update_config"] == {"failure_action": "rollback", "order": "stop-first"}


def test_the_overlay_takes_the_mode_of_the_base_file(recipe, cli):
    folder = recipe()
    os.chmod(folder / "compose.yml", 0o640)
    cli("fix", folder)
    assert stat.S_IMODE(os.stat(folder / "compose.ccci.yml").st_mode) == 0o640


def test_a_second_run_writes_nothing(recipe, cli):
    folder = recipe()
    assert cli("fix", folder).exit_code == EXIT_FIXED
    first = snapshot(folder)
    mtime = os.stat(folder / "compose.ccci.yml").st_mtime_ns
    again = cli("fix", folder)
    assert again.exit_code in (0, 1), again.output
    assert "Nothing to fix" in again.stdout
    assert snapshot(folder) == first
    assert os.stat(folder / "compose.ccci.yml").st_mtime_ns == mtime


MEMORY_FLAG = """\
version: '3.8'
services:
  app:
    image: example/app:1
    x-compose-policy: {memory-heavy: true}
    deploy:
      update_config: {failure_action: rollback, order: start-first}
"""


def test_an_opted_in_heavy_service_in_flow_style_gets_a_block_overlay(recipe, cli):
    folder = recipe(MEMORY_FLAG)
    assert cli("fix", folder).exit_code == EXIT_FIXED
    text = (folder / "compose.ccci.yml").read_text()
    assert "version: '3.8'\n" in text
    assert "x-compose-policy says memory-heavy" in text
    assert yaml.safe_load(text)["services"]["app"]["deploy"]["update_config"] == {"order": "stop-first"}


EXISTING = """\
# CI tweaks for this recipe, kept by hand.
version: "3.8"

services:
  app:
    environment:
      - CI=true   # tests need it
    deploy:
      update_config:
        delay: 5s
  worker:
    deploy:
      replicas: 0  # no worker in CI
"""


def test_an_existing_overlay_is_merged_keeping_its_keys_comments_and_order(recipe, cli):
    folder = recipe(extra={"compose.ccci.yml": EXISTING})
    os.chmod(folder / "compose.ccci.yml", 0o600)
    assert cli("fix", folder).exit_code == EXIT_FIXED
    text = (folder / "compose.ccci.yml").read_text()
    body = text[text.index("# compose-policy fix: end of notes\n") + len("# compose-policy fix: end of notes\n"):]
    assert body == EXISTING.replace("        delay: 5s\n", "        delay: 5s\n        order: stop-first\n")
    assert text.startswith("# compose-policy fix: ")
    assert stat.S_IMODE(os.stat(folder / "compose.ccci.yml").st_mode) == 0o600


HEALTHY = HEAVY.replace("    deploy:\n", "    healthcheck:\n      test: [CMD, 'true']\n      interval: 10s\n"
                        "      retries: 3\n      timeout: 5s\n    deploy:\n", 1).replace(
    '      labels:\n', '      labels:\n        - "coop-cloud.${STACK_NAME}.timeout=900"\n')


def test_our_earlier_entry_and_its_note_are_updated_in_place(recipe, cli):
    folder = recipe(HEALTHY)
    assert cli("fix", folder).exit_code == EXIT_FIXED
    first = (folder / "compose.ccci.yml").read_text()
    assert "        monitor: 35s\n" in first and "[app] deploy.update_config.monitor: 35s (was: unset)" in first
    # the healthcheck grows: the monitor the overlay wrote is now too short
    (folder / "compose.yml").write_text(HEALTHY.replace("retries: 3", "retries: 10"))
    assert cli("fix", folder).exit_code == EXIT_FIXED
    second = (folder / "compose.ccci.yml").read_text()
    old_lines, new_lines = first.splitlines(), second.splitlines()
    assert len(old_lines) == len(new_lines)
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    assert ("        monitor: 35s", "        monitor: 1m45s") in changed
    assert ("# [app] deploy.update_config.monitor: 35s (was: unset)",
            "# [app] deploy.update_config.monitor: 1m45s (was: unset)") in changed
    assert all("monitor" in a or "35s" in a for a, _ in changed)  # the order note stays as it was
    assert second.index("[app] deploy.update_config.monitor") < second.index("[app] deploy.update_config.order")


def test_a_fix_that_makes_another_finding_appear_is_not_written(recipe, cli):
    # without the timeout label abra waits 50s: a monitor long enough for the healthcheck
    # makes the deploy time out (CP203), so the monitor fix does not prove out
    folder = recipe(HEALTHY.replace('        - "coop-cloud.${STACK_NAME}.timeout=900"\n', ""))
    before = snapshot(folder)
    result = cli("fix", folder, "--select", "CP111,CP203")
    assert result.exit_code == 2, result.output
    assert "CP203 (app) appeared after the fix; nothing written" in result.stderr
    assert snapshot(folder) == before


def test_the_other_fixes_are_kept_when_one_fix_makes_a_finding_appear(recipe, cli):
    # 70s covers stop-first (10s stop grace on top of 50s) but not a 35s monitor as well
    folder = recipe(HEALTHY.replace("timeout=900", "timeout=70"))
    result = cli("fix", folder, "--select", "CP101,CP111,CP203")
    assert result.exit_code == EXIT_FIXED, result.output
    overlay = yaml.safe_load((folder / "compose.ccci.yml").read_text())
    assert overlay["services"]["app"]["deploy"]["update_config"] == {"order": "stop-first"}
    assert "CP111 app: deploy.update_config.monitor: 35s: left out: CP203 (app) appeared after the fix" \
        in result.output
    assert cli("fix", folder, "--select", "CP101").exit_code == 0  # CP101 is gone for good


def test_overlay_dir_with_the_recipe_placeholder(recipe, cli, tmp_path):
    folder = recipe()
    base = snapshot(folder)
    result = cli("fix", folder, "--overlay-dir", tmp_path / "ci" / "tests" / "{recipe}")
    assert result.exit_code == EXIT_FIXED, result.output
    overlay = tmp_path / "ci" / "tests" / "discourse" / "compose.ccci.yml"
    assert yaml.safe_load(overlay.read_text())["services"]["app"]["deploy"]["update_config"]["order"] == "stop-first"
    assert snapshot(folder) == base
    assert 'COMPOSE_FILE="compose.yml:compose.ccci.yml"' in result.stdout
    assert f"copy {overlay} to" in result.stdout
    # the kept overlay counts on the next run
    again = cli("fix", folder, "--overlay-dir", tmp_path / "ci" / "tests" / "{recipe}")
    assert again.exit_code != EXIT_FIXED and "Nothing to fix" in again.stdout


def test_overlay_dir_without_placeholder_is_refused_for_several_recipes(recipe, cli, tmp_path):
    recipe(name="one")
    recipe(name="two")
    result = cli("fix", tmp_path, "--overlay-dir", tmp_path / "ci")
    assert result.exit_code == 2
    assert "one and two would both write" in result.stderr and "{recipe}" in result.stderr
    assert not (tmp_path / "ci").exists()


def test_lone_files_with_one_name_in_two_folders_cannot_share_an_overlay_dir(write, cli, tmp_path):
    write("a/docker-stack.yml", LONE)
    write("b/docker-stack.yml", LONE)
    result = cli("fix", tmp_path / "a", tmp_path / "b", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    assert result.exit_code == 2 and "would both write" in result.stderr
    assert not (tmp_path / "ci").exists()


def test_a_nested_overlay_path_inside_the_recipe(recipe, cli):
    folder = recipe()
    result = cli("fix", folder, "--overlay", "ci/compose.ccci.yml")
    assert result.exit_code == EXIT_FIXED, result.output
    assert (folder / "ci" / "compose.ccci.yml").is_file()
    assert 'COMPOSE_FILE="compose.yml:ci/compose.ccci.yml"' in result.stdout
    code, data, err = docker_config(folder, ["compose.yml", "ci/compose.ccci.yml"], {"STACK_NAME": "d"})
    assert code == 0, err
    assert data["services"]["app"]["deploy"]["update_config"]["order"] == "stop-first"


NESTED_BASE = """\
version: "3.8"
services:
  app:
    image: example/app:1
"""
NESTED_OVERLAY = """\
version: "3.8"
services:
  app:
    deploy:
      resources:
        limits:
          memory: 4G
      update_config:
        failure_action: rollback
        order: start-first
"""


def test_the_file_set_with_a_nested_overlay_is_kept_in_the_compose_file_value(recipe, cli):
    folder = recipe(NESTED_BASE, extra={
        "postgres/compose.postgres.yml": NESTED_OVERLAY,
        ".env": 'COMPOSE_FILE="compose.yml:postgres/compose.postgres.yml"\n',
    })
    result = cli("fix", folder)
    assert result.exit_code == EXIT_FIXED, result.output
    assert 'COMPOSE_FILE="compose.yml:postgres/compose.postgres.yml:compose.ccci.yml"' in result.stdout
    code, data, err = docker_config(folder, ["compose.yml", "postgres/compose.postgres.yml", "compose.ccci.yml"])
    assert code == 0, err
    assert data["services"]["app"]["deploy"]["update_config"] == {"failure_action": "rollback", "order": "stop-first"}


LONE = """\
services:
  web:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
"""


def test_a_lone_file_gets_a_name_ccci_overlay_and_a_deploy_command(write, cli, tmp_path):
    path = write("stacks/forum-stack.yml", LONE)
    result = cli("fix", tmp_path / "stacks")
    assert result.exit_code == EXIT_FIXED, result.output
    overlay = tmp_path / "stacks" / "forum-stack.ccci.yml"
    text = overlay.read_text()
    assert "version" not in yaml.safe_load(text)  # the base has none
    assert "docker stack deploy -c forum-stack.yml -c forum-stack.ccci.yml" in result.stdout
    assert "Undo: delete services.web.deploy.update_config.order below, or deploy without -c forum-stack.ccci.yml" \
        in text.replace("\n#     ", " ")
    assert path.read_text() == LONE
    # the folder now holds the overlay too: it is fixed with its base, not linted alone
    again = cli("fix", tmp_path / "stacks")
    assert again.exit_code in (0, 1), again.output
    assert "Nothing to fix in 1 stack" in again.stdout
    code, data, err = docker_config(tmp_path / "stacks", ["forum-stack.yml", "forum-stack.ccci.yml"])
    assert code == 0, err
    assert data["services"]["web"]["deploy"]["update_config"]["order"] == "stop-first"


def test_diff_prints_and_writes_nothing(recipe, cli, tmp_path):
    folder = recipe()
    before = snapshot(tmp_path)
    result = cli("fix", folder, "--diff", "--overlay-dir", tmp_path / "ci" / "{recipe}")
    assert result.exit_code == EXIT_FIXED
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "ci").exists()
    assert result.stdout.startswith("--- /dev/null\n")
    assert "+        order: stop-first\n" in result.stdout
    assert "would write" in result.stderr and "Would fix 1 finding" in result.stderr


def test_select_and_ignore_apply_as_in_lint(recipe, cli):
    folder = recipe()
    result = cli("fix", folder, "--ignore", "CP101")
    assert result.exit_code in (0, 1) and not (folder / "compose.ccci.yml").exists()
    assert cli("fix", folder, "--select", "CP101").exit_code == EXIT_FIXED
    assert cli("fix", folder, "--select", "CP999").exit_code == 2


def test_a_suppressed_finding_is_not_fixed(recipe, cli):
    folder = recipe(HEAVY.replace("order: 'start-first'", "order: 'start-first'  # compose-policy: disable=CP101"))
    cli("fix", folder, "--select", "CP101")
    assert not (folder / "compose.ccci.yml").exists()


def test_broken_input_is_refused_with_its_position(recipe, cli):
    folder = recipe(HEAVY.replace("  db:\n    image: postgres:15\n", "  db:\n    image: [postgres\n"))
    before = snapshot(folder)
    result = cli("fix", folder)
    assert result.exit_code == 2
    assert "discourse: not fixed: " in result.stderr and "compose.yml:" in result.stderr
    assert "fix the input first" in result.stderr
    assert snapshot(folder) == before
    # the summary must not call a stack it could not read "nothing to fix"
    assert result.stdout.splitlines()[-1] == "Nothing fixed in 1 stack; 1 stack not fixed (see the errors)."


def test_a_readable_stack_with_a_compose_problem_is_refused_only_when_it_has_a_fix(recipe, cli):
    text = HEAVY.replace("    image: postgres:15\n", "    image: postgres:15\n    labels:\n")  # CP001, still readable
    folder = recipe(text)
    result = cli("fix", folder)
    assert result.exit_code == 2 and "labels" in result.stderr and "fix the input first" in result.stderr
    assert not (folder / "compose.ccci.yml").exists()
    calm = cli("fix", folder, "--ignore", "CP101")
    assert calm.exit_code == 1 and calm.stderr == "", calm.output
    assert "Nothing to fix" in calm.stdout


def test_a_broken_existing_overlay_is_refused(recipe, cli):
    folder = recipe(extra={"compose.ccci.yml": "services:\n  app:\n    deploy: [\n"})
    before = snapshot(folder)
    result = cli("fix", folder)
    assert result.exit_code == 2 and "compose.ccci.yml:" in result.stderr
    assert snapshot(folder) == before


def test_a_broken_optional_overlay_outside_the_file_set_does_not_block(recipe, cli):
    folder = recipe(extra={"compose.smtp.yml": "services:\n  app:\n    environment: [\n"})
    assert cli("fix", folder).exit_code == EXIT_FIXED


def test_in_place_excludes_overlay_options(recipe, cli):
    result = cli("fix", recipe(), "--in-place", "--overlay", "x.yml")
    assert result.exit_code == 2 and "--in-place" in result.stderr


def test_a_missing_path_is_a_one_line_error(cli, tmp_path):
    result = cli("fix", tmp_path / "nope")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no such file or directory" in result.stderr
