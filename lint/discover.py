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
    from typing import Iterable, List, Optional, Tuple

BASE_NAMES = ("compose.yml", "compose.yaml")
_OVERLAY = re.compile(r"^compose\..+\.ya?ml$")
_COMPOSE_LOOKING = re.compile(r"(compose|stack|swarm)[^/]*\.ya?ml$", re.IGNORECASE)
# this tool's own files: never compose files, whatever their name says
_OWN_FILES = re.compile(r"^\.compose-policy(\.baseline)?\.ya?ml$")
_SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", ".github", ".gitlab", ".circleci"}


class Target(Record):
    """A unit of linting: a recipe folder, or a single compose file standing alone."""

    _fields = ("kind", "name", "root", "file", "explicit", "overlays", "error", "unread")

    def __init__(self, kind: str, name: str, root: str, file: Optional[str] = None, explicit: bool = False,
                 overlays: Optional[List[str]] = None, error: Optional[str] = None,
                 unread: Optional[List[Tuple[str, str]]] = None):
        # "recipe", "file", "python" (a harness module, see pydiscover) or "unreadable"
        # (a folder the walk could not enter)
        self.kind = kind
        self.name = name
        self.root = root  # the recipe folder, or the file's folder
        self.file = file  # for kind == "file"
        self.explicit = explicit  # the user named this file
        self.overlays: List[str] = [] if overlays is None else overlays  # for recipes: every compose.*.yml
        self.error = error  # for kind == "unreadable": why
        self.unread: List[Tuple[str, str]] = [] if unread is None else unread  # recipe folders not listed, why


def _base_file(folder: str) -> Optional[str]:
    for name in BASE_NAMES:
        candidate = os.path.join(folder, name)
        if os.path.isfile(candidate):
            return candidate
    return None


def recipe_overlays(folder: str, refused: Optional[List[OSError]] = None) -> List[str]:
    """Every ``compose.*.yml`` of a recipe, including nested ones like postgres/compose.x.yml;
    the folders that could not be listed go to ``refused``."""
    found = []
    for current, dirs, files in os.walk(folder, onerror=refused.append if refused is not None else None):
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
    refused: List[OSError] = []
    overlays = recipe_overlays(folder, refused)
    return Target("recipe", name, os.path.normpath(folder), overlays=overlays,
                  unread=[(os.path.normpath(e.filename or folder), e.strerror or str(e)) for e in refused])


def discover(path: str, unreadable: bool = False, python: bool = False) -> List[Target]:
    """What to lint under ``path``; with ``unreadable``, folders the walk could not list
    come back as targets of that kind (lint reports them; a fixer has nothing to do there);
    with ``python``, also its harness-looking Python files."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file or directory")
    if os.path.isfile(path):
        if not os.access(path, os.R_OK):
            raise InputError(f"{path}: permission denied")
        folder = os.path.dirname(path) or "."
        kind = "python" if path.endswith(".py") else "file"  # a named .py file is Python, never YAML
        return [Target(kind, os.path.normpath(path), folder, file=os.path.normpath(path), explicit=True)]
    if not os.path.isdir(path):
        raise InputError(f"{path}: not a regular file or folder (a device, pipe or socket); not read")
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: permission denied")
    found = [_recipe(path)] if _base_file(path) else [t for t in _walk(path) if unreadable or t.kind != "unreadable"]
    if python:
        from compose_policy.pydiscover import harness_files

        found += [Target("python", p, os.path.dirname(p), file=p) for p in harness_files(path)]
    return found


def _walk(folder: str) -> Iterable[Target]:
    """Recipes wherever a folder holds compose.yml; every other YAML file on its own; and
    each folder that could not be listed, so that it is reported instead of skipped."""
    claimed = set()
    refused: List[OSError] = []
    for current, dirs, files in os.walk(folder, onerror=refused.append):
        yield from _unreadable(refused)
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        if _base_file(current):
            recipe = _recipe(current)
            claimed.update(recipe.overlays)
            claimed.update(os.path.normpath(os.path.join(current, n)) for n in BASE_NAMES)
            yield recipe
        for name in sorted(files):
            path = os.path.normpath(os.path.join(current, name))
            if (name.endswith((".yml", ".yaml")) and path not in claimed and os.path.isfile(path)
                    and not _is_fix_overlay(current, name) and not _OWN_FILES.match(name)):
                yield Target("file", path, current, file=path, explicit=False)


    yield from _unreadable(refused)


def _unreadable(refused: List[OSError]) -> Iterable[Target]:
    while refused:
        error = refused.pop(0)
        path = os.path.normpath(error.filename or "?")
        yield Target("unreadable", path, path, error=error.strerror or str(error))


def _is_fix_overlay(folder: str, name: str) -> bool:
    """``stack.ccci.yml`` beside ``stack.yml``: an overlay ``fix`` wrote, merged only via -c."""
    match = re.match(r"^(.+)\.ccci\.ya?ml$", name)
    return bool(match) and any(os.path.isfile(os.path.join(folder, match.group(1) + ext)) for ext in (".yml", ".yaml"))


def looks_like_compose_name(path: str) -> bool:
    name = os.path.basename(path)
    return not _OWN_FILES.match(name) and bool(_COMPOSE_LOOKING.search(name))
