"""Honest results: what could not be read is never "All clear", and a path with nothing to
lint says so."""

import os
import re

import pytest

from boundedcli import assert_clean

SERVICE = "services:\n  app:\n    image: nginx:1.25\n"
BROKEN = "services:\n  app:\n    image: [nginx\n"
HEAVY = ("services:\n  app:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
         "        failure_action: rollback\n        order: start-first\n")


def test_select_never_hides_a_file_that_cannot_be_read(hostile, recipe):
    root = recipe({"compose.yml": BROKEN})
    run = hostile("lint", root, "--select", "CP101")
    assert_clean(run, codes=(1,))
    assert re.search(r"compose\.yml:3:12: CP000 \[error\]", run.stdout) and "All clear" not in run.stdout, run


def test_select_never_hides_invalid_compose(hostile, recipe):
    root = recipe({"compose.yml": "services:\n  app: [not, a, mapping]\n"})
    run = hostile("lint", root, "--select", "CP1", "--format", "json")
    assert_clean(run, codes=(1,))
    assert '"CP001"' in run.stdout, run


def test_a_configured_select_never_hides_cp000_either(hostile, recipe):
    root = recipe({"compose.yml": BROKEN, ".compose-policy.yml": "select: [CP101]\nignore: [CP000]\n"})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    assert " CP000 " in run.stdout, run


def test_an_explicit_ignore_still_turns_invalid_compose_off(hostile, recipe):
    root = recipe({"compose.yml": "services:\n  app: [not, a, mapping]\n"})
    run = hostile("lint", root, "--ignore", "CP001")
    assert_clean(run, codes=(0,))


AS_ROOT = os.geteuid() == 0


@pytest.mark.skipif(AS_ROOT, reason="root reads every folder; the in-process test below injects the refusal")
def test_an_unreadable_folder_is_a_finding_not_a_silent_skip(hostile, recipe, tmp_path):
    recipe({"compose.yml": HEAVY}, name="fleet/open")
    locked = recipe({"compose.yml": HEAVY}, name="fleet/locked")
    locked.chmod(0o000)
    try:
        run = hostile("lint", tmp_path / "fleet")
        fixed = hostile("fix", tmp_path / "fleet", "--diff")
    finally:
        locked.chmod(0o755)
    assert_clean(run, codes=(1,))
    assert re.search(r"fleet/locked:1:1: CP000 \[error\] cannot read the folder: Permission denied", run.stdout), run
    assert re.search(r"fleet/open/compose\.yml:7:16: CP101", run.stdout), run  # the walk goes on
    assert_clean(fixed)


def test_a_folder_the_walk_cannot_list_is_a_cp000_finding(recipe, tmp_path, monkeypatch):
    from compose_policy.engine import LintOptions, lint_paths
    from compose_policy.formats import renderer

    recipe({"compose.yml": HEAVY}, name="fleet/open")
    recipe({"compose.yml": HEAVY}, name="fleet/locked")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = lint_paths([str(tmp_path / "fleet")], LintOptions(find_config=False))
    found = sorted((f.rule, f.path.replace(str(tmp_path), "")) for f in result.findings)
    assert ("CP000", "/fleet/locked") in found and ("CP101", "/fleet/open/compose.yml") in found
    [cp000] = [f for f in result.findings if f.rule == "CP000"]
    assert (cp000.line, cp000.message) == (1, "cannot read the folder: Permission denied; nothing below it was checked")
    assert result.exit_code == 1
    assert "All clear" not in renderer("text")(result)


def test_a_path_with_no_compose_files_says_so(hostile, tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mkdocs.yml").write_text("site_name: x\n")
    run = hostile("lint", tmp_path)
    assert_clean(run, codes=(0,))
    assert "All clear" not in run.stdout and "No compose files found" in run.stdout, run
    assert f"compose-policy: warning: no compose files found under {tmp_path}" in run.stderr, run


def test_the_warning_names_only_the_empty_path(hostile, tmp_path, recipe):
    root = recipe({"compose.yml": SERVICE})
    (tmp_path / "empty").mkdir()
    run = hostile("lint", root, tmp_path / "empty")
    assert_clean(run, codes=(0,))
    assert "All clear: 1 stack, 1 file checked." in run.stdout
    assert run.stderr.strip() == f"compose-policy: warning: no compose files found under {tmp_path / 'empty'}"


def test_no_override_turns_cp000_off(hostile, recipe):
    config = ("overrides:\n  - {recipes: ['*'], ignore: [CP000]}\n"
              "  - {recipes: ['*'], services: ['*'], ignore: [CP000]}\n")
    root = recipe({"compose.yml": BROKEN, ".compose-policy.yml": config})
    run = hostile("lint", root)
    assert_clean(run, codes=(1,))
    assert " CP000 " in run.stdout, run


def test_a_folder_inside_a_recipe_that_cannot_be_listed_is_a_finding(recipe, tmp_path, monkeypatch):
    from compose_policy.engine import LintOptions, lint_paths

    root = recipe({"compose.yml": HEAVY, "postgres/compose.postgres.yml": SERVICE}, name="r")
    real = os.scandir

    def scandir(path="."):
        if str(path).endswith("postgres"):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = lint_paths([str(root)], LintOptions(find_config=False))
    found = {(f.rule, f.path.replace(str(tmp_path), "")) for f in result.findings}
    assert ("CP000", "/r/postgres") in found and ("CP101", "/r/compose.yml") in found, found
