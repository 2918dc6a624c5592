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
    folder = recipe_with(tmp_path, name)
    result = run("fix", folder)
    assert result.code == 3, result.output
    text = (folder / "compose.ccci.yml").read_text()
    assert yaml.safe_load(text) == {
        "version": "3.8", "services": {name: {"deploy": {"update_config": {"order": "stop-first"}}}}}
    # every line before the data is a comment; no raw line break of the name reached the file
    head = text[: text.index("version:")]
    assert all(line.startswith("#") for line in head.split("\n") if line)
    assert not any(c in text for c in "\r\x85\u2028")
    # the report escapes the name too: no output line starts with the injected text
    assert not any(line.startswith("x-evil") for line in result.output.splitlines())
    again = snapshot(folder)
    assert run("fix", folder).code in (0, 1)
    assert snapshot(folder) == again
