"""What a rename would silently change is written through or refused: symlinks, hard links,
read-only files, owners and modes.

Choice: a symlink is written through to its target (the link stays a link) when the target
is inside the recipe, and refused otherwise unless --allow-outside is given; the env file of
--wire-env is named by the user and is written through wherever it points.
"""

import os
import stat

import pytest
import yaml

from fixhostile import HEAVY, assert_clean_failure, make_recipe, run, snapshot, temp_files

ORDER = {"services": {"app": {"deploy": {"update_config": {"order": "stop-first"}}}}}


def order_in(path):
    return yaml.safe_load(path.read_text())["services"]["app"]["deploy"]["update_config"]["order"]


def test_an_overlay_symlink_is_written_through(tmp_path):
    folder = make_recipe(tmp_path)
    (folder / "ci").mkdir()
    (folder / "ci" / "overlay.yml").write_text("version: \"3.8\"\n")
    os.symlink("ci/overlay.yml", folder / "compose.ccci.yml")
    assert run("fix", folder).code == 3
    assert os.readlink(folder / "compose.ccci.yml") == "ci/overlay.yml"
    assert order_in(folder / "ci" / "overlay.yml") == "stop-first"


def test_in_place_writes_through_a_symlink_inside_the_recipe_and_keeps_the_mode(tmp_path):
    folder = make_recipe(tmp_path, extra={"real/compose.yml": HEAVY})
    (folder / "compose.yml").unlink()
    os.symlink("real/compose.yml", folder / "compose.yml")
    os.chmod(folder / "real" / "compose.yml", 0o640)
    assert run("fix", folder, "--in-place", "--unsafe-fixes").code == 3
    assert os.path.islink(folder / "compose.yml")
    assert order_in(folder / "real" / "compose.yml") == "stop-first"
    assert stat.S_IMODE(os.stat(folder / "real" / "compose.yml").st_mode) == 0o640


def test_a_symlink_leading_out_of_the_recipe_is_refused_without_allow_outside(tmp_path):
    (tmp_path / "shared.yml").write_text(HEAVY)
    folder = make_recipe(tmp_path)
    (folder / "compose.yml").unlink()
    os.symlink("../shared.yml", folder / "compose.yml")
    before = snapshot(tmp_path)
    result = run("fix", folder, "--in-place", "--unsafe-fixes")
    assert_clean_failure(result)
    assert "is outside the recipe; pass --allow-outside" in result.stderr
    assert snapshot(tmp_path) == before
    assert run("fix", folder, "--in-place", "--unsafe-fixes", "--allow-outside").code == 3
    assert os.path.islink(folder / "compose.yml")
    assert order_in(tmp_path / "shared.yml") == "stop-first"


def test_an_overlay_symlink_to_a_file_outside_is_refused(tmp_path):
    (tmp_path / "elsewhere.yml").write_text("x-mine: 1\n")
    folder = make_recipe(tmp_path)
    os.symlink("../elsewhere.yml", folder / "compose.ccci.yml")
    before = snapshot(tmp_path)
    assert_clean_failure(run("fix", folder))
    assert snapshot(tmp_path) == before


def test_the_wire_env_file_is_written_through_its_symlink(tmp_path):
    folder = make_recipe(tmp_path)
    (tmp_path / "real.env").write_text("TYPE=discourse\nDOMAIN=d.example.com\n")
    os.symlink("real.env", tmp_path / "app.env")
    assert run("fix", folder, "--wire-env", tmp_path / "app.env").code == 3
    assert os.path.islink(tmp_path / "app.env")
    assert 'COMPOSE_FILE="compose.yml:compose.ccci.yml"' in (tmp_path / "real.env").read_text()


def test_a_hard_linked_file_is_refused(tmp_path):
    folder = make_recipe(tmp_path)
    os.link(folder / "compose.yml", tmp_path / "other-name.yml")
    before = snapshot(tmp_path)
    result = run("fix", folder, "--in-place", "--unsafe-fixes")
    assert_clean_failure(result)
    assert "2 hard links" in result.stderr
    assert snapshot(tmp_path) == before
    assert os.stat(folder / "compose.yml").st_ino == os.stat(tmp_path / "other-name.yml").st_ino


def test_a_read_only_file_is_refused(tmp_path):
    folder = make_recipe(tmp_path)
    os.chmod(folder / "compose.yml", 0o444)
    before = snapshot(folder)
    result = run("fix", folder, "--in-place", "--unsafe-fixes")
    assert_clean_failure(result)
    assert "read-only (mode 0444)" in result.stderr
    assert snapshot(folder) == before
    assert temp_files(folder) == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another owner needs root")
def test_in_place_keeps_owner_and_mode(tmp_path):
    folder = make_recipe(tmp_path)
    os.chown(folder / "compose.yml", 65534, 65534)
    os.chmod(folder / "compose.yml", 0o664)
    assert run("fix", folder, "--in-place", "--unsafe-fixes").code == 3
    info = os.stat(folder / "compose.yml")
    assert (info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode)) == (65534, 65534, 0o664)
    assert order_in(folder / "compose.yml") == "stop-first"


def test_an_overlay_that_is_a_directory_is_a_clean_error(tmp_path):
    folder = make_recipe(tmp_path)
    (folder / "compose.ccci.yml").mkdir()
    before = snapshot(folder)
    result = run("fix", folder)
    assert_clean_failure(result)
    assert "not a regular file" in result.stderr
    assert snapshot(folder) == before and temp_files(folder) == []
