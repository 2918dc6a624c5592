"""Where things are in a YAML text: composed nodes with exact marks (libyaml's composer).

The editors use these marks to touch exactly the characters of one scalar, or to insert
lines at the end of one block mapping, and to see when a value is shared through an alias
or a merge key (editing it there would change every place that uses it).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import List, Optional, Set, Tuple

import yaml

try:  # libyaml; its marks count characters, as the editors need
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader  # type: ignore

Pair = Tuple[yaml.Node, yaml.Node]


def compose_all(text: str) -> List[yaml.Node]:
    """The root node of every document; raises yaml.YAMLError."""
    return list(yaml.compose_all(text, Loader=SafeLoader))


def compose_first(text: str) -> Optional[yaml.Node]:
    """The first document's root node (None for an empty document); raises yaml.YAMLError."""
    for node in yaml.compose_all(text, Loader=SafeLoader):
        return node
    return None


def is_merge_key(key: yaml.Node) -> bool:
    return isinstance(key, yaml.ScalarNode) and key.value == "<<" and key.tag == "tag:yaml.org,2002:merge"


def own_pair(mapping: yaml.MappingNode, key: str) -> Optional[Pair]:
    """The last ``key: value`` written in this mapping itself (not through ``<<``)."""
    # indexed once per node: a scan per edit is quadratic on a file with thousands of services
    index = getattr(mapping, "_own_pairs", None)
    if index is None:
        index = {}
        for key_node, value_node in mapping.value:
            if isinstance(key_node, yaml.ScalarNode) and not is_merge_key(key_node):
                index[key_node.value] = (key_node, value_node)
        mapping._own_pairs = index
    return index.get(key)


def merged_has(mapping: yaml.MappingNode, key: str) -> bool:
    """True when ``key`` reaches this mapping through a merge key."""
    for key_node, value_node in mapping.value:
        if not is_merge_key(key_node):
            continue
        sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
        for source in sources:
            if isinstance(source, yaml.MappingNode) and (own_pair(source, key) or merged_has(source, key)):
                return True
    return False


def shared_nodes(root: Optional[yaml.Node]) -> Set[int]:
    """Ids of the nodes that appear more than once in the tree (anchored and aliased)."""
    seen: Counter = Counter()

    def walk(node):
        seen[id(node)] += 1
        if seen[id(node)] > 1:
            return
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                walk(key)
                walk(value)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item)

    if root is not None:
        walk(root)
    return {key for key, count in seen.items() if count > 1}


# what a fix walks is bounded by the text, not by what its aliases expand to
MAX_DEPTH = 100  # compose nests a handful of levels
MIN_EXPANSION = 10_000  # nodes, aliases expanded
EXPANSION_RATIO = 100  # expanded nodes per distinct node; shared x- defaults stay far below


def children(node: yaml.Node) -> List[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def graph_problem(root: Optional[yaml.Node]) -> Optional[str]:
    """Why a composed document is too costly to edit, or None.

    An anchor that contains itself, aliases that expand the document far beyond its own
    size (an alias bomb), nesting deeper than any compose file needs. One pass over the
    distinct nodes, without recursion.
    """
    if root is None:
        return None
    visiting, done = 1, 2
    state: dict = {}
    size: dict = {}
    depth: dict = {}
    distinct = 0
    cap = 1 << 62
    work = [(root, False)]
    while work:
        node, leaving = work.pop()
        key = id(node)
        if leaving:
            kids = children(node)
            size[key] = min(cap, 1 + sum(size[id(k)] for k in kids))
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            state[key] = done
            continue
        if state.get(key) == done:
            continue
        state[key] = visiting
        distinct += 1
        work.append((node, True))
        for kid in children(node):
            seen = state.get(id(kid))
            if seen == visiting:  # on the current path: the anchor holds an alias to itself
                return f"line {kid.start_mark.line + 1}: a YAML anchor contains an alias to itself"
            if seen is None:
                work.append((kid, False))
    limit = max(MIN_EXPANSION, EXPANSION_RATIO * distinct)
    if size[id(root)] > limit:
        return f"its aliases expand to more than {limit} YAML nodes (an alias bomb?)"
    if depth[id(root)] > MAX_DEPTH:
        return f"it nests {depth[id(root)]} levels deep (the limit is {MAX_DEPTH})"
    return None


def is_null(node: yaml.Node) -> bool:
    return isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:null"


def is_empty_null(node: yaml.Node) -> bool:
    """``key:`` with nothing after it."""
    return is_null(node) and node.value == "" and node.start_mark.index == node.end_mark.index


def last_line(node: yaml.Node, lines: List[str]) -> int:
    """0-based index of the last line holding content of ``node`` (trailing blank lines excluded)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(max(last_line(k, lines), last_line(v, lines)) for k, v in node.value)
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return max(last_line(item, lines) for item in node.value)
    mark = node.end_mark
    line = mark.line if mark.column > 0 else mark.line - 1
    line = max(line, node.start_mark.line)
    while line > node.start_mark.line and line < len(lines) and not lines[line].strip():
        line -= 1
    return line


@dataclass
class Located:
    """How far ``path`` exists in a document: the pairs walked, and what is missing."""

    pairs: List[Pair] = field(default_factory=list)
    missing: Tuple[str, ...] = ()
    blocked: str = ""  # why the walk stopped early (not a mapping, shared, merged)

    @property
    def leaf(self) -> Optional[yaml.Node]:
        return self.pairs[-1][1] if self.pairs and not self.missing else None


def locate(root: Optional[yaml.Node], path: Tuple[str, ...], shared: Set[int]) -> Located:
    found = Located()
    node = root
    for depth, key in enumerate(path):
        where = ".".join(path[:depth]) or "the document root"
        if node is None or is_empty_null(node):
            found.missing = path[depth:]
            return found
        if not isinstance(node, yaml.MappingNode):
            found.blocked = f"{where} is not a mapping"
            found.missing = path[depth:]
            return found
        if id(node) in shared:
            found.blocked = f"{where} is a YAML anchor used in other places too"
            found.missing = path[depth:]
            return found
        pair = own_pair(node, key)
        if pair is None:
            if merged_has(node, key):
                found.blocked = f"{'.'.join(path[:depth + 1])} comes from a merge key (<<)"
            found.missing = path[depth:]
            return found
        found.pairs.append(pair)
        node = pair[1]
    if node is not None and id(node) in shared:
        found.blocked = f"{'.'.join(path)} is a YAML anchor used in other places too"
    return found
