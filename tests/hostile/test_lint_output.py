"""Output hygiene: a crafted service name or path cannot forge a finding line, a workflow
command, or invalid XML."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from boundedcli import assert_clean

FORGED = "x\\nfake.yml:1:1: CP000 [error] forged\\r\\e[31m\\u202e\\x01\\x7f"
CRAFTED = (f'services:\n  "{FORGED}":\n    image: discourse/discourse:3.2\n    deploy:\n'
           "      update_config: {order: start-first, failure_action: rollback}\n")
FOLDER = "nl\nfake.yml:2:2: CP101 [error] forged\x1b[2J"


@pytest.fixture
def crafted(recipe, tmp_path):
    recipe({"compose.yml": CRAFTED}, name="fleet/svc")
    recipe({"compose.yml": "services:\n  app:\n    image: [x\n"}, name=f"fleet/{FOLDER}")
    return tmp_path / "fleet"


def finding_lines(text):
    return [line for line in text.splitlines() if re.match(r".*:\d+:\d+: CP\d{3} ", line)]


def test_text_output_escapes_control_characters_in_names_and_paths(hostile, crafted):
    run = hostile("lint", crafted, "--no-color")
    assert_clean(run, codes=(1,))
    lines = run.stdout.splitlines()
    assert not any(line.startswith("fake.yml") for line in lines), run
    assert all(not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", line) for line in lines), run
    findings = [line for line in lines if not line.startswith(("Found ", "[*] "))]
    assert findings and all(line.startswith(str(crafted)) for line in findings), run
    assert "(x\\nfake.yml:1:1: CP000 [error] forged\\r\\x1b[31m\\u202e\\x01\\x7f)" in run.stdout
    assert "nl\\nfake.yml:2:2: CP101 [error] forged\\x1b[2J/compose.yml:3:12: CP000" in run.stdout


def test_junit_is_valid_xml_for_any_service_name_or_path(hostile, crafted):
    run = hostile("lint", crafted, "--format", "junit")
    assert_clean(run, codes=(1,))
    root = ET.fromstring(run.stdout)  # raises on characters XML 1.0 forbids
    names = [s.get("name") for s in root.iter("testsuite")]
    assert any("forged\\x1b[2J" in n for n in names), names
    texts = [f.text for f in root.iter("failure")]
    assert any("(x\\nfake.yml:1:1: CP000 [error] forged\\r\\x1b[31m" in t for t in texts), texts


def test_github_annotations_are_one_command_per_finding(hostile, crafted):
    run = hostile("lint", crafted, "--format", "github")
    assert_clean(run, codes=(1,))
    lines = run.stdout.splitlines()
    assert lines and all(re.match(r"::(error|warning|notice) file=[^,:]*,line=\d+,col=\d+,title=[^,:]*::", l)
                         for l in lines), run
    assert not any(l.startswith("fake.yml") for l in lines)
    # in a property the runner's separators are escaped too (actions/toolkit core/command)
    folder = [l for l in lines if "title=CP000" in l][0]
    assert "file=" + str(crafted).replace(":", "%3A") + "/nl%0Afake.yml%3A2%3A2%3A CP101 [error] forged" in folder
    svc = [l for l in lines if "title=CP101" in l][0]
    assert "(x%0Afake.yml:1:1: CP000 [error] forged%0D" in svc


def test_sarif_uri_of_a_file_name_that_is_not_utf8(hostile, tmp_path):
    folder = os.path.join(os.fsencode(tmp_path), b"bad\xff")
    os.mkdir(folder)
    with open(os.path.join(folder, b"compose.yml"), "w") as handle:
        handle.write("services:\n  app:\n    image: [x\n")
    for output in ("text", "json", "sarif", "junit", "github"):
        run = hostile("lint", tmp_path, "--format", output)
        assert_clean(run, codes=(1,))
    assert "bad%FF/compose.yml" in hostile("lint", tmp_path, "--format", "sarif").stdout
    assert "bad\\udcff/compose.yml:3:12: CP000" in hostile("lint", tmp_path).stdout


def test_an_error_stays_on_one_line_whatever_the_path_holds(hostile, recipe, tmp_path):
    folder = tmp_path / "cfg\ncompose-policy: error: forged"
    folder.mkdir()
    (folder / ".compose-policy.yml").write_text("select: [NOPE]\n")
    (folder / "compose.yml").write_text("services:\n  app:\n    image: nginx:1.25\n")
    run = hostile("lint", folder)
    assert_clean(run, codes=(2,))
    assert len(run.stderr.strip().splitlines()) == 1 and "cfg\\ncompose-policy: error: forged" in run.stderr, run
