"""What a fleet scan reads: which recipes (PATHs, --enrolled, abra's folder), their CI overlays.

The base run is a plain lint run over the same paths, so the report's totals are lint's.
A recipe with a CI overlay is linted once more with the overlay appended to its file set,
exactly as CI deploys it (``COMPOSE_FILE=compose.yml:...:compose.ccci.yml``).
"""

from __future__ import annotations

import os
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from compose_policy.discover import discover
from compose_policy.engine import LintOptions, LintResult, lint_paths
from compose_policy.errors import InputError
from compose_policy.stack import LoadOptions

RECIPE_PLACEHOLDER = "{recipe}"
OVERLAY_NAMES = ("compose.ccci.yml", "compose.ccci.yaml")
MAX_ENROLLED_BYTES = 1 << 20  # a list of recipe names; anything bigger is not one


def abra_recipes_dir(environ=os.environ) -> str:
    """abra's recipe folder: ``$ABRA_DIR/recipes``, else ``~/.abra/recipes``."""
    base = environ.get("ABRA_DIR") or os.path.join(os.path.expanduser("~"), ".abra")
    return os.path.join(base, "recipes")


def default_paths(environ=os.environ) -> List[str]:
    folder = abra_recipes_dir(environ)
    if not os.path.isdir(folder):
        where = "$ABRA_DIR/recipes" if environ.get("ABRA_DIR") else "~/.abra/recipes"
        raise InputError(f"no PATH given and no abra recipe folder at {folder} ({where}): give a PATH")
    return [folder]


def read_enrolled(path: str) -> List[str]:
    """Recipe names, one a line; ``#`` starts a comment; blank lines are skipped."""
    if not os.path.isfile(path):
        raise InputError(f"{path}: --enrolled must be a regular file")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_ENROLLED_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if len(data) > MAX_ENROLLED_BYTES:
        raise InputError(f"{path}: larger than 1 MiB, not a list of recipe names")
    names = []
    for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        name = line.split("#", 1)[0].strip()
        if not name:
            continue
        if "/" in name or name in (".", "..") or any(ord(c) < 32 for c in name):
            raise InputError(f"{path}:{number}: not a recipe name")
        names.append(name)
    return list(dict.fromkeys(names))


def enrolled_roots(paths: Sequence[str], names: Sequence[str]) -> Tuple[List[str], List[str]]:
    """The recipe folders under ``paths`` whose name is enrolled, and the names found nowhere."""
    wanted = set(names)
    roots: List[str] = []
    found = set()
    for path in paths:
        direct = [os.path.join(path, name) for name in names]
        if os.path.isdir(path) and all(os.path.isdir(d) for d in direct):
            candidates = [t for d in direct for t in discover(d)]  # a folder of recipes: no walk needed
        else:
            candidates = discover(path)
        for target in candidates:
            if target.kind == "recipe" and target.name in wanted and target.root not in roots:
                roots.append(target.root)
                found.add(target.name)
    return roots, [n for n in names if n not in found]


def overlay_files(template: str, recipe: str) -> List[str]:
    """The CI overlay of a recipe: TEMPLATE with {recipe} replaced, a file or a folder holding compose.ccci.yml."""
    path = template.replace(RECIPE_PLACEHOLDER, recipe)
    if os.path.isfile(path):
        return [path]
    if os.path.isdir(path):
        return [os.path.join(path, n) for n in OVERLAY_NAMES if os.path.isfile(os.path.join(path, n))][:1]
    return []


def check_template(template: str) -> None:
    if RECIPE_PLACEHOLDER not in template:
        raise InputError(f"--overlay-dir {template!r} has no {RECIPE_PLACEHOLDER} (e.g. ci/tests/{{recipe}})")


def with_load(options: LintOptions, load: LoadOptions) -> LintOptions:
    """The same options (whatever fields they have) with another file set."""
    import copy

    clone = copy.copy(options)
    clone.load = load
    return clone


def lint_with_overlay(stack, overlays: Sequence[str], options: LintOptions) -> LintResult:
    """The recipe linted with ``overlays`` after its own file set, as CI deploys it."""
    root = stack.target.root
    files = [os.path.relpath(f, root) for f in list(stack.file_set) + list(overlays)]
    load = LoadOptions(compose_files=tuple(files), env_file=options.load.env_file)
    return lint_paths([root], with_load(options, load))


def judge_overlays(result: LintResult, template: str, options: LintOptions,
                   on_recipe: Optional[Callable[[str], None]] = None) -> Dict[int, tuple]:
    """id(stack) -> (overlay files, LintResult with them) for every valid recipe that has a CI overlay."""
    out: Dict[int, tuple] = {}
    for stack in result.stacks:
        if stack.recipe is None or not stack.valid or not stack.file_set:
            continue
        files = overlay_files(template, stack.name)
        if not files:
            continue
        if on_recipe is not None:
            on_recipe(stack.name)
        out[id(stack)] = (files, lint_with_overlay(stack, files, options))
    return out


def audit_overlays(result: LintResult, judged: Dict[int, tuple], options: LintOptions) -> list:
    """The overlay audit of every judged recipe, in recipe order."""
    from compose_policy.overlay_audit import audit_overlay

    audits = []
    for run in result.runs:
        if id(run.stack) not in judged:
            continue
        files, with_result = judged[id(run.stack)]
        for overlay in files:
            others = [f for f in files if f != overlay]

            def relint(variant, stack=run.stack, others=others):
                return lint_with_overlay(stack, others + [variant], options)

            audits.append(audit_overlay(run.stack, run.findings, overlay, with_result, relint))
    return audits
