"""Edit a YAML text so that only the lines the edits need change, or refuse.

Two engines, tried in this order, and a result is returned only after ``verify`` accepted it:

- minimal text changes at the marks of the composed document (``textedit``): one scalar's
  characters replaced, or the missing keys inserted as new lines. Byte-exact by
  construction wherever the document is in block style;
- ruamel's round trip (``rtedit``), for what the text editor does not handle (a new key in a
  flow-style mapping such as ``deploy: {mode: global}``). ruamel normalises some layouts
  (blank lines holding spaces, flow spacing, comment placement), so its result is accepted
  only when the line check finds no change outside the lines the edit needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Set

import yaml
from ruamel.yaml.error import YAMLError as RuamelError

from compose_policy.fixers.edit import Edit, EditRefused, Unreachable
from compose_policy.fixers.nodes import compose_all, graph_problem, is_empty_null, locate, shared_nodes
from compose_policy.fixers.rtedit import apply_rt
from compose_policy.fixers.textedit import apply_text
from compose_policy.fixers.verify import edit_problem, load_all
from compose_policy.fixers.yaml_rt import detect_style


@dataclass
class EditResult:
    text: str
    engine: str  # "text", "ruamel", or "none" when nothing had to change
    edits: List[Edit]


def _lines_of(node: yaml.Node) -> range:
    return range(node.start_mark.line, node.end_mark.line + 1)


def replaceable_lines(root: Optional[yaml.Node], edits: Sequence[Edit]) -> Set[int]:
    """Old lines an edit may rewrite: the value it replaces, an empty parent, a flow parent."""
    shared = shared_nodes(root)
    lines: Set[int] = set()
    for edit in edits:
        found = locate(root, edit.path, shared)
        if found.blocked:
            continue
        if not found.missing:
            lines.update(_lines_of(found.leaf))
            lines.add(found.pairs[-1][0].start_mark.line)
        elif found.pairs:
            key, parent = found.pairs[-1]
            if is_empty_null(parent):
                lines.add(key.start_mark.line)
            elif isinstance(parent, yaml.MappingNode) and parent.flow_style:
                lines.update(_lines_of(parent))
    return lines


_MISSING = object()


def _current(documents: List[Any], path) -> Any:
    node = documents[0] if documents else None
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return _MISSING
        node = node[key]
    return node


def _holds(documents: List[Any], edit: Edit) -> bool:
    current = _current(documents, edit.path)
    return type(current) is type(edit.value) and current == edit.value


def apply_edits(text: str, edits: Sequence[Edit], indent: Optional[int] = None) -> EditResult:
    """``indent``: the indent step for a text that has no nested mapping to measure it from."""
    try:
        roots = compose_all(text)
        if len(roots) > 1:
            raise EditRefused("the file holds several YAML documents")
        problem = graph_problem(roots[0] if roots else None)
        if problem:  # checked before anything expands the aliases
            raise EditRefused(f"not edited: {problem}")
        old_data = load_all(text)
    except yaml.YAMLError as exc:
        raise EditRefused(f"not readable as YAML: {str(exc).splitlines()[0]}") from None
    todo = [e for e in edits if not _holds(old_data, e)]
    if not todo:
        return EditResult(text, "none", [])
    root = roots[0] if roots else None
    style = detect_style(text, indent or 2, root)
    allowed = replaceable_lines(root, todo)
    try:
        result = apply_text(text, todo, style)
        reason = edit_problem(text, old_data, result, todo, allowed)
        if reason is None:
            return EditResult(result, "text", todo)
    except Unreachable:
        raise
    except EditRefused as exc:
        reason = str(exc)
    try:
        result = apply_rt(text, todo, style)
        problem = edit_problem(text, old_data, result, todo, allowed)
        if problem is None:
            return EditResult(result, "ruamel", todo)
    except (EditRefused, RuamelError, ValueError, TypeError, KeyError, AttributeError):
        pass  # the second engine is a last resort: its failure leaves the first one's reason
    raise EditRefused(reason)
