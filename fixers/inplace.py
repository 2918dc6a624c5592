"""In-place mode: each fix is written into the file of the set that decides the value.

- the key is set somewhere: the file whose value wins the merge (the last one that sets it);
- the key is set nowhere: the first file of the set that defines the service, normally the
  base compose.yml (a service added by an overlay gets the key in that overlay). A later
  optional overlay is never the place for it: the fix would vanish whenever that overlay
  is left out of COMPOSE_FILE.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

from compose_policy.fixers.edit import Edit
from compose_policy.fixers.plan import PlannedFix
from compose_policy.model import Applicability, Mapping
from compose_policy.stack import Stack


def deciding_file(stack: Stack, fix: PlannedFix) -> str:
    service = stack.services.get(fix.service)
    node = service.get(*fix.key_path) if service is not None else None
    if node is not None and node.pos.path in stack.file_set:
        return node.pos.path
    for path in stack.file_set:
        root = stack.documents[path].root
        services = root.get("services") if isinstance(root, Mapping) else None
        if isinstance(services, Mapping) and fix.service in services.items:
            return path
    return stack.file_set[0]


@dataclass
class FileEdits:
    path: str
    fixes: List[PlannedFix] = field(default_factory=list)

    def edits(self) -> List[Edit]:
        return [Edit(("services", f.service) + f.key_path, f.value) for f in self.fixes]


def edits_by_file(stack: Stack, fixes: Sequence[PlannedFix]) -> List[FileEdits]:
    grouped: Dict[str, FileEdits] = OrderedDict()
    for fix in fixes:
        path = deciding_file(stack, fix)
        grouped.setdefault(path, FileEdits(path)).fixes.append(fix)
    return list(grouped.values())


def split_by_safety(fixes: Sequence[PlannedFix], unsafe: bool) -> Tuple[List[PlannedFix], List[PlannedFix]]:
    """(to apply, held back): unsafe fixes only with ``--unsafe-fixes``."""
    apply, held = [], []
    for fix in fixes:
        (apply if unsafe or fix.applicability is Applicability.SAFE else held).append(fix)
    return apply, held
