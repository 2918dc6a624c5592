"""--wire-env is checked before anything is written: a bad env file leaves the recipe as it was."""

import os

import pytest

from fixhostile import assert_clean_failure, make_recipe, run, snapshot, temp_files


def bad_env(tmp_path, kind):
    path = tmp_path / "app.env"
    if kind == "not-utf8":
        path.write_bytes(b"TYPE=discourse\nSECRET=\xff\xfe\n")
    elif kind == "missing":
        pass
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "folder":
        path.mkdir()
    elif kind == "too-large":
        path.write_bytes(b"X=" + b"y" * (2 << 20) + b"\n")
    elif kind == "dev-zero":
        return "/dev/zero"
    return str(path)


KINDS = ["not-utf8", "missing", "fifo", "folder", "too-large", "dev-zero"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("own_env_file", [False, True], ids=["wire-only", "with-env-file"])
def test_a_bad_env_file_stops_the_run_before_any_write(tmp_path, kind, own_env_file):
    folder = make_recipe(tmp_path)
    env = bad_env(tmp_path, kind)
    args = ["fix", folder, "--wire-env", env]
    if own_env_file:  # the env file read for the stack is another one: the wired one is only written
        (tmp_path / "other.env").write_text("TYPE=discourse\n")
        args += ["--env-file", tmp_path / "other.env"]
    before = snapshot(tmp_path)
    result = run(*args, timeout=20)
    assert_clean_failure(result)
    assert result.seconds < 10 and result.peak_mb < 200, (result.seconds, result.peak_mb)
    assert not (folder / "compose.ccci.yml").exists()
    assert snapshot(tmp_path) == before and temp_files(tmp_path) == []
    assert "\\xff" not in result.output and "SECRET" not in result.output


def test_a_good_env_file_is_wired_with_the_overlay(tmp_path):
    folder = make_recipe(tmp_path)
    env = tmp_path / "app.env"
    env.write_text("TYPE=discourse\n")
    assert run("fix", folder, "--wire-env", env).code == 3
    assert env.read_text() == 'TYPE=discourse\nCOMPOSE_FILE="compose.yml:compose.ccci.yml"\n'
    assert (folder / "compose.ccci.yml").is_file()
