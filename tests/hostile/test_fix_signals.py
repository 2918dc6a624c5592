"""SIGTERM in the middle of a fix leaves no temporary file and no half-written target."""

import signal
import time

from compose_policy.atomic import write_atomic
from fixhostile import HEAVY, finish, make_recipe, snapshot, start, temp_files

# enough services that the re-lint of the staged overlay takes a while: the signal lands then
MANY = HEAVY + "".join(f"  s{i}:\n    image: discourse/discourse:3.2\n    deploy:\n      update_config:\n"
                       f"        order: start-first\n" for i in range(1500))


def test_sigterm_while_an_overlay_is_staged_removes_it(tmp_path):
    folder = make_recipe(tmp_path, MANY)
    before = snapshot(folder)
    started = time.monotonic()
    proc, out, err = start(["fix", folder])
    while not temp_files(folder):
        assert proc.poll() is None, "the run ended before it staged anything"
        assert time.monotonic() - started < 120
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    result = finish(proc, out, err, started, 60)
    assert result.code == -signal.SIGTERM, result.output  # ended by the signal, as asked
    assert temp_files(folder) == []
    assert snapshot(folder) == before  # the overlay was not written, the base is untouched


def test_the_baseline_is_written_by_the_atomic_writer(tmp_path):
    # one writer for every file: a baseline through a symlink is written through, like an overlay
    (tmp_path / "real.json").write_text("{}\n")
    (tmp_path / "baseline.json").symlink_to("real.json")
    from compose_policy.baseline import write_baseline

    write_baseline(str(tmp_path / "baseline.json"), [])
    assert (tmp_path / "baseline.json").is_symlink()
    assert '"findings": []' in (tmp_path / "real.json").read_text()
    write_atomic(str(tmp_path / "x.txt"), "x\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline.json", "real.json", "x.txt"]
