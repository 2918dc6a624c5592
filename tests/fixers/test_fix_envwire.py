"""--wire-env: the overlay joins COMPOSE_FILE on the line that decides, every other line kept."""

import os
import stat

import pytest

from compose_policy.envfile import parse_env_text
from compose_policy.fixers.envwire import wire

ENTRY = "compose.ccci.yml"


def compose_file(text):
    return parse_env_text(text, "t").values.get("COMPOSE_FILE")


@pytest.mark.parametrize("before, after", [
    ('COMPOSE_FILE="compose.yml"\n', 'COMPOSE_FILE="compose.yml:compose.ccci.yml"\n'),
    ("COMPOSE_FILE='compose.yml'\n", "COMPOSE_FILE='compose.yml:compose.ccci.yml'\n"),
    ("export COMPOSE_FILE=compose.yml  # base\n", "export COMPOSE_FILE=compose.yml:compose.ccci.yml  # base\n"),
    ('COMPOSE_FILE=""\n', 'COMPOSE_FILE="compose.yml:compose.ccci.yml"\n'),
    ('COMPOSE_FILE="compose.yml"\r\nDOMAIN=x\r\n', 'COMPOSE_FILE="compose.yml:compose.ccci.yml"\r\nDOMAIN=x\r\n'),
])
def test_the_deciding_line_gets_the_overlay_inside_its_quotes(before, after):
    assert wire(before, ENTRY, ["compose.yml"]) == after


ABRA = """\
TYPE=bonfire
DOMAIN=bonfire.example.com

## Database
COMPOSE_FILE="compose.yml"
COMPOSE_FILE="$COMPOSE_FILE:compose.postgres.yml"
# COMPOSE_FILE="$COMPOSE_FILE:postgres/compose.postgres.tune.yml"
SECRET_DB_VERSION=v1
"""


def test_the_last_active_line_grows_and_every_other_line_stays():
    out = wire(ABRA, ENTRY, ["compose.yml", "compose.postgres.yml"])
    old, new = ABRA.splitlines(keepends=True), out.splitlines(keepends=True)
    assert len(old) == len(new)
    changed = [i for i, (a, b) in enumerate(zip(old, new)) if a != b]
    assert changed == [5]
    assert new[5] == 'COMPOSE_FILE="$COMPOSE_FILE:compose.postgres.yml:compose.ccci.yml"\n'
    assert compose_file(out) == "compose.yml:compose.postgres.yml:compose.ccci.yml"


def test_no_compose_file_line_adds_one_naming_the_current_set():
    text = "TYPE=x\nDOMAIN=y"  # no final newline
    out = wire(text, ENTRY, ["compose.yml", "nested/compose.x.yml"])
    assert out == 'TYPE=x\nDOMAIN=y\nCOMPOSE_FILE="compose.yml:nested/compose.x.yml:compose.ccci.yml"\n'


def test_an_enabled_overlay_changes_nothing():
    text = 'COMPOSE_FILE="compose.yml:compose.ccci.yml"\n'
    assert wire(text, ENTRY, ["compose.yml"]) is text


def test_the_cli_wires_the_app_env_in_place_and_reads_it(recipe, cli, tmp_path):
    folder = recipe()
    env = tmp_path / "discourse.example.com.env"
    env.write_text('TYPE=discourse\n# overlays\nCOMPOSE_FILE="compose.yml"\nDOMAIN=discourse.example.com\n')
    os.chmod(env, 0o600)
    result = cli("fix", folder, "--wire-env", env)
    assert result.exit_code == 3, result.output
    assert env.read_text() == ('TYPE=discourse\n# overlays\nCOMPOSE_FILE="compose.yml:compose.ccci.yml"\n'
                               'DOMAIN=discourse.example.com\n')
    assert stat.S_IMODE(os.stat(env).st_mode) == 0o600
    # the env now enables the overlay: the next run lints it as part of the set and has nothing to do
    again = cli("fix", folder, "--wire-env", env)
    assert again.exit_code in (0, 1), again.output
    assert "Nothing to fix" in again.stdout and "not in use yet" not in again.stdout


def test_wiring_an_existing_overlay_needs_no_fix(recipe, cli, tmp_path):
    folder = recipe()
    assert cli("fix", folder).exit_code == 3
    env = tmp_path / "app.env"
    env.write_text("DOMAIN=discourse.example.com\n")
    result = cli("fix", folder, "--wire-env", env)
    assert result.exit_code == 3
    assert env.read_text() == 'DOMAIN=discourse.example.com\nCOMPOSE_FILE="compose.yml:compose.ccci.yml"\n'


def test_wire_env_with_diff_shows_the_env_change_only(recipe, cli, tmp_path):
    folder = recipe()
    env = tmp_path / "app.env"
    env.write_text('COMPOSE_FILE="compose.yml"\n')
    result = cli("fix", folder, "--wire-env", env, "--diff")
    assert result.exit_code == 3
    assert '+COMPOSE_FILE="compose.yml:compose.ccci.yml"' in result.stdout
    assert env.read_text() == 'COMPOSE_FILE="compose.yml"\n'
    assert not (folder / "compose.ccci.yml").exists()


def test_wire_env_names_one_app(recipe, cli, tmp_path):
    recipe(name="one")
    recipe(name="two")
    env = tmp_path / "app.env"
    env.write_text("")
    result = cli("fix", tmp_path, "--wire-env", env)
    assert result.exit_code == 2 and "one app's env file" in result.stderr


def test_a_missing_env_file_is_an_error(recipe, cli, tmp_path):
    result = cli("fix", recipe(), "--wire-env", tmp_path / "none.env")
    assert result.exit_code == 2 and "none.env" in result.stderr
