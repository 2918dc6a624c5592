"""Find what to lint under each PATH: recipes, recipe folders, or loose compose files.

- a file: linted on its own;
- a folder with compose.yml: one recipe;
- any other folder: every folder below it that holds compose.yml is a recipe (a folder of
  recipes, or a tree of them), and every other compose-looking YAML file stands alone;
- a ``.py`` file, named or (for ``lint``) found by ``pydiscover`` in a folder: a harness
  module for the CP5xx rules.
"""

from __future__ import annotations

import os
import re

from compose_policy.errors import InputError
from compose_policy.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Iterable, List, Optional

BASE_NAMES = ("compose.yml", "compose.yaml")
_OVERLAY = re.compile(r"^compose\..+\.ya?ml$")
_COMPOSE_LOOKING = re.compile(r"(compose|stack|swarm)[^/]*\.ya?ml$", re.IGNORECASE)
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".github", ".gitlab", ".circleci"}


class Target(Record):
    """A unit of linting: a recipe folder, or a single compose file standing alone."""

    _fields = ("kind", "name", "root", "file", "explicit", "overlays")

    def __init__(self, kind: str, name: str, root: str, file: Optional[str] = None, explicit: bool = False,
                 overlays: Optional[List[str]] = None):
        self.kind = kind  # "recipe", "file", or "python" (a harness module, see pydiscover)
        self.name = name
        self.root = root  # the recipe folder, or the file's folder
        self.file = file  # for kind == "file"
        self.explicit = explicit  # the user named this file
        self.overlays: List[str] = [] if overlays is None else overlays  # for recipes: every compose.*.yml


def _base_file(folder: str) -> Optional[str]:
    for name in BASE_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def recipe_overlays(folder: str) -> List[str]:
    """Every ``compose.*.yml`` of a recipe, including nested ones like postgres/compose.x.yml."""
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        depth = os.path.relpath(current, folder).count(os.sep)
        if current != folder and depth > 1:
            dirs[:] = []
        for name in sorted(files):
            path = os.path.join(current, name)
            if _OVERLAY.match(name) and os.path.isfile(path):  # a dangling link is no overlay
                found.append(os.path.normpath(path))
    return found


def _recipe(folder: str) -> Target:
    name = os.path.basename(os.path.abspath(folder))
    return Target("recipe", name, os.path.normpath(folder), overlays=recipe_overlays(folder))


def discover(path: str, python: bool = False) -> List[Target]:
    """What to lint under ``path``; with ``python``, also its harness-looking Python files."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file or directory")
    if os.path.isfile(path):
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        folder = os.path.dirname(path) or "."
        kind = "python" if path.endswith(".py") else "file"  # a named .py file is Python, never YAML
        return [Target(kind, os.path.normpath(path), folder, file=os.path.normpath(path), explicit=True)]
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: permission denied")
    found = [_recipe(path)] if _base_file(path) else list(_walk(path))
    if python:
        from compose_policy.pydiscover import harness_files

        found += [Target("python", p, os.path.dirname(p), file=p) for p in harness_files(path)]
    return found


def _walk(folder: str) -> Iterable[Target]:
    """Recipes wherever a folder holds compose.yml; every other YAML file on its own."""
    claimed = set()
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if _base_file(current):
            recipe = _recipe(current)
            claimed.update(recipe.overlays)
            claimed.update(os.path.normpath(os.path.join(current, n)) for n in BASE_NAMES)
            yield recipe
        for name in sorted(files):
            path = os.path.normpath(os.path.join(current, name))
            if (name.endswith((".yml", ".yaml")) and path not in claimed and os.path.isfile(path)
                    and not _is_fix_overlay(current, name)):
                yield Target("file", path, current, file=path, explicit=False)


def _is_fix_overlay(folder: str, name: str) -> bool:
    """``stack.ccci.yml`` beside ``stack.yml``: an overlay ``fix`` wrote, merged only via -c."""
    match = re.match(r"^(.+)\.ccci\.ya?ml$", name)
    return bool(match) and any(os.path.isfile(os.path.join(folder, match.group(1) + ext)) for ext in (".yml", ".yaml"))


def looks_like_compose_name(path: str) -> bool:
    return bool(_COMPOSE_LOOKING.search(os.path.basename(path)))
