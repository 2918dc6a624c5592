"""The overlay's notes block is rewritten as a whole: what someone else put there is refused, never dropped."""

import yaml

from fixhostile import HEAVY, assert_clean_failure, make_recipe, run, snapshot

TWO_HEAVY = HEAVY + """\
  web:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        order: start-first
"""


def _first_overlay(tmp_path):
    folder = make_recipe(tmp_path)
    assert run("fix", folder).code == 3
    return folder


def test_a_user_key_between_the_markers_is_refused_not_dropped(tmp_path):
    folder = _first_overlay(tmp_path)
    overlay = folder / "compose.ccci.yml"
    text = overlay.read_text().replace("# compose-policy fix: end of notes",
                                       "x-ci: {keep: 1}\n# compose-policy fix: end of notes")
    overlay.write_text(text)
    (folder / "compose.yml").write_text(TWO_HEAVY)  # a second fix: its note joins the block
    before = snapshot(folder)
    result = run("fix", folder)
    assert_clean_failure(result)
    line = text.splitlines().index("x-ci: {keep: 1}") + 1
    assert f"line {line} sits between the compose-policy note markers" in result.stderr
    assert snapshot(folder) == before
    assert yaml.safe_load(overlay.read_text())["x-ci"] == {"keep": 1}


def test_a_user_comment_between_the_markers_is_refused_too(tmp_path):
    folder = _first_overlay(tmp_path)
    overlay = folder / "compose.ccci.yml"
    overlay.write_text(overlay.read_text().replace("# compose-policy fix: end of notes",
                                                   "# reviewed by ops\n# compose-policy fix: end of notes"))
    (folder / "compose.yml").write_text(TWO_HEAVY)
    before = snapshot(folder)
    assert_clean_failure(run("fix", folder))
    assert snapshot(folder) == before


def test_content_outside_the_markers_stays_and_the_block_grows(tmp_path):
    folder = _first_overlay(tmp_path)
    overlay = folder / "compose.ccci.yml"
    overlay.write_text(overlay.read_text() + "x-ci: {keep: 1}  # ours\n")
    (folder / "compose.yml").write_text(TWO_HEAVY)
    assert run("fix", folder).code == 3
    text = overlay.read_text()
    assert text.endswith("x-ci: {keep: 1}  # ours\n")
    data = yaml.safe_load(text)
    assert data["x-ci"] == {"keep": 1} and set(data["services"]) == {"app", "web"}
    assert "# [web] deploy.update_config.order" in text
    again = snapshot(folder)
    assert run("fix", folder).code in (0, 1)  # idempotent: nothing left to write
    assert snapshot(folder) == again
