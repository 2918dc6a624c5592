"""An env file may be a link to anything (a key file, a password store): its lines are never echoed."""

from fixhostile import make_recipe, run

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"


def test_lines_that_are_not_key_value_are_named_by_line_only(tmp_path):
    folder = make_recipe(tmp_path)
    (tmp_path / "id_ed25519").write_text(SECRET)
    (tmp_path / "app.env").symlink_to("id_ed25519")
    for args in (["lint", folder, "--env-file", tmp_path / "app.env"],
                 ["fix", folder, "--env-file", tmp_path / "app.env"],
                 ["fix", folder, "--wire-env", tmp_path / "app.env", "--diff"]):
        result = run(*args)
        assert result.code in (1, 2, 3) and "Traceback" not in result.output, result.output
        assert "OPENSSH" not in result.output and "b3BlbnNzaC1" not in result.output, result.output
    lint = run("lint", folder, "--env-file", tmp_path / "app.env")
    assert "app.env:1:1" in lint.output and "not a KEY=value line" in lint.output


def test_a_wire_env_file_that_is_not_an_env_file_is_neither_written_nor_shown(tmp_path):
    folder = make_recipe(tmp_path)
    (tmp_path / "id_ed25519").write_text(SECRET)
    (tmp_path / "app.env").symlink_to("id_ed25519")
    (tmp_path / "other.env").write_text("TYPE=discourse\n")
    for extra in ([], ["--diff"]):
        result = run("fix", folder, "--env-file", tmp_path / "other.env", "--wire-env", tmp_path / "app.env", *extra)
        assert result.code == 2 and "Traceback" not in result.output, result.output
        assert "line 1, 2: not KEY=value" in result.stderr
        assert "OPENSSH" not in result.output and "b3BlbnNzaC1" not in result.output, result.output
    assert (tmp_path / "id_ed25519").read_text() == SECRET
    assert not (folder / "compose.ccci.yml").exists()
