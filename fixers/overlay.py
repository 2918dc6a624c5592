"""Overlay mode: the fixes as a compose file merged after the stack's own files.

Where the overlay goes:

- a recipe: ``compose.ccci.yml`` in the recipe folder; ``--overlay NAME`` picks another name
  or a nested path inside the recipe; ``--overlay-dir DIR`` puts it in DIR instead, where
  ``{recipe}`` stands for the recipe's name (``tests/{recipe}``, as CI repositories keep them);
- a lone compose file ``NAME.yml``: ``NAME.ccci.yml`` beside it (``{recipe}`` is then NAME).

The overlay holds only the keys the fixes set, with literal values, the base file's
``version:``, and a notes block saying why. An existing overlay is edited like any other
file: its other keys, comments and order stay.
"""

from __future__ import annotations

import os
import re
from typing import List, Optional, Sequence, Tuple

from compose_policy.discover import Target
from compose_policy.errors import InputError
from compose_policy.fixers.edit import Edit, EditRefused, render_scalar
from compose_policy.fixers.notes import Note, update_notes
from compose_policy.fixers.plan import PlannedFix
from compose_policy.fixers.relint import is_recipe
from compose_policy.fixers.yaml_rt import detect_style
from compose_policy.fixers.verify import load_all
from compose_policy.fixers.yamledit import apply_edits
from compose_policy.model import Mapping, Scalar
from compose_policy.stack import Stack

DEFAULT_NAME = "compose.ccci.yml"
PLACEHOLDER = "{recipe}"


def stem(target: Target) -> str:
    """The name ``{recipe}`` stands for: the recipe, or a lone file's name without extension."""
    if is_recipe(target):
        return target.name
    return os.path.splitext(os.path.basename(target.file))[0]


def default_name(target: Target) -> str:
    if is_recipe(target):
        return DEFAULT_NAME
    name, ext = os.path.splitext(os.path.basename(target.file))
    return f"{name}.ccci{ext or '.yml'}"


def overlay_path(target: Target, name: Optional[str], directory: Optional[str]) -> str:
    name = name or default_name(target)
    if directory:
        folder = directory.replace(PLACEHOLDER, stem(target))
        return os.path.normpath(os.path.join(folder, name))
    return os.path.normpath(os.path.join(target.root, name))


def check_layout(targets: Sequence[Target], name: Optional[str], directory: Optional[str]) -> None:
    """Refuse options that would make two stacks write one overlay."""
    seen = {}
    for target in targets:
        path = os.path.abspath(overlay_path(target, name, directory))
        if path in seen:
            hint = f" (put {PLACEHOLDER} in --overlay-dir)" if directory and PLACEHOLDER not in directory else ""
            raise InputError(f"{seen[path]} and {target.name} would both write {path}{hint}")
        seen[path] = target.name


def check_inside(targets: Sequence[Target], name: Optional[str]) -> None:
    """Refuse an --overlay path that leads out of its recipe (``../x.yml``, an absolute path)."""
    for target in targets:
        path = overlay_path(target, name, None)
        root = os.path.realpath(target.root)
        real = os.path.realpath(path)
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise InputError(f"--overlay {name or path}: {real} is outside {target.root}; "
                             "pass --allow-outside to write there")


def entry_for(stack: Stack, overlay: str) -> Tuple[str, bool]:
    """The overlay's COMPOSE_FILE entry, and whether it sits inside the recipe folder.

    An overlay kept elsewhere (``--overlay-dir``) is meant to be copied next to the base
    file, so its entry is its file name.
    """
    rel = os.path.relpath(overlay, stack.target.root)
    inside = not rel.startswith(os.pardir + os.sep) and rel != os.pardir and not os.path.isabs(rel)
    return (rel.replace(os.sep, "/") if inside else os.path.basename(overlay)), inside


def compose_file_value(stack: Stack, overlay: str) -> str:
    """``compose.yml:...:compose.ccci.yml``: the stack's file set with the overlay last."""
    entry, _ = entry_for(stack, overlay)
    names = [os.path.relpath(p, stack.target.root).replace(os.sep, "/") for p in stack.file_set
             if os.path.normpath(p) != os.path.normpath(overlay)]
    return ":".join(names + [entry])


def enable_hint(stack: Stack, overlay: str) -> str:
    """How to use the overlay: a COMPOSE_FILE value for a recipe, a deploy command for a lone file."""
    entry, _ = entry_for(stack, overlay)
    if is_recipe(stack.target):
        return f'COMPOSE_FILE="{compose_file_value(stack, overlay)}"'
    names = [os.path.relpath(p, stack.target.root).replace(os.sep, "/") for p in stack.file_set
             if os.path.normpath(p) != os.path.normpath(overlay)]  # every -c file, then the overlay
    return "docker stack deploy " + " ".join(f"-c {name}" for name in names + [entry])


def disable_hint(stack: Stack, overlay: str) -> str:
    entry, _ = entry_for(stack, overlay)
    if is_recipe(stack.target):
        return f"leave {entry} out of COMPOSE_FILE"
    return f"deploy without -c {entry}"


_VERSION = re.compile(r"^version\s*:\s*(?P<value>[^#\r\n]*?)\s*(?:#.*)?$")


def version_line(stack: Stack, newline: str) -> str:
    """The base file's ``version:`` line, value written exactly as there ('' when it has none)."""
    base = stack.file_set[0]
    root = stack.documents[base].root
    if not isinstance(root, Mapping) or "version" not in root.items:
        return ""
    line = root.key_pos["version"].line
    text = stack.texts[base].splitlines()[line - 1]
    match = _VERSION.match(text)
    if match and match.group("value"):
        return f"version: {match.group('value')}{newline}"
    value = root.items["version"]
    return f"version: {render_scalar(str(value.plain()), quote=chr(34))}{newline}" if isinstance(value, Scalar) else ""


def was_text(stack: Stack, fix: PlannedFix, overlay: str) -> str:
    """The value the stack has without the overlay (what undoing the fix brings back)."""
    for path in reversed(stack.file_set):
        if os.path.normpath(path) == os.path.normpath(overlay):
            continue
        root = stack.documents[path].root
        node = root.get("services", fix.service, *fix.key_path) if isinstance(root, Mapping) else None
        if isinstance(node, Scalar) and node.value is not None:
            return str(node.raw)
    return "unset"


def notes_for(stack: Stack, fixes: Sequence[PlannedFix], overlay: str) -> List[Note]:
    disable = disable_hint(stack, overlay)
    return [Note(f.service, f.key_path, render_scalar(f.value), was_text(stack, f, overlay), tuple(f.reasons),
                 disable) for f in fixes]


def overlay_text(stack: Stack, existing: Optional[str], fixes: Sequence[PlannedFix], overlay: str) -> str:
    """The overlay with ``fixes`` merged in (``existing`` itself when nothing changes)."""
    base_text = stack.texts[stack.file_set[0]]
    base_style = detect_style(base_text)
    if existing is None:
        start = version_line(stack, base_style.newline)
        indent = base_style.mapping
    else:
        start = existing
        indent = None
    edits = [Edit(("services", f.service) + f.key_path, f.value) for f in fixes]
    result = apply_edits(start, edits, indent=indent)
    if not result.edits and existing is not None:
        return existing
    changed = [f for f in fixes if Edit(("services", f.service) + f.key_path, f.value) in result.edits]
    style = detect_style(result.text)
    text = update_notes(result.text, notes_for(stack, changed, overlay), enable_hint(stack, overlay), style.newline)
    # the notes are comments: the overlay must read back as exactly the data the edits proved
    if load_all(text) != load_all(result.text):
        raise EditRefused("the notes block would change the overlay's data; nothing written")
    return text
