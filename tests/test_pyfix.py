"""``fix`` on Python harness modules: the CP501 codemod, unsafe, formatting kept, idempotent."""

from __future__ import annotations

import pathlib
import shutil

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "harness_code"
GUARD = "    assert_upgrade_converged(client, STACK, before, timeout=900)\n"


def copy(tmp_path, name="bad_upgrade.py") -> pathlib.Path:
    target = tmp_path / name
    shutil.copy(FIXTURES / name, target)
    return target


def test_the_guard_goes_after_each_redeploy_and_nothing_else_changes(tmp_path, cli):
    module = copy(tmp_path)
    old = module.read_text().splitlines(keepends=True)
    result = cli("fix", "--in-place", "--unsafe-fixes", module)
    assert result.exit_code == 3, result.output
    # after lines 21, 27, 34 and 39 (1-based): the redeploy statements CP501 reported
    expected = []
    for number, line in enumerate(old, start=1):
        expected.append(line)
        if number in (21, 27, 34, 39):
            expected.append(GUARD)
    assert module.read_text() == "".join(expected)
    assert "findings: 4 before, 0 after" in result.stdout


def test_a_second_run_changes_nothing(tmp_path, cli):
    module = copy(tmp_path)
    assert cli("fix", "--in-place", "--unsafe-fixes", module).exit_code == 3
    fixed = module.read_bytes()
    again = cli("fix", "--in-place", "--unsafe-fixes", module)
    assert again.exit_code == 0 and module.read_bytes() == fixed
    assert cli("lint", module).exit_code == 0


def test_without_unsafe_fixes_nothing_is_written(tmp_path, cli):
    module = copy(tmp_path)
    before = module.read_bytes()
    result = cli("fix", "--in-place", module)
    assert result.exit_code == 1 and "4 unsafe fixes held back" in result.stdout
    assert module.read_bytes() == before
    overlay = cli("fix", module)
    assert overlay.exit_code == 1 and "fixed in place only" in overlay.stdout
    assert module.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["bad_upgrade.py"]


def test_diff_shows_and_writes_nothing(tmp_path, cli):
    module = copy(tmp_path)
    before = module.read_bytes()
    result = cli("fix", "--in-place", "--unsafe-fixes", "--diff", module)
    assert result.exit_code == 3 and "+" + GUARD in result.stdout
    assert module.read_bytes() == before


def test_the_import_is_added_after_the_last_import(tmp_path, cli):
    module = tmp_path / "test_up.py"
    module.write_text('"""Upgrade."""\n\nimport os  # the env\nfrom ci import chaos_redeploy\n\n\n'
                      'def test_up(client, stack, before):\n'
                      '    chaos_redeploy(os.environ["DOMAIN"])  # the PR commit\n'
                      '    return stack\n')
    assert cli("fix", "--in-place", "--unsafe-fixes", module).exit_code == 3
    assert module.read_text() == (
        '"""Upgrade."""\n\nimport os  # the env\nfrom ci import chaos_redeploy\n'
        'from compose_policy.harness import assert_upgrade_converged\n\n\n'
        'def test_up(client, stack, before):\n'
        '    chaos_redeploy(os.environ["DOMAIN"])  # the PR commit\n'
        '    assert_upgrade_converged(client, stack, before)\n'
        '    return stack\n')


def test_a_folder_fix_reaches_harness_modules_and_leaves_good_ones(tmp_path, cli):
    for name in ("bad_upgrade.py", "good_upgrade.py", "good_hc1.py"):
        copy(tmp_path, name)
    goods = {n: (tmp_path / n).read_bytes() for n in ("good_upgrade.py", "good_hc1.py")}
    result = cli("fix", "--in-place", "--unsafe-fixes", tmp_path)
    assert result.exit_code == 3, result.output
    assert {n: (tmp_path / n).read_bytes() for n in goods} == goods
    assert (tmp_path / "bad_upgrade.py").read_text().count(GUARD) == 2 + 4  # its own two, and one per finding


def test_a_module_that_does_not_parse_is_left_alone(tmp_path, cli):
    module = tmp_path / "broken.py"
    module.write_text("def up(d:\n    chaos_redeploy(d)\n")
    result = cli("fix", "--in-place", "--unsafe-fixes", module)
    assert result.exit_code == 1 and module.read_text() == "def up(d:\n    chaos_redeploy(d)\n"


def test_a_symlinked_module_is_not_replaced(tmp_path, cli):
    real = copy(tmp_path)
    link = tmp_path / "link.py"
    link.symlink_to(real)
    before = real.read_bytes()
    result = cli("fix", "--in-place", "--unsafe-fixes", link)
    assert result.exit_code == 2 and "symbolic link" in result.stderr
    assert link.is_symlink() and real.read_bytes() == before
