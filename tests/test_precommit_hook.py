"""The pre-commit hooks, run by the real pre-commit against a recipe repository."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
PRE_COMMIT = pathlib.Path(sys.executable).with_name("pre-commit")
HARNESS = ROOT / "tests" / "fixtures" / "harness_code" / "bad_upgrade.py"


def git(cwd, *args):
    subprocess.run(["git", "-c", "user.email=ci@example.org", "-c", "user.name=ci", *args],
                   cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook_cache(tmp_path_factory):
    """One PRE_COMMIT_HOME for the module: pre-commit builds the hook environment once."""
    return tmp_path_factory.mktemp("pre-commit-cache")


def try_repo(recipe, hook, cache):
    env = {**os.environ, "PRE_COMMIT_HOME": str(cache)}
    run = [str(PRE_COMMIT), "try-repo", str(ROOT), hook, "--all-files"]
    return subprocess.run(run, cwd=recipe, capture_output=True, text=True, env=env, timeout=600)


def risky_recipe(tmp_path) -> pathlib.Path:
    recipe = tmp_path / "recipe"
    shutil.copytree(ROOT / "examples" / "heavy-rails", recipe)
    git(recipe, "init", "-q")
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "recipe")
    return recipe


def test_manifest_is_valid():
    proc = subprocess.run([str(PRE_COMMIT), "validate-manifest", str(ROOT / ".pre-commit-hooks.yaml")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_both_hooks_run_commands_that_exist():
    from compose_policy.cli import cli

    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"compose-policy", "compose-policy-fix"}
    for hook in hooks.values():
        program, command = hook["entry"].split()
        assert program == "compose-policy"
        ctx = cli.get_command(None, command).make_context(command, list(hook["args"]))
        assert ctx.params  # click accepts the hook's arguments


RISKY_STACK = """services:
  app:
    image: nginx:1.27
    deploy:
      update_config: {order: start-first, failure_action: rollback}
"""


def test_hooks_run_when_any_file_lint_reads_changes(tmp_path, cli):
    """pre-commit skips a hook when no changed file matches `files`: every compose file the
    lint reports on, and the configuration that shapes it, must match."""
    import json
    import re

    for name in ("swarm.yml", "prod-compose.yml", "deploy/vault-server.yml", "apps/db/db.yaml", "recipe/compose.yml"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(RISKY_STACK)
    (tmp_path / ".compose-policy.yml").write_text("fail-on: error\n")
    result = cli("lint", tmp_path, "--format", "json")
    read = {os.path.relpath(f["path"], tmp_path) for f in json.loads(result.output)["findings"]}
    assert len(read) == 5, read
    for hook in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text()):
        pattern = re.compile(hook["files"])
        for name in sorted(read) + [".compose-policy.yml", ".env", ".env.sample", "tests/test_upgrade.py"]:
            assert pattern.search(name), (hook["id"], name)


def test_hook_fails_a_risky_recipe_and_passes_a_fixed_one(tmp_path, hook_cache):
    recipe = risky_recipe(tmp_path)

    risky = try_repo(recipe, "compose-policy", hook_cache)
    assert risky.returncode == 1, risky.stdout + risky.stderr
    assert "CP101 [error]" in risky.stdout

    compose = recipe / "compose.yml"
    compose.write_text(compose.read_text().replace("order: start-first", "order: stop-first"))
    # the example keeps warnings of its own (CP111, CP203): gate this repository on errors
    (recipe / ".compose-policy.yml").write_text("fail-on: error\n")
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "stop-first")
    fixed = try_repo(recipe, "compose-policy", hook_cache)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "CP101" not in fixed.stdout


def test_fix_hook_fixes_then_lint_passes(tmp_path, hook_cache):
    recipe = risky_recipe(tmp_path)
    (recipe / "tests").mkdir()
    shutil.copy(HARNESS, recipe / "tests" / "test_upgrade.py")
    (recipe / ".compose-policy.yml").write_text("fail-on: error\n")
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "harness")

    lint = try_repo(recipe, "compose-policy", hook_cache)
    assert lint.returncode == 1, lint.stdout + lint.stderr
    assert "CP101 [error] [*]" in lint.stdout and "CP501 [error] [*]" in lint.stdout

    first = try_repo(recipe, "compose-policy-fix", hook_cache)
    assert first.returncode == 1, first.stdout + first.stderr  # it wrote files: pre-commit fails the hook
    assert "files were modified by this hook" in first.stdout
    assert "order: stop-first" in (recipe / "compose.yml").read_text()  # in place, no overlay
    assert not (recipe / "compose.ccci.yml").exists()
    assert "assert_upgrade_converged(client, STACK, before, timeout=900)\n    assert_deployed_commit" in \
        (recipe / "tests" / "test_upgrade.py").read_text()
    git(recipe, "add", "-A")
    git(recipe, "commit", "-qm", "fixed")

    second = try_repo(recipe, "compose-policy-fix", hook_cache)
    assert second.returncode == 0, second.stdout + second.stderr
    passed = try_repo(recipe, "compose-policy", hook_cache)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "CP101" not in passed.stdout and "CP501" not in passed.stdout


def readme_precommit_config() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("## pre-commit"):]
    return section.split("```yaml\n", 1)[1].split("```", 1)[0]


def test_readme_snippet_works_when_copied(tmp_path, hook_cache):
    """The snippet names hooks that exist and no tag that does not; autoupdate pins a commit."""
    config = yaml.safe_load(readme_precommit_config())
    (repo,) = config["repos"]
    hooks = {h["id"] for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert {h["id"] for h in repo["hooks"]} <= hooks
    assert repo["rev"] == "main"

    # the repository as users clone it: this tree, committed on main
    upstream = tmp_path / "compose-policy"
    upstream.mkdir()
    archive = subprocess.run(["git", "archive", "HEAD"], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(upstream)], input=archive, check=True)
    git(upstream, "init", "-q", "-b", "main")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-qm", "release")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=upstream, capture_output=True, text=True).stdout.strip()

    recipe = risky_recipe(tmp_path)
    (recipe / ".pre-commit-config.yaml").write_text(readme_precommit_config().replace(repo["repo"], str(upstream)))
    env = {**os.environ, "PRE_COMMIT_HOME": str(hook_cache)}
    check = subprocess.run([str(PRE_COMMIT), "validate-config"], cwd=recipe, capture_output=True, text=True, env=env)
    assert check.returncode == 0, check.stdout + check.stderr
    update = subprocess.run([str(PRE_COMMIT), "autoupdate"], cwd=recipe, capture_output=True, text=True, env=env,
                            timeout=300)
    assert update.returncode == 0, update.stdout + update.stderr
    assert yaml.safe_load((recipe / ".pre-commit-config.yaml").read_text())["repos"][0]["rev"] == head


def test_the_package_says_its_license():
    from importlib.metadata import metadata

    meta = metadata("compose-policy")
    assert meta["License-Expression"] == "MIT"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
