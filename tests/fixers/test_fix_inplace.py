"""--in-place: unsafe fixes need --unsafe-fixes, the deciding file is edited, on its lines only."""

import difflib
import os
import stat

from fixhelpers import HEAVY, docker_config, snapshot


def diff_lines(old, new):
    return [line for line in difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True), n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_an_unsafe_fix_is_held_back_without_unsafe_fixes(recipe, cli):
    folder = recipe()
    before = snapshot(folder)
    result = cli("fix", folder, "--in-place")
    assert result.exit_code == 1, result.output
    assert "1 unsafe fix held back" in result.stdout and "--unsafe-fixes" in result.stdout
    assert snapshot(folder) == before


def test_with_unsafe_fixes_only_the_order_line_changes(recipe, cli):
    folder = recipe()
    os.chmod(folder / "compose.yml", 0o604)
    result = cli("fix", folder, "--in-place", "--unsafe-fixes")
    assert result.exit_code == 3, result.output
    text = (folder / "compose.yml").read_text()
    assert diff_lines(HEAVY, text) == ["-        order: 'start-first'\n", "+        order: 'stop-first'\n"]
    assert stat.S_IMODE(os.stat(folder / "compose.yml").st_mode) == 0o604
    assert not (folder / "compose.ccci.yml").exists()
    assert "findings: " in result.stdout
    code, data, err = docker_config(folder, ["compose.yml"], {"STACK_NAME": "d", "ENTRY_VERSION": "v1"})
    assert code == 0, err
    assert data["services"]["app"]["deploy"]["update_config"]["order"] == "stop-first"
    assert data["configs"]["entry"]["name"] == "d_entry_v1"
    # and nothing is left to do
    assert cli("fix", folder, "--in-place", "--unsafe-fixes").exit_code in (0, 1)
    assert (folder / "compose.yml").read_text() == text


BASE = """\
version: "3.8"
services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        failure_action: rollback
"""
DECIDING = """\
version: "3.8"
services:
  app:
    deploy:
      update_config:
        order: start-first   # set by the feature overlay
"""


def test_the_file_whose_value_wins_is_edited(recipe, cli):
    folder = recipe(BASE, extra={"compose.fast.yml": DECIDING,
                                 ".env": 'COMPOSE_FILE="compose.yml:compose.fast.yml"\n'})
    result = cli("fix", folder, "--in-place", "--unsafe-fixes", "--select", "CP101")
    assert result.exit_code == 3, result.output
    assert (folder / "compose.yml").read_text() == BASE
    assert diff_lines(DECIDING, (folder / "compose.fast.yml").read_text()) == [
        "-        order: start-first   # set by the feature overlay\n",
        "+        order: stop-first   # set by the feature overlay\n",
    ]


SERVICE_IN_OVERLAY = """\
version: "3.8"
services:
  search:
    image: elasticsearch:8.12.0
    healthcheck:
      test: [CMD, curl, -f, http://localhost:9200]
      interval: 30s
      retries: 5
      timeout: 10s
    deploy:
      update_config:
        failure_action: rollback
"""


def test_an_absent_key_goes_to_the_first_file_that_defines_the_service(recipe, cli):
    base = 'version: "3.8"\nservices:\n  app:\n    image: nginx:1.27\n'
    folder = recipe(base, extra={"compose.search.yml": SERVICE_IN_OVERLAY,
                                 ".env": 'COMPOSE_FILE="compose.yml:compose.search.yml"\n'})
    result = cli("fix", folder, "--in-place", "--unsafe-fixes", "--select", "CP111")
    assert result.exit_code == 3, result.output
    assert (folder / "compose.yml").read_text() == base
    assert diff_lines(SERVICE_IN_OVERLAY, (folder / "compose.search.yml").read_text()) == [
        "+        monitor: 2m40s\n",
    ]


SHARED = """\
version: "3.8"
x-deploy: &deploy
  update_config:
    failure_action: rollback
    order: start-first
services:
  app:
    image: discourse/discourse:3.2
    deploy: *deploy
  worker:
    image: discourse/discourse:3.2
    deploy: *deploy
"""


def test_a_value_behind_a_shared_anchor_is_not_fixed_in_place_but_is_in_an_overlay(recipe, cli):
    folder = recipe(SHARED)
    before = snapshot(folder)
    result = cli("fix", folder, "--in-place", "--unsafe-fixes", "--select", "CP101")
    assert result.exit_code == 1, result.output
    assert "not fixed: compose.yml: CP101 app: deploy.update_config.order: stop-first:" in result.stdout
    assert "anchor" in result.stdout
    assert snapshot(folder) == before
    assert cli("fix", folder, "--select", "CP101").exit_code == 3
    assert (folder / "compose.yml").read_text() == SHARED


def test_a_value_set_by_a_variable_keeps_its_variable(recipe, cli):
    """`order: ${ORDER:-start-first}` lets each host choose; a literal would drop that silently."""
    text = HEAVY.replace("order: 'start-first'", "order: ${ORDER:-start-first}  # per host")
    assert text != HEAVY
    folder = recipe(text)
    before = snapshot(folder)
    result = cli("fix", folder, "--in-place", "--unsafe-fixes", "--select", "CP101")
    assert result.exit_code == 1, result.output
    assert "deploy.update_config.order is set by a ${VARIABLE}" in result.stdout
    assert "ORDER" not in result.output  # the file's value is not echoed
    assert "Nothing fixed in 1 stack" in result.stdout
    assert snapshot(folder) == before
    assert cli("fix", folder, "--select", "CP101").exit_code == 3  # an overlay still fixes it
    assert (folder / "compose.yml").read_text() == text
