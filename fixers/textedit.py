"""Apply edits as minimal text changes: replace one scalar's characters, or insert lines.

All edits are placed from one parse of the text. A new key goes at the end of the block
mapping that should hold it, after that mapping's last line of content and the comment lines
indented at least as deep as its keys, never after a blank line; its indentation is the
mapping's own, nested levels use the file's indent step. Edits that add keys under the
same mapping share one inserted block.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Sequence, Tuple

import yaml

from compose_policy.fixers.edit import Edit, EditRefused, Unreachable, interpolated, render_key, render_scalar
from compose_policy.fixers.nodes import compose_first, is_empty_null, last_line, locate, shared_nodes
from compose_policy.fixers.yaml_rt import Style


@dataclass
class _Insertion:
    """New keys to insert before one line, at one indentation."""

    line: int
    indent: int
    keys: Dict[str, Any] = field(default_factory=dict)  # nested dicts; leaves are _Leaf

    def add(self, path: Tuple[str, ...], value: Any, where: str) -> None:
        node = self.keys
        for key in path[:-1]:
            child = node.setdefault(key, {})
            if isinstance(child, _Leaf):
                raise EditRefused(f"{where}.{key} is set as a value and as a mapping")
            node = child
        if isinstance(node.get(path[-1]), dict):
            raise EditRefused(f"{where}.{path[-1]} is set as a value and as a mapping")
        node[path[-1]] = _Leaf(value)

    def render(self, step: int, newline: str) -> str:
        out: List[str] = []

        def emit(keys: Dict[str, Any], indent: int) -> None:
            for key, value in keys.items():
                pad = " " * indent
                if isinstance(value, _Leaf):
                    out.append(f"{pad}{render_key(key)}: {render_scalar(value.value)}{newline}")
                else:
                    out.append(f"{pad}{render_key(key)}:{newline}")
                    emit(value, indent + step)

        emit(self.keys, self.indent)
        return "".join(out)


@dataclass(frozen=True)
class _Leaf:
    value: Any


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _replacement(node: yaml.ScalarNode, value: Any, where: str) -> Tuple[int, int, str]:
    """(start, end, text) replacing a scalar's characters."""
    if is_empty_null(node):  # `key:` with nothing: write the value after the colon
        return node.start_mark.index, node.start_mark.index, " " + render_scalar(value)
    if node.style in ("|", ">"):
        raise EditRefused(f"{where} is a block scalar")
    if node.start_mark.line != node.end_mark.line:
        raise EditRefused(f"{where} spans several lines")
    quote = node.style if node.style in ('"', "'") else None
    return node.start_mark.index, node.end_mark.index, render_scalar(value, quote)


def _insertion_point(root, found, path, lines: List[str], step: int) -> Tuple[int, int]:
    """(line to insert before, indentation) for the keys missing under the deepest existing mapping."""
    if not found.pairs:
        if root is None:
            return len(lines), 0
        parent_key, mapping = None, root
    else:
        parent_key, mapping = found.pairs[-1]
    where = ".".join(path[:len(found.pairs)]) or "the document"
    if parent_key is not None and is_empty_null(mapping):  # `deploy:` with nothing: keys go below it
        return parent_key.start_mark.line + 1, parent_key.start_mark.column + step
    if not isinstance(mapping, yaml.MappingNode) or not mapping.value:
        raise EditRefused(f"{where} is not a block mapping")
    if mapping.flow_style:
        raise EditRefused(f"{where} is written in flow style ({{...}})")
    indent = mapping.value[0][0].start_mark.column
    index = last_line(mapping, lines) + 1
    while index < len(lines) and _is_comment(lines[index]) and _indent_of(lines[index]) >= indent:
        index += 1
    return index, indent


def apply_text(text: str, edits: Sequence[Edit], style: Style) -> str:
    try:
        root = compose_first(text)
    except yaml.YAMLError as exc:
        raise EditRefused(f"not readable as YAML: {str(exc).splitlines()[0]}") from None
    shared = shared_nodes(root)
    lines = text.splitlines(keepends=True)
    replacements: List[Tuple[int, int, str]] = []
    insertions: Dict[Tuple[int, int], _Insertion] = {}
    for edit in edits:
        found = locate(root, edit.path, shared)
        if found.blocked:
            raise Unreachable(found.blocked)
        if not found.missing:
            if not isinstance(found.leaf, yaml.ScalarNode):
                raise EditRefused(f"{edit.dotted()} holds a collection, not a plain value")
            if interpolated(found.leaf.value):  # a literal would silently drop the user's override
                raise Unreachable(f"{edit.dotted()} is set by a ${{VARIABLE}}: change the "
                                  "value where the variable is set, or fix with an overlay (without --in-place)")
            replacements.append(_replacement(found.leaf, edit.value, edit.dotted()))
            continue
        line, indent = _insertion_point(root, found, edit.path, lines, style.mapping)
        insertion = insertions.setdefault((line, indent), _Insertion(line, indent))
        insertion.add(found.missing, edit.value, ".".join(edit.path[:len(found.pairs)]) or "the document")

    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    # (start, end, rank, text), applied from the end of the text backwards; blocks inserted at
    # one place go innermost first (the last applied lands first), so rank = -indent
    changes = [(start, end, 0, new) for start, end, new in replacements]
    for insertion in insertions.values():
        block = insertion.render(style.mapping, style.newline)
        if insertion.line >= len(lines) and lines and not lines[-1].endswith(("\n", "\r")):
            block = style.newline + block[: -len(style.newline)]  # keep the missing final newline missing
        at = starts[min(insertion.line, len(lines))]
        changes.append((at, at, -insertion.indent, block))
    # pieces joined once: one splice per change would copy the whole text every time
    pieces: List[str] = []
    cursor = len(text)
    for start, end, _, new in sorted(changes, key=lambda c: c[:3], reverse=True):
        pieces.append(text[end:cursor])
        pieces.append(new)
        cursor = start
    pieces.append(text[:cursor])
    return "".join(reversed(pieces))
