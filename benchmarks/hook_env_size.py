#!/usr/bin/env python3
"""The size of the environment pre-commit builds for the compose-policy hook.

    python benchmarks/hook_env_size.py [REV ...]     # default: HEAD

For each git revision of this repository: export it into a fresh git repository, point a
throwaway recipe's .pre-commit-config.yaml at it, run ``pre-commit install-hooks`` with an
empty PRE_COMMIT_HOME, and report the size of the virtualenv it built, its packages and
the largest of them. Needs network access or a configured package index, as pre-commit does.
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
PRE_COMMIT = pathlib.Path(sys.executable).with_name("pre-commit")
GIT = ["git", "-c", "user.email=bench@example.org", "-c", "user.name=bench"]


def du_kb(path: pathlib.Path) -> int:
    return int(subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True).stdout.split()[0])


def export(rev: str, into: pathlib.Path) -> str:
    into.mkdir()
    archive = subprocess.run(["git", "archive", rev], cwd=ROOT, capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    subprocess.run(GIT + ["init", "-q"], cwd=into, check=True)
    subprocess.run(GIT + ["add", "-A"], cwd=into, check=True)
    subprocess.run(GIT + ["commit", "-qm", rev], cwd=into, check=True)
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=into, capture_output=True, text=True).stdout.strip()


def measure(rev: str, work: pathlib.Path) -> None:
    repo = work / f"repo-{rev}"
    sha = export(rev, repo)
    recipe = work / f"recipe-{rev}"
    recipe.mkdir()
    subprocess.run(GIT + ["init", "-q"], cwd=recipe, check=True)
    (recipe / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {sha}\n    hooks:\n      - id: compose-policy\n")
    home = work / f"home-{rev}"
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    subprocess.run([str(PRE_COMMIT), "install-hooks"], cwd=recipe, env=env, check=True, capture_output=True)
    venv = next(home.glob("*/py_env-*"))
    listing = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "list", "--format=freeze"],
                             capture_output=True, text=True).stdout.split()
    site = next(venv.glob("lib/python*/site-packages"))
    largest = sorted(((du_kb(p), p.name) for p in site.iterdir() if not p.name.endswith(".dist-info")),
                     reverse=True)[:6]
    print(f"{rev}: {du_kb(venv) / 1024:.1f} MiB, {len(listing)} packages")
    print("  " + " ".join(item.split("==")[0] for item in listing))
    print("  largest: " + ", ".join(f"{name} {kb / 1024:.1f} MiB" for kb, name in largest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("revs", nargs="*", default=["HEAD"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hook-env-") as work:
        for rev in args.revs:
            measure(rev, pathlib.Path(work))


if __name__ == "__main__":
    main()
