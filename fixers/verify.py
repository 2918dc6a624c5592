"""Prove an edit before it is written: same data except the edited keys, and no stray lines.

Two independent checks of a new text against the old one:

- the data: both texts are loaded (merge keys resolved, aliases expanded); the old data
  with the edits applied must equal the new data, so a change that also reaches another
  service through an anchor is caught;
- the lines: the only old lines that may change are those of the replaced values; every
  added line must hold YAML content (no blank or comment lines appear or move), and no
  added block may sit right after a blank line, or right after a comment indented less than
  itself: both belong to what follows them.
"""

from __future__ import annotations

import bisect
import difflib
from collections import Counter
from typing import Any, Iterable, List, Optional, Sequence, Set, Tuple

import yaml

from compose_policy.fixers.edit import Edit
from compose_policy.fixers.nodes import SafeLoader


class _TolerantLoader(SafeLoader):
    """SafeLoader that reads unknown tags (``!reset``, ``!override``) as tagged values."""


def _construct_tagged(loader, suffix, node):
    if isinstance(node, yaml.MappingNode):
        return ("!" + suffix, loader.construct_mapping(node, deep=True))
    if isinstance(node, yaml.SequenceNode):
        return ("!" + suffix, loader.construct_sequence(node, deep=True))
    return ("!" + suffix, loader.construct_scalar(node))


_TolerantLoader.add_multi_constructor("!", _construct_tagged)


def _unshare(value: Any) -> Any:
    """A copy in which no dict or list is shared (aliases become independent copies)."""
    if isinstance(value, dict):
        return {k: _unshare(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unshare(v) for v in value]
    return value


def load_all(text: str) -> List[Any]:
    return [_unshare(doc) for doc in yaml.load_all(text, Loader=_TolerantLoader)]


def with_edits(documents: List[Any], edits: Iterable[Edit]) -> List[Any]:
    documents = [_unshare(doc) for doc in documents] or [None]
    for edit in edits:
        if documents[0] is None:
            documents[0] = {}
        node = documents[0]
        for key in edit.path[:-1]:
            if not isinstance(node.get(key), dict):
                node[key] = {}
            node = node[key]
        node[edit.path[-1]] = edit.value
    return documents


def data_problem(old_data: List[Any], new: str, edits: Sequence[Edit]) -> Optional[str]:
    """``old_data``: ``load_all`` of the old text."""
    try:
        expected = with_edits(old_data, edits)
        actual = load_all(new) or [None]
    except (yaml.YAMLError, AttributeError, TypeError) as exc:
        return f"the result cannot be read back: {str(exc).splitlines()[0] if str(exc) else exc}"
    if expected != actual:
        return "the result differs from the intended data (a shared anchor or merge key?)"
    return None


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


SMALL_SEGMENT = 200_000  # old x new lines that difflib may compare directly (it is quadratic)


def _anchors(a: Sequence[str], b: Sequence[str], alo: int, ahi: int, blo: int, bhi: int) -> List[Tuple[int, int]]:
    """Pairs (i, j) of lines found exactly once in a[alo:ahi] and once in b[blo:bhi], equal,
    in an order both sides agree on (the longest increasing run, as patience diff takes)."""
    count_a: Counter = Counter(a[alo:ahi])
    count_b: Counter = Counter(b[blo:bhi])
    where_b = {b[j]: j for j in range(blo, bhi) if count_b[b[j]] == 1}
    pairs = [(i, where_b[a[i]]) for i in range(alo, ahi) if count_a[a[i]] == 1 and a[i] in where_b]
    # longest increasing subsequence of the j's, O(n log n)
    tails: List[int] = []
    links: List[int] = []
    tail_index: List[int] = []
    for index, (_, j) in enumerate(pairs):
        at = bisect.bisect_left(tails, j)
        if at == len(tails):
            tails.append(j)
            tail_index.append(index)
        else:
            tails[at] = j
            tail_index[at] = index
        links.append(tail_index[at - 1] if at else -1)
    chain: List[Tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        chain.append(pairs[index])
        index = links[index]
    return chain[::-1]


def opcodes(a: Sequence[str], b: Sequence[str]) -> List[Tuple[str, int, int, int, int]]:
    """An edit script from ``a`` to ``b`` in difflib's opcode form, in near-linear time.

    Common ends are matched first, then lines unique on both sides anchor the rest
    (patience diff); difflib aligns only the small stretches between anchors. A stretch too
    large for difflib is reported as replaced whole, which the line check then refuses: a
    result that cannot be checked cheaply is not written.
    """
    out: List[Tuple[str, int, int, int, int]] = []
    work = [(0, len(a), 0, len(b))]
    while work:
        alo, ahi, blo, bhi = work.pop()
        start_a, start_b = alo, blo
        while alo < ahi and blo < bhi and a[alo] == b[blo]:
            alo, blo = alo + 1, blo + 1
        if alo > start_a:
            out.append(("equal", start_a, alo, start_b, blo))
        end_a, end_b = ahi, bhi
        while ahi > alo and bhi > blo and a[ahi - 1] == b[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
        if ahi < end_a:
            out.append(("equal", ahi, end_a, bhi, end_b))
        if alo == ahi and blo == bhi:
            continue
        if alo == ahi:
            out.append(("insert", alo, ahi, blo, bhi))
            continue
        if blo == bhi:
            out.append(("delete", alo, ahi, blo, bhi))
            continue
        anchors = _anchors(a, b, alo, ahi, blo, bhi)
        if anchors:
            edges = [(alo - 1, blo - 1)] + anchors + [(ahi, bhi)]
            for (i1, j1), (i2, j2) in zip(edges, edges[1:]):
                if i2 < ahi:
                    out.append(("equal", i2, i2 + 1, j2, j2 + 1))
                work.append((i1 + 1, i2, j1 + 1, j2))
            continue
        if (ahi - alo) * (bhi - blo) > SMALL_SEGMENT:
            out.append(("replace", alo, ahi, blo, bhi))
            continue
        matcher = difflib.SequenceMatcher(None, a[alo:ahi], b[blo:bhi], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            out.append((tag, alo + i1, alo + i2, blo + j1, blo + j2))
    merged: List[Tuple[str, int, int, int, int]] = []
    for op in sorted(out, key=lambda op: (op[1], op[3])):
        if merged and op[0] == "equal" == merged[-1][0]:  # adjacent equal runs read as one
            merged[-1] = ("equal", merged[-1][1], op[2], merged[-1][3], op[4])
        elif op[1] != op[2] or op[3] != op[4]:
            merged.append(op)
    return merged


class AnchoredMatcher(difflib.SequenceMatcher):
    """difflib's matcher with the anchored opcodes above: its grouping, without its quadratic search."""

    def get_opcodes(self):
        return opcodes(self.a, self.b)


def line_problem(old: str, new: str, allowed: Set[int]) -> Optional[str]:
    """``allowed``: 0-based old line numbers that may be replaced."""
    if old and not old.endswith(("\n", "\r")):
        if new.endswith(("\n", "\r")):
            return "a final newline would be added"
        # lines added after a last line without newline give it one: compare as if both had it
        newline = "\r\n" if "\r\n" in old else "\n"
        old, new = old + newline, new + newline
    a = old.splitlines(keepends=True)
    b = new.splitlines(keepends=True)
    for tag, i1, i2, j1, j2 in opcodes(a, b):
        if tag == "equal":
            continue
        if tag == "delete":
            return f"line {i1 + 1} would be removed"
        stray = [i + 1 for i in range(i1, i2) if i not in allowed]
        if stray:
            return f"line {stray[0]} would change: {a[stray[0] - 1].rstrip()!r}"
        for line in b[j1:j2]:
            if _blank(line) or _comment(line):
                return f"a blank or comment line would be added or moved: {line.rstrip()!r}"
        if tag == "insert" and j1 > 0:
            before = b[j1 - 1]
            if _blank(before):
                return f"new lines would follow a blank line at line {j1}"
            if _comment(before) and _indent(before) < _indent(b[j1]):
                return f"new lines would follow the comment at line {j1}, which introduces what comes after it"
    return None


def edit_problem(old: str, old_data: List[Any], new: str, edits: Sequence[Edit],
                 allowed: Set[int]) -> Optional[str]:
    return line_problem(old, new, allowed) or data_problem(old_data, new, edits)
