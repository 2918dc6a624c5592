"""Apply edits with ruamel's round-trip loader and dumper."""

from __future__ import annotations

from typing import Any, Sequence

from ruamel.yaml.comments import CommentedBase, CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from compose_policy.fixers.edit import Edit, EditRefused
from compose_policy.fixers.yaml_rt import Style, dump, round_trip_yaml


def _anchored(node: Any) -> bool:
    return isinstance(node, CommentedBase) and getattr(node.anchor, "value", None) is not None


def _styled(value: Any, old: Any) -> Any:
    """A new string keeps the quote style of the one it replaces."""
    if isinstance(value, str):
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(value)
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(value)
    return value


def _set(data: CommentedMap, edit: Edit) -> None:
    node = data
    *parents, leaf = edit.path
    for depth, key in enumerate(parents):
        where = ".".join(edit.path[:depth]) or "the document root"
        if not isinstance(node, CommentedMap):
            raise EditRefused(f"{where} is not a mapping")
        if _anchored(node):
            raise EditRefused(f"{where} is a YAML anchor")
        if key in node and key not in node._ok:
            raise EditRefused(f"{'.'.join(edit.path[:depth + 1])} comes from a merge key (<<)")
        child = node.get(key)
        if child is None:
            child = CommentedMap()
            node[key] = child
        node = child
    if not isinstance(node, CommentedMap) or _anchored(node):
        raise EditRefused(f"{'.'.join(parents)} is not a plain mapping")
    if leaf in node and leaf not in node._ok:
        raise EditRefused(f"{edit.dotted()} comes from a merge key (<<)")
    old = node.get(leaf)
    if isinstance(old, (CommentedMap, CommentedSeq)) or _anchored(old):
        raise EditRefused(f"{edit.dotted()} holds a collection or an anchor, not a plain value")
    node[leaf] = _styled(edit.value, old)


def apply_rt(text: str, edits: Sequence[Edit], style: Style) -> str:
    rt = round_trip_yaml(style)
    documents = list(rt.load_all(text))
    if len(documents) > 1:
        raise EditRefused("the file holds several YAML documents")
    data = documents[0] if documents else None
    if data is None:
        data = CommentedMap()
    if not isinstance(data, CommentedMap):
        raise EditRefused("the document is not a mapping")
    for edit in edits:
        _set(data, edit)
    return dump(rt, data, style)
