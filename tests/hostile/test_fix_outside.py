"""A fix writes inside the recipe unless --allow-outside says otherwise."""

import os

import yaml

from fixhostile import HEAVY, assert_clean_failure, make_recipe, run, snapshot


def test_an_overlay_path_out_of_the_recipe_is_refused(tmp_path):
    folder = make_recipe(tmp_path)
    for name in ("../x.yml", str(tmp_path / "abs.yml"), "sub/../../y.yml"):
        before = snapshot(tmp_path)
        result = run("fix", folder, "--overlay", name)
        assert_clean_failure(result)
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "pass --allow-outside" in result.stderr
        assert snapshot(tmp_path) == before


def test_allow_outside_writes_the_overlay_where_asked(tmp_path):
    folder = make_recipe(tmp_path)
    assert run("fix", folder, "--overlay", "../x.yml", "--allow-outside").code == 3
    assert yaml.safe_load((tmp_path / "x.yml").read_text())["services"]["app"]


def test_an_absolute_compose_file_entry_is_not_edited_in_place(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    outside = tmp_path / "elsewhere" / "compose.yml"
    outside.write_text(HEAVY)
    folder = make_recipe(tmp_path, "version: \"3.8\"\nservices: {}\n")
    env = tmp_path / "app.env"
    env.write_text(f"TYPE=discourse\nCOMPOSE_FILE={outside}\n")
    before = snapshot(tmp_path)
    for args in (["--env-file", env], ["-c", outside]):
        result = run("fix", folder, "--in-place", "--unsafe-fixes", *args)
        assert_clean_failure(result)
        assert "is outside the recipe; pass --allow-outside" in result.stderr
        assert snapshot(tmp_path) == before
    assert run("fix", folder, "--in-place", "--unsafe-fixes", "-c", outside, "--allow-outside").code == 3
    assert "order: stop-first" in outside.read_text()


def test_overlay_dir_is_an_explicit_place_to_write(tmp_path):
    folder = make_recipe(tmp_path)
    assert run("fix", folder, "--overlay-dir", tmp_path / "ci" / "{recipe}").code == 3
    assert (tmp_path / "ci" / "app" / "compose.ccci.yml").is_file()
    assert not os.path.exists(folder / "compose.ccci.yml")


def test_an_overlay_path_out_of_the_overlay_dir_is_refused(tmp_path):
    folder = make_recipe(tmp_path)
    before = snapshot(tmp_path)
    result = run("fix", folder, "--overlay-dir", tmp_path / "ci", "--overlay", "../../escape.yml")
    assert_clean_failure(result)
    assert "is outside the recipe; pass --allow-outside" in result.stderr
    assert snapshot(tmp_path) == before
