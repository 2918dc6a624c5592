"""A service name is recipe data: in the overlay it is a quoted key, in the notes an escaped word.

The overlay must read back as exactly the data the fix intends; nothing in a name may end a
comment line or start a YAML line of its own.
"""

import json

import pytest
import yaml

from fixhostile import make_recipe, run, snapshot

NAMES = [
    "app\nx-evil: {a: 1}\n#",  # a newline: the rest would be live YAML after "# ["
    "app\u2028x-evil: 1",  # a line separator YAML 1.1 readers break lines at
    "app\rx-evil: 1",
    "app\x85x-evil: 1",  # NEL
]


def recipe_with(tmp_path, name):
    text = ('version: "3.8"\nservices:\n  ' + json.dumps(name) + ":\n    image: discourse/discourse:3.2\n"
            "    deploy:\n      update_config:\n        order: start-first\n")
    return make_recipe(tmp_path, text)


@pytest.mark.parametrize("name", NAMES, ids=["newline", "u2028", "cr", "nel"])
def test_a_name_never_injects_yaml_into_the_overlay(tmp_path, name):
    # docker refuses such a name (CP001), so fix refuses the stack: nothing is written, and
    # the message escapes the name, so no output line starts with the injected text
    folder = recipe_with(tmp_path, name)
    before = snapshot(folder)
    result = run("fix", folder)
    assert result.code == 2, result.output
    assert "invalid service name" in result.output
    assert not (folder / "compose.ccci.yml").exists()
    assert snapshot(folder) == before
    assert not any(line.startswith("x-evil") for line in result.output.splitlines())
    assert not any(c in result.output for c in "\r\x85\u2028")


@pytest.mark.parametrize("name", NAMES, ids=["newline", "u2028", "cr", "nel"])
def test_a_key_the_overlay_writer_renders_reads_back_as_itself_on_one_line(name):
    # defence in depth under the CP001 refusal: a key is one line and parses back unchanged
    from compose_policy.fixers.edit import render_key, visible

    line = f"{render_key(name)}: 1\n"
    assert line.count("\n") == 1 and not any(c in line for c in "\r\x85\u2028")
    assert yaml.safe_load(line) == {name: 1}
    assert "\n" not in visible(name) and not any(c in visible(name) for c in "\r\x85\u2028")
