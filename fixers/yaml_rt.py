"""A ruamel round-trip YAML set up to write a file back the way its author wrote it.

The file's own layout is measured first (mapping indent, sequence indent and dash offset,
``---`` start marker, line endings, final newline) and ruamel is configured with it: quotes
preserved, no re-wrapping of long lines. ruamel keeps ``0555``-style ints with their
leading zero. What ruamel still normalises (blank lines holding spaces, flow spacing, ...)
is caught by the line check in ``verify`` before anything is written.
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from typing import Any

import yaml
from ruamel.yaml import YAML

from compose_policy.fixers.nodes import compose_first

WIDTH = 1 << 30  # never fold a long line


@dataclass(frozen=True)
class Style:
    mapping: int = 2  # columns from a key to its child keys
    sequence: int = 2  # columns from a key to the content of its list items
    offset: int = 0  # columns from a key to the dash of its list items
    explicit_start: bool = False
    newline: str = "\n"
    final_newline: bool = True


def _starts_with_marker(text: str) -> bool:
    for line in text.splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            return stripped == "---" or stripped.startswith("--- ")
    return False


def detect_style(text: str, default_indent: int = 2, root: Any = None) -> Style:
    """``root``: the composed first document, when the caller has it already."""
    maps: Counter = Counter()
    seqs: Counter = Counter()
    offsets: Counter = Counter()

    def walk(top):
        # each node once: an alias repeats its anchor's marks, and an alias bomb or a
        # recursive anchor must cost no more than the text itself
        seen = set()
        work = [top] if top is not None else []
        while work:
            node = work.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if isinstance(value, yaml.MappingNode) and not value.flow_style and value.value:
                        maps[value.value[0][0].start_mark.column - key.start_mark.column] += 1
                    if isinstance(value, yaml.SequenceNode) and not value.flow_style and value.value:
                        offsets[value.start_mark.column - key.start_mark.column] += 1
                        seqs[value.value[0].start_mark.column - key.start_mark.column] += 1
                    work.append(value)
            elif isinstance(node, yaml.SequenceNode):
                work.extend(node.value)

    try:
        walk(root if root is not None else compose_first(text))
    except yaml.YAMLError:
        pass
    mapping = maps.most_common(1)[0][0] if maps else default_indent
    offset = offsets.most_common(1)[0][0] if offsets else 0
    sequence = seqs.most_common(1)[0][0] if seqs else offset + 2
    newline = "\r\n" if "\r\n" in text else "\n"
    return Style(
        mapping=max(mapping, 1), sequence=max(sequence, offset + 2), offset=max(offset, 0),
        explicit_start=_starts_with_marker(text), newline=newline,
        final_newline=not text or text.endswith("\n"),
    )


def round_trip_yaml(style: Style) -> YAML:
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = WIDTH
    rt.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    rt.explicit_start = style.explicit_start
    return rt


def dump(rt: YAML, data: Any, style: Style) -> str:
    out = io.StringIO()
    rt.dump(data, out)
    text = out.getvalue()
    if not style.final_newline:
        text = text[:-1] if text.endswith("\n") else text
    if style.newline != "\n":
        text = text.replace("\n", style.newline)
    return text
