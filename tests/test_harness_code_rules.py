"""CP500-CP503 on realistic harness modules: exact findings on bad ones, none on good ones.

The modules live in tests/fixtures/harness_code/ (data, never imported). Each is linted
by the real engine, as ``compose-policy lint FILE.py`` does.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from compose_policy.engine import LintOptions, lint_paths
from compose_policy.registry import all_rules

FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures" / "harness_code"
PYTHON_RULES = [code for code, rule in all_rules().items() if rule.input == "python"]

# file -> every finding of the CP5xx rules: (rule, line, column, words of the message)
EXPECTED = {
    "bad_upgrade.py": [
        ("CP501", 21, 5, "chaos_redeploy(...) redeploys for an upgrade, then checks the deployed commit (line 22)"),
        ("CP501", 27, 5, "deploy_app(...) redeploys for an upgrade, then checks the deployed commit (line 30)"),
        ("CP501", 34, 5, "subprocess.run(...) redeploys for an upgrade, then the function ends"),
        ("CP501", 39, 5, "subprocess.run(...) redeploys for an upgrade, then checks the deployed commit (line 44)"),
    ],
    "bad_hc1.py": [
        ("CP502", 19, 9, "caught by an except that logs it instead"),
        ("CP502", 28, 9, "only reaches warnings.warn()"),
        ("CP502", 34, 12, "`deployed in expected`"),
        ("CP502", 35, 12, "`expected.startswith(deployed)`"),
        ("CP502", 40, 8, "environment variable"),
        ("CP502", 44, 2, "marked xfail"),
        ("CP502", 54, 5, "pytest.skip() before the commit check"),
        ("CP502", 61, 9, "contextlib.suppress"),
    ],
    "bad_guard_context.py": [
        ("CP501", 11, 9, "checks the deployed commit (line 12)"),
        ("CP501", 17, 5, "then the function ends"),
    ],
    "bad_lock.py": [
        ("CP503", 19, 5, "outside FileLock, which the deploy on line 14 takes"),
    ],
    "good_upgrade.py": [],
    "good_hc1.py": [],
    "good_lock.py": [],
}


def lint_file(path, **options):
    return lint_paths([str(path)], LintOptions(select=["CP5"], **options))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_exact_findings(name):
    result = lint_file(FIXTURES / name)
    got = [(f.rule, f.line, f.column) for f in result.findings]
    assert got == [(rule, line, column) for rule, line, column, _ in EXPECTED[name]], \
        "\n".join(f"{f.line}:{f.column} {f.rule} {f.message}" for f in result.findings)
    for finding, (_, _, _, words) in zip(result.findings, EXPECTED[name]):
        assert words in finding.message
        assert finding.path == str(FIXTURES / name) and finding.recipe is None


def test_every_python_rule_has_good_and_bad_modules():
    bad = {rule for findings in EXPECTED.values() for rule, *_ in findings}
    assert set(PYTHON_RULES) - {"CP500"} == bad
    for name in EXPECTED:
        assert (FIXTURES / name).is_file()


def test_cp501_fix_names_the_guard_the_module_already_calls():
    result = lint_file(FIXTURES / "bad_upgrade.py", )
    fixes = [f.fix for f in result.findings]
    assert all(fix is not None for fix in fixes)
    text, needs_import = fixes[0].value
    assert text == "assert_upgrade_converged(client, STACK, before, timeout=900)"
    assert needs_import is None  # the module imports it already


def test_cp501_fix_imports_the_guard_when_the_module_lacks_it(tmp_path):
    module = tmp_path / "test_up.py"
    module.write_text("def test_up(client, stack, before):\n    chaos_redeploy('a.example.org')\n")
    (finding,) = lint_file(module).findings
    assert finding.fix.value == ("assert_upgrade_converged(client, stack, before)",
                                 "from compose_policy.harness import assert_upgrade_converged")


def test_a_redeploy_returned_directly_has_no_fix(tmp_path):
    module = tmp_path / "helper.py"
    module.write_text("def up(domain):\n    return chaos_redeploy(domain)\n")
    (finding,) = lint_file(module).findings
    assert (finding.rule, finding.line, finding.fix) == ("CP501", 2, None)


def test_names_come_from_the_configuration(tmp_path):
    module = tmp_path / "tests" / "test_rollout.py"
    module.parent.mkdir()
    module.write_text(
        "def test_rollout(ci):\n"
        "    ci.roll_out(version='next')\n"
        "    ci.wait_converged()\n"
        "    ci.check_label()\n"
        "\n"
        "def test_rollout_unguarded(ci):\n"
        "    ci.roll_out(version='next')\n"
        "    ci.check_label()\n")
    assert lint_file(module).findings == []  # no default name in it
    (tmp_path / ".compose-policy.yml").write_text(
        "options:\n"
        "  redeploy-functions: [roll_out]\n"
        "  guard-functions: [wait_converged]\n"
        "rules:\n"
        "  CP501:\n"
        "    options:\n"
        "      commit-checks: [check_label]\n")
    got = [(f.rule, f.line, f.column) for f in lint_file(module).findings]
    assert got == [("CP501", 7, 5)]


def test_a_bad_option_value_is_a_config_error(tmp_path, cli):
    (tmp_path / ".compose-policy.yml").write_text("rules:\n  CP503:\n    options:\n      lock-names: stack_lock\n")
    (tmp_path / "h.py").write_text("chaos_redeploy('x')\n")
    result = cli("lint", tmp_path / "h.py")
    assert result.exit_code == 2 and "lock-names" in result.stderr and result.stderr.count("\n") == 1


def test_a_module_that_does_not_parse_is_cp500(tmp_path):
    module = tmp_path / "broken.py"
    module.write_text("def test_up(app:\n    chaos_redeploy(app)\n")
    result = lint_paths([str(module)], LintOptions())
    # where and what Python itself reports, not the later token libcst's parser stopped at
    assert [(f.rule, f.line, f.column, f.message) for f in result.findings] == [
        ("CP500", 1, 12, "not valid Python: '(' was never closed")]
    assert result.exit_code == 1
    module.write_text("import os\ndef f(x):\n    return x +\n")
    [finding] = lint_paths([str(module)], LintOptions()).findings
    assert (finding.line, finding.column, finding.message) == (3, 15, "not valid Python: invalid syntax")


def test_suppression_comments_work_in_python(tmp_path):
    module = tmp_path / "h.py"
    module.write_text("def up(d):\n    chaos_redeploy(d)  # compose-policy: disable=CP501 -- the caller guards\n")
    result = lint_paths([str(module)], LintOptions())
    assert result.findings == [] and result.suppressed == 1


def test_a_folder_walk_picks_harness_looking_python_only(tmp_path):
    (tmp_path / "recipe").mkdir()
    (tmp_path / "recipe" / "compose.yml").write_text("services:\n  app:\n    image: nginx:1.27\n")
    (tmp_path / "recipe" / "tests").mkdir()
    (tmp_path / "recipe" / "tests" / "test_upgrade.py").write_text("def test_up(d):\n    chaos_redeploy(d)\n")
    (tmp_path / "recipe" / "app.py").write_text("def main():\n    return 1\n")
    (tmp_path / "recipe" / ".hidden").mkdir()
    (tmp_path / "recipe" / ".hidden" / "x.py").write_text("chaos_redeploy('x')\n")
    with_python = lint_paths([str(tmp_path / "recipe")], LintOptions(python_files=True))
    assert [(pathlib.Path(f.path).name, f.rule) for f in with_python.findings if f.rule.startswith("CP5")] == [
        ("test_upgrade.py", "CP501")]
    assert with_python.files == 2 and len(with_python.stacks) == 1
    without = lint_paths([str(tmp_path / "recipe")], LintOptions())
    assert not [f for f in without.findings if f.rule.startswith("CP5")] and without.files == 1


def test_the_lint_command_walks_python(tmp_path, cli):
    (tmp_path / "ci.py").write_text("import subprocess\nsubprocess.run(['docker', 'stack', 'deploy', 'x'])\n")
    result = cli("lint", tmp_path)
    assert result.exit_code == 1 and "ci.py:2:1: CP501 [error]" in result.stdout
    assert "the module ends" in result.stdout


def test_a_compose_lint_never_imports_libcst(tmp_path):
    (tmp_path / "compose.yml").write_text("services:\n  app:\n    image: nginx:1.27\n")
    code = ("import sys\nfrom compose_policy.cli import main\n"
            "try:\n    main(['lint', sys.argv[1]])\n"
            "except SystemExit:\n    print('libcst' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True)
    assert proc.stdout.splitlines()[-1] == "False", proc.stderr


@pytest.mark.parametrize("config, where", [
    ("options:\n  redeploy-functions: [1]\n", "options.redeploy-functions[0]"),
    ("options:\n  lock-names: ['a b']\n", "options.lock-names[0]"),
    ("rules:\n  CP501:\n    options:\n      guard-call: 'wait('\n", "rules.CP501.options.guard-call"),
    ("rules:\n  CP502:\n    options:\n      lock-names: [x]\n", "CP502 has no option 'lock-names'"),
])
def test_names_are_validated(tmp_path, cli, config, where):
    (tmp_path / ".compose-policy.yml").write_text(config)
    (tmp_path / "h.py").write_text("chaos_redeploy('x')\n")
    result = cli("lint", tmp_path / "h.py")
    assert result.exit_code == 2 and where in result.stderr and result.stderr.count("\n") == 1


def test_a_guard_call_that_does_not_parse_is_a_fix_error(tmp_path, cli):
    (tmp_path / ".compose-policy.yml").write_text("rules:\n  CP501:\n    options:\n      guard-call: 'wait(()'\n")
    module = tmp_path / "h.py"
    module.write_text("chaos_redeploy('x')\n")
    result = cli("fix", "--in-place", "--unsafe-fixes", module)
    assert result.exit_code == 2 and "does not parse" in result.stderr
    assert module.read_text() == "chaos_redeploy('x')\n"


HOSTILE = {
    "deep_brackets": "x = " + "(" * 3000 + "1" + ")" * 3000 + "\n",
    "long_chain": "x = 1" + " + 1" * 50000 + "\n",
    "deep_blocks": "def f(a):\n" + "".join("    " * (i + 1) + "if a:\n" for i in range(60)) + "    " * 61 + "pass\n",
    "unbalanced": "x = " + "[" * 100000 + "\n",
    "huge": "chaos_redeploy('x')\n" * 20000,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_modules_are_refused_quickly(tmp_path, name):
    """libcst recurses (its native parser can even crash): the loader measures first."""
    module = tmp_path / "h.py"
    module.write_text(HOSTILE[name])
    code = ("import sys, time, resource\n"
            "from compose_policy.engine import LintOptions, lint_paths\n"
            "start = time.monotonic()\n"
            "result = lint_paths([sys.argv[1]], LintOptions())\n"
            "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024\n"
            "print(repr(([f.rule for f in result.findings], round(time.monotonic() - start), peak)))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(module)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]  # no crash, no traceback
    rules, seconds, megabytes = eval(proc.stdout)  # noqa: S307 - our own print
    assert rules == ["CP500"]
    assert seconds < 30 and megabytes < 300


def test_no_fix_where_the_guard_would_name_what_the_function_lacks(tmp_path):
    module = tmp_path / "helper.py"
    module.write_text("import subprocess\n\n\ndef redeploy(domain):\n"
                      "    subprocess.run(['abra', 'app', 'deploy', '--chaos', domain])\n\n\n"
                      "def test_up(client, stack, domain):\n    before = snapshot(client)\n"
                      "    chaos_redeploy(domain)\n")
    findings = lint_file(module).findings
    assert [(f.line, f.fix is not None) for f in findings] == [(5, False), (10, True)]
    assert findings[1].fix.value[0] == "assert_upgrade_converged(client, stack, before)"


@pytest.mark.corpus
def test_the_python_walk_leaves_the_corpus_results_as_they_were(corpus):
    """The corpus holds no harness module: walking for Python adds no file and no finding."""
    with_python = lint_paths([str(corpus)], LintOptions(python_files=True, find_config=False))
    without = lint_paths([str(corpus)], LintOptions(find_config=False))
    assert [f.to_dict() for f in with_python.findings] == [f.to_dict() for f in without.findings]
    assert (with_python.files, len(with_python.stacks)) == (without.files, len(without.stacks))
