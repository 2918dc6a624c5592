"""Two fix runs on one recipe: the second waits for the first, so no fix is lost.

Each run locks the recipe folder (flock) for its whole lint-fix-write cycle, and a target
that changed since it was read is never replaced.
"""

import fcntl
import os
import time

import pytest
import yaml

from compose_policy.atomic import stage
from compose_policy.errors import InputError
from compose_policy.fixers.run import FixOptions, commit_all
from fixhostile import HEALTHY, finish, make_recipe, start


# filler services make each run's read-to-write window long (seconds), so that two runs
# started together overlap for sure
FILLER = "".join(f"  filler{i}:\n    image: nginx:1.25\n" for i in range(2000))
BUSY = HEALTHY.replace("services:\n", "services:\n" + FILLER, 1)


def update_config(folder):
    return yaml.safe_load((folder / "compose.ccci.yml").read_text())["services"]["app"]["deploy"]["update_config"]


@pytest.mark.parametrize("round_", range(2))
def test_two_real_processes_keep_both_fixes(tmp_path, round_):
    folder = make_recipe(tmp_path, BUSY)
    started = time.monotonic()
    runs = [start(["fix", folder, "--select", codes]) for codes in ("CP101", "CP111")]
    results = [finish(*r, started, 60) for r in runs]
    assert all(r.code == 3 for r in results), [r.output for r in results]
    # both said "written": both fixes are in the overlay, each with its note
    assert update_config(folder) == {"order": "stop-first", "monitor": "35s"}
    text = (folder / "compose.ccci.yml").read_text()
    assert "# [app] deploy.update_config.order" in text and "# [app] deploy.update_config.monitor" in text


def test_a_run_waits_while_the_recipe_is_locked(tmp_path):
    folder = make_recipe(tmp_path, HEALTHY)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        started = time.monotonic()
        proc, out, err = start(["fix", folder, "--select", "CP101"])
        time.sleep(3)  # far longer than the run needs
        assert proc.poll() is None, "the run did not wait for the lock"
        assert not (folder / "compose.ccci.yml").exists()
    finally:
        os.close(fd)
    result = finish(proc, out, err, started, 60)
    assert result.code == 3, result.output
    assert update_config(folder) == {"order": "stop-first"}


def test_a_target_changed_after_it_was_read_is_not_replaced(tmp_path):
    target = tmp_path / "compose.ccci.yml"
    target.write_text("old\n")
    staged = stage(str(target), "new\n", 0o644, old="old\n", check_unchanged=True)
    target.write_text("someone else's\n")  # an editor saves meanwhile
    with pytest.raises(InputError, match="changed while it was being fixed"):
        commit_all([staged], FixOptions())
    assert target.read_text() == "someone else's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compose.ccci.yml"]  # no temporary left
