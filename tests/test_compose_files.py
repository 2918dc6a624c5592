"""The file set of a stack: ``-c`` as ``docker stack deploy -c a -c b`` merges it, and COMPOSE_FILE."""

import json
import os

import pytest

BASE = """version: "3.8"
services:
  app:
    image: ghcr.io/example/app:1.0
    deploy:
      update_config:
        order: start-first
"""
# with BASE: start-first + 2G + rollback, CP101's case, but in neither file alone
PROD = """version: "3.8"
services:
  app:
    deploy:
      update_config:
        failure_action: rollback
      resources:
        limits:
          memory: 2G
"""


def _rules(result):
    return sorted({f["rule"] for f in json.loads(result.output)["findings"]})


@pytest.fixture
def plain_folder(write, tmp_path):
    """A folder of stack files without compose.yml: no recipe."""
    write("deploy/stack.yml", BASE)
    write("deploy/prod.yml", PROD)
    return tmp_path / "deploy"


def test_two_files_in_a_plain_folder_merge_into_one_stack(cli, plain_folder):
    alone = cli("lint", plain_folder, "--format", "json")
    assert "CP101" not in _rules(alone)  # each file on its own is not the risky stack
    merged = cli("lint", plain_folder, "-c", "stack.yml", "-c", "prod.yml", "--format", "json")
    assert merged.exit_code == 1
    assert "CP101" in _rules(merged)
    paths = {f["path"] for f in json.loads(merged.output)["findings"]}
    assert paths <= {str(plain_folder / "stack.yml"), str(plain_folder / "prod.yml")}


def test_compose_files_are_relative_to_the_current_folder_by_default(cli, plain_folder, monkeypatch):
    monkeypatch.chdir(plain_folder)
    result = cli("lint", "-c", "stack.yml", "-c", "prod.yml", "--format", "json")
    assert "CP101" in _rules(result)


def test_a_file_path_with_compose_files_is_one_of_them(cli, plain_folder):
    result = cli("lint", plain_folder / "stack.yml", "-c", "stack.yml", "-c", "prod.yml", "--format", "json")
    assert "CP101" in _rules(result)
    other = cli("lint", plain_folder / "stack.yml", "-c", "prod.yml")
    assert other.exit_code == 2
    assert "not one of the --compose-file files" in other.output


def test_config_merges_compose_files_in_a_plain_folder(cli, plain_folder):
    result = cli("config", plain_folder, "-c", "stack.yml", "-c", "prod.yml", "--format", "json")
    assert result.exit_code == 0, result.output
    deploy = json.loads(result.output)["services"]["app"]["deploy"]
    assert deploy["update_config"] == {"order": "start-first", "failure_action": "rollback"}
    assert deploy["resources"]["limits"]["memory"] == "2G"


def test_a_missing_compose_file_is_a_one_line_error(cli, plain_folder):
    result = cli("lint", plain_folder, "-c", "stack.yml", "-c", "nope.yml")
    assert result.exit_code == 2
    assert result.output.strip().count("\n") == 0
    assert "nope.yml" in result.output and "does not exist" in result.output


@pytest.mark.parametrize("kind", ["fifo", "device", "folder"])
def test_a_compose_file_that_is_not_a_regular_file_is_refused_without_reading(cli, plain_folder, kind):
    special = plain_folder / "special.yml"
    if kind == "fifo":
        os.mkfifo(special)  # reading it would block for ever
    elif kind == "device":
        special.symlink_to("/dev/zero")  # reading it would never end
    else:
        special.mkdir()
    for command in ("lint", "config"):
        result = cli(command, plain_folder, "-c", "stack.yml", "-c", "special.yml")
        assert result.exit_code == 2, result.output
        assert "must name a regular file" in result.output
        assert result.output.strip().count("\n") == 0


def test_recipe_reads_compose_files_relative_to_itself(cli, write, tmp_path):
    write("r/compose.yml", BASE)
    write("r/compose.prod.yml", PROD)
    result = cli("lint", tmp_path / "r", "-c", "compose.yml", "-c", "compose.prod.yml", "--format", "json")
    assert "CP101" in _rules(result)


# --- COMPOSE_FILE ------------------------------------------------------------------------

@pytest.mark.parametrize("value", [":::::", ":", " : "])
def test_compose_file_naming_no_file_is_cp001_not_all_clear(cli, write, tmp_path, value):
    write("r/compose.yml", BASE)
    write("r/.env", f'COMPOSE_FILE="{value}"\n')
    result = cli("lint", tmp_path / "r", "--format", "json")
    assert result.exit_code == 1
    [finding] = json.loads(result.output)["findings"]
    assert finding["rule"] == "CP001" and "names no file" in finding["message"]
    assert finding["path"].endswith(".env")


def test_empty_compose_file_entries_are_skipped(cli, write, tmp_path):
    write("r/compose.yml", BASE)
    write("r/compose.prod.yml", PROD)
    write("r/.env", 'COMPOSE_FILE="compose.yml::compose.prod.yml:"\n')
    result = cli("lint", tmp_path / "r", "--format", "json")
    assert "CP101" in _rules(result) and "CP001" not in _rules(result)


def test_an_empty_compose_file_means_compose_yml(cli, write, tmp_path):
    write("r/compose.yml", BASE)
    write("r/.env", "COMPOSE_FILE=\n")
    result = cli("config", tmp_path / "r", "--format", "json")
    assert result.exit_code == 0, result.output
    assert "app" in json.loads(result.output)["services"]


def test_config_refuses_a_missing_compose_file_entry(cli, write, tmp_path):
    write("r/compose.yml", BASE)
    write("r/.env", 'COMPOSE_FILE="compose.yml:compose.gone.yml"\n')
    result = cli("config", tmp_path / "r")
    assert result.exit_code == 2
    assert "compose.gone.yml" in result.output and result.output.strip().count("\n") == 0


def test_config_refuses_what_lint_reports_as_cp001(cli, write, tmp_path):
    write("r/compose.yml", BASE.replace("    deploy:", "    environment: 5\n    deploy:"))
    result = cli("config", tmp_path / "r")
    assert result.exit_code == 2
    assert "environment" in result.output


def test_config_ignores_problems_of_overlays_outside_the_file_set(cli, write, tmp_path):
    write("r/compose.yml", BASE)
    write("r/compose.broken.yml", "services: [\n")
    result = cli("config", tmp_path / "r", "--format", "json")
    assert result.exit_code == 0, result.output


# --- what a folder walk takes for a compose file ------------------------------------------

def test_walk_leaves_ci_files_and_ansible_vars_alone(cli, write, tmp_path):
    write("repo/.gitlab-ci.yml", "stages: [test]\nservices:\n  - docker:dind\n")
    write("repo/gitlab-ci.yml", "stages: [test]\nservices:\n  - docker:dind\n")
    write("repo/group_vars/all.yml", "services:\n  web:\n    port: 80\nusers: [a]\n")
    result = cli("lint", tmp_path / "repo", "--format", "json")
    assert json.loads(result.stdout)["findings"] == []
    assert "no compose files found" in result.stderr


def test_walk_judges_a_file_that_reads_as_compose_whatever_its_name(cli, write, tmp_path):
    write("repo/prod.yml", 'version: "3.8"\nservices:\n  app:\n    image: x:1\n    hotsname: a\n')
    write("repo/ops/docker-stack.yml", "services:\n  - app\n")  # a compose name: broken, reported
    write("repo/web.yml", "name: shop\nservices:\n  web:\n    image: x:1\n")  # compose spec: docker refuses name
    result = cli("lint", tmp_path / "repo", "--format", "json")
    found = {(os.path.basename(f["path"]), f["rule"]) for f in json.loads(result.output)["findings"]}
    assert found == {("prod.yml", "CP001"), ("docker-stack.yml", "CP001"), ("web.yml", "CP001")}


def test_fix_takes_the_compose_files_as_one_stack(cli, plain_folder):
    result = cli("fix", plain_folder, "-c", "stack.yml", "-c", "prod.yml")
    assert result.exit_code == 3, result.output
    assert "enable: docker stack deploy -c stack.yml -c prod.yml -c stack.ccci.yml" in result.output
    assert sorted(p.name for p in plain_folder.iterdir()) == ["prod.yml", "stack.ccci.yml", "stack.yml"]
    after = cli("lint", plain_folder, "-c", "stack.yml", "-c", "prod.yml", "-c", "stack.ccci.yml",
                "--format", "json")
    assert "CP101" not in _rules(after) and "CP001" not in _rules(after)
