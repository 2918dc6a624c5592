"""The pre-commit hook, run by the real pre-commit against a recipe repository."""

import os
import pathlib
import shutil
import subprocess
import sys


ROOT = pathlib.Path(__file__).resolve().parent.parent
PRE_COMMIT = pathlib.Path(sys.executable).with_name("pre-commit")


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", *args],
                   cwd=cwd, check=True, capture_output=True)


def test_manifest_is_valid():
    proc = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_hook_fails_a_risky_recipe_and_passes_a_fixed_one(tmp_path):
    recipe = tmp_path / "recipe"
    shutil.copytree(ROOT / "examples" / "heavy-rails", recipe)
    git(recipe, "init", "-q")
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "recipe")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "cache")}
    run = [str(PRE_COMMIT), "try-repo", str(ROOT), "compose-policy", "--all-files"]

    risky = subprocess.run(run, cwd=recipe, capture_output=True, text=True, env=env, timeout=600)
    assert risky.returncode == 1, risky.stdout + risky.stderr
    assert "CP101 [error]" in risky.stdout

    compose = recipe / "compose.yml"
    compose.write_text(compose.read_text().replace("order: start-first", "order: stop-first"))
    # the example keeps warnings of its own (CP111, CP203): gate this repository on errors
    (recipe / ".compose-policy.yml").write_text("fail-on: error\n")
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "stop-first")
    fixed = subprocess.run(run, cwd=recipe, capture_output=True, text=True, env=env, timeout=600)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "CP101" not in fixed.stdout
