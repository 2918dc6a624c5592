"""CP503: which deploys of a module run inside a stack lock."""

from __future__ import annotations

from typing import List, Optional, Set, Tuple

import libcst as cst

from compose_policy.rules._harness import Names, all_calls, ancestors, dotted, last, name_in, parents_of


def _lock_of(node: cst.CSTNode, parents, names: Names) -> Optional[str]:
    """The lock of the innermost ``with`` around ``node`` that takes one, or None."""
    for outer in ancestors(node, parents):
        if isinstance(outer, cst.With):
            for item in outer.items:
                name = dotted(item.item)
                if name_in(name, names.locks):
                    return last(name)
    return None


def _function_of(node: cst.CSTNode, parents) -> Optional[cst.FunctionDef]:
    return next((a for a in ancestors(node, parents) if isinstance(a, cst.FunctionDef)), None)


def deploys_by_lock(tree: cst.Module, names: Names) -> Tuple[List[Tuple[cst.Call, str]], List[cst.Call]]:
    """(deploys that run under a lock, with its name; upgrade redeploys that do not).

    A deploy runs under a lock when a ``with`` of a lock surrounds it, or surrounds a call
    of the function it is in (one level: the common ``with stack_lock(): upgrade()``).
    """
    parents = parents_of(tree)
    calls = all_calls(tree)
    locked_functions = {}  # function name -> lock its callers hold
    for call in calls:
        lock = _lock_of(call, parents, names)
        if lock and isinstance(call.func, (cst.Name, cst.Attribute)):
            locked_functions.setdefault(last(dotted(call.func)), lock)
    locked: List[Tuple[cst.Call, str]] = []
    unlocked: List[cst.Call] = []
    seen: Set[int] = set()
    for call in calls:
        kind = names.deploy_kind(call)
        if kind is None or id(call) in seen:
            continue
        seen.add(id(call))
        lock = _lock_of(call, parents, names)
        function = _function_of(call, parents)
        if lock is None and function is not None:
            lock = locked_functions.get(function.name.value)
        if lock:
            locked.append((call, lock))
        elif kind == "upgrade":
            unlocked.append(call)
    return locked, unlocked
