"""The comment block at the top of an overlay that says what each fix does and why.

The block sits between two marker lines and holds one note per key the fixer wrote, keyed
by service and key path. A later run replaces a note for the same key where it stands,
keeps the others as they are, appends new ones, and leaves every line outside the block
alone (the overlay's own comments included).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from compose_policy.fixers.edit import EditRefused, visible

BEGIN = "# compose-policy fix: "
END = "# compose-policy fix: end of notes"
WIDTH = 100


@dataclass(frozen=True)
class Reason:
    code: str
    name: str
    why: str

    def text(self) -> str:
        why = self.why
        prefix = f"{self.code} {self.name}:"
        if why.startswith(prefix):  # a rule may already start its reason with its code and name
            why = why[len(prefix):].strip()
        return f"{self.code} {self.name}: {why}"


@dataclass(frozen=True)
class Note:
    service: str
    key_path: Tuple[str, ...]
    value_text: str
    was: str  # the value before, as written, or "unset"
    reasons: Tuple[Reason, ...]
    disable: str  # how to stop using the overlay: "leave compose.ccci.yml out of COMPOSE_FILE"

    @property
    def identity(self) -> str:
        return f"# [{visible(self.service)}] {visible('.'.join(self.key_path))}:"

    def lines(self) -> List[str]:
        # names and values come from the recipe: escaped, so that none can end the comment line
        out = [f"{self.identity} {visible(self.value_text)} (was: {visible(self.was)})"]
        for reason in self.reasons:
            out += textwrap.wrap(visible(reason.text()), WIDTH, initial_indent="#   ", subsequent_indent="#     ",
                                 break_long_words=False, break_on_hyphens=False)
        dotted = visible(".".join(("services", self.service) + self.key_path))
        out += textwrap.wrap(f"Undo: delete {dotted} below, or {visible(self.disable)}.",
                             WIDTH, initial_indent="#   ", subsequent_indent="#     ",
                             break_long_words=False, break_on_hyphens=False)
        return out


INTRO_STARTS = (BEGIN, "# Enable: ", "# One note per key below:")


def intro(enable: str) -> List[str]:
    return [
        f"{BEGIN}rollout fixes as an overlay; the stack's own files stay as they are.",
        f"# Enable: {visible(enable)}",
        "# One note per key below: the rule and its evidence, the value it replaces, how to undo it.",
    ]


def _written_here(line: str) -> bool:
    """Whether a line of the block has the shape of what this module writes."""
    return line.startswith(INTRO_STARTS) or line.startswith(("# [", "#   ")) or line == END


def foreign_line(lines: List[str], start: int, end: int) -> int:
    """0-based index of the first line of the block this module did not write, or -1."""
    for index in range(start, end):
        if not _written_here(lines[index].rstrip("\r\n")):
            return index
    return -1


def _split_entries(block: List[str]) -> List[List[str]]:
    entries: List[List[str]] = []
    for line in block:
        if line.startswith("# ["):
            entries.append([line])
        elif entries and line.startswith("#   "):
            entries[-1].append(line)
    return entries


def _find_block(lines: List[str]) -> Tuple[int, int]:
    """(first, last + 1) of the managed block, or (0, 0) when there is none."""
    for start, line in enumerate(lines):
        if line.rstrip("\r\n").startswith(BEGIN) and line.rstrip("\r\n") != END:
            for end in range(start + 1, len(lines)):
                if lines[end].rstrip("\r\n") == END:
                    return start, end + 1
            return 0, 0
    return 0, 0


def update_notes(text: str, notes: Sequence[Note], enable: str, newline: str = "\n") -> str:
    """``text`` with its notes block updated for ``notes`` (created at the top when absent)."""
    lines = text.splitlines(keepends=True)
    start, end = _find_block(lines)
    foreign = foreign_line(lines, start, end)
    if foreign >= 0:  # the block is rewritten as a whole: what someone else put there would vanish
        raise EditRefused(f"line {foreign + 1} sits between the compose-policy note markers but was not "
                          "written by compose-policy; move it out of the notes block")
    old_entries = _split_entries([line.rstrip("\r\n") for line in lines[start:end]])
    entries = list(old_entries)
    for note in notes:
        new = note.lines()
        for index, entry in enumerate(entries):
            if entry[0].startswith(note.identity + " "):
                entries[index] = new
                break
        else:
            entries.append(new)
    block = intro(enable) + [line for entry in entries for line in entry] + [END]
    lines[start:end] = [line + newline for line in block]
    return "".join(lines)
