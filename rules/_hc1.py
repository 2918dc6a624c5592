"""CP502: the ways a harness's deployed-commit check (HC1) is made unable to fail."""

from __future__ import annotations

from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

from compose_policy.rules._harness import (
    ENV_READS, SKIP_CALLS, SKIP_MARKS, ancestors, all_calls, catches_assertion, code, deployed_side, dotted,
    expected_side, has_raise, is_commit_comparison, last, log_calls, name_in, parents_of,
)


def check_sites(tree: cst.Module, names: Sequence[str]) -> List[cst.CSTNode]:
    """The commit checks: calls to ``names`` and asserts of a deployed/expected comparison."""
    sites: List[cst.CSTNode] = []

    class Collect(cst.CSTVisitor):
        def visit_Call(self, node):
            if name_in(dotted(node.func), names):
                sites.append(node)

        def visit_Assert(self, node):
            if is_commit_comparison(tree, node.test):
                sites.append(node)

    tree.visit(Collect())
    return sites


def _in_field(node: cst.CSTNode, parent: cst.CSTNode, field: str, parents: Dict) -> bool:
    """Whether ``node`` lies inside ``getattr(parent, field)``."""
    target = getattr(parent, field, None)
    if target is None:
        return False
    return node is target or any(a is target for a in ancestors(node, parents))


def swallowed(site, parents) -> Optional[str]:
    for outer in ancestors(site, parents):
        if isinstance(outer, (cst.FunctionDef, cst.Lambda)):
            return None
        if isinstance(outer, (cst.Try, cst.TryStar)) and _in_field(site, outer, "body", parents):
            for handler in outer.handlers:
                if catches_assertion(handler) and not has_raise(handler.body):
                    line_note = "logs it instead" if log_calls(handler.body) else "ignores it"
                    return f"its AssertionError is caught by an except that {line_note} and does not raise"
        if isinstance(outer, cst.With):
            for item in outer.items:
                call = item.item
                if (isinstance(call, cst.Call) and last(dotted(call.func)) == "suppress"
                        and any(last(dotted(a.value)) in ("AssertionError", "Exception", "BaseException")
                                for a in call.args)):
                    return "it runs under contextlib.suppress, which swallows its AssertionError"
    return None


def env_guarded(tree, site, parents) -> Optional[Tuple[cst.CSTNode, str]]:
    for outer in ancestors(site, parents):
        if isinstance(outer, (cst.FunctionDef, cst.Lambda)):
            return None
        if isinstance(outer, (cst.If, cst.IfExp, cst.While)) and not _in_field(site, outer, "test", parents):
            if ENV_READS.search(code(tree, outer.test)):
                return outer.test, "it runs only as an environment variable decides"
    return None


def skipped(tree, site, parents, where) -> Optional[Tuple[cst.CSTNode, str]]:
    function = next((a for a in ancestors(site, parents) if isinstance(a, cst.FunctionDef)), None)
    if function is None:
        return None
    for decorator in function.decorators:
        name = dotted(decorator.decorator)
        if SKIP_MARKS.search(name):
            return decorator.decorator, f"the test is marked {last(name)}, so its commit check never fails it"
    skips = [c for c in all_calls(function.body) if SKIP_CALLS.search(dotted(c.func))] if function.body else []
    for call in skips:
        if not SKIP_CALLS.search(dotted(call.func)) or not where(call) < where(site):
            continue
        # a skip under a condition of the test's own data (no commit to check) is a choice;
        # one that always runs, or that an environment variable decides, disables HC1
        conditions = [a for a in ancestors(call, parents) if isinstance(a, (cst.If, cst.IfExp, cst.While))
                      and any(b is function for b in ancestors(a, parents))]
        if all(ENV_READS.search(code(tree, c.test)) for c in conditions):
            return call, f"{dotted(call.func)}() before the commit check ends the test as skipped or xfailed"
    return None


def logged_only(tree: cst.Module, sites: List[cst.CSTNode], parents) -> Iterator[Tuple[cst.CSTNode, str]]:
    """``if`` statements on a commit check's result or on a commit comparison whose branch
    logs or warns and never raises."""
    results = set()  # names assigned from a non-raising check
    for site in sites:
        parent = parents.get(site)
        if isinstance(site, cst.Call) and isinstance(parent, cst.Assign):
            for target in parent.targets:
                if isinstance(target.target, cst.Name):
                    results.add(target.target.value)
    site_ids = {id(s) for s in sites}

    class Ifs(cst.CSTVisitor):
        def __init__(self):
            self.found: List[cst.If] = []

        def visit_If(self, node):
            self.found.append(node)

    ifs = Ifs()
    tree.visit(ifs)
    for node in ifs.found:
        test = node.test
        about_commit = is_commit_comparison(tree, test) or _mentions(test, site_ids, results)
        if isinstance(test, cst.UnaryOperation):
            about_commit = about_commit or is_commit_comparison(tree, test.expression)
        if not about_commit:
            continue
        branches = [node.body] + ([node.orelse.body] if isinstance(node.orelse, cst.Else) else [])
        for branch in branches:
            logs = log_calls(branch)
            if logs and not has_raise(branch):
                yield logs[0], f"a failed commit check only reaches {dotted(logs[0].func)}(): nothing fails"
                break


def _mentions(test: cst.CSTNode, site_ids, results) -> bool:
    found = []

    class Look(cst.CSTVisitor):
        def on_visit(self, node):
            if id(node) in site_ids or (isinstance(node, cst.Name) and node.value in results):
                found.append(node)
            return not found

    test.visit(Look())
    return bool(found)


def wrong_way(tree: cst.Module) -> Iterator[Tuple[cst.CSTNode, str]]:
    """``deployed in expected`` and ``expected.startswith(deployed)``."""
    found: List[Tuple[cst.CSTNode, str]] = []

    class Look(cst.CSTVisitor):
        def visit_Comparison(self, node):
            left = node.left
            for target in node.comparisons:
                if isinstance(target.operator, cst.In):
                    if deployed_side(code(tree, left)) and expected_side(code(tree, target.comparator)):
                        found.append((node, "`deployed in expected` passes for an empty or truncated deployed "
                                            "label: compare deployed == expected[:8], or deployed.startswith(expected)"))
                left = target.comparator

        def visit_Call(self, node):
            func = node.func
            if (isinstance(func, cst.Attribute) and func.attr.value == "startswith" and node.args
                    and expected_side(code(tree, func.value)) and deployed_side(code(tree, node.args[0].value))):
                found.append((node, "`expected.startswith(deployed)` passes for an empty or truncated deployed "
                                    "label: the deployed value must start with the expected commit"))

    tree.visit(Look())
    return iter(found)


def weakened_checks(tree: cst.Module, names: Sequence[str], where) -> List[Tuple[cst.CSTNode, str]]:
    """(node, message) of each weakened check; ``where(node)`` orders nodes in the source."""
    parents = parents_of(tree)
    sites = check_sites(tree, names)
    out: List[Tuple[cst.CSTNode, str]] = []
    for site in sites:
        reason = swallowed(site, parents)
        if reason:
            out.append((site, f"HC1 cannot fail: {reason}"))
        guarded = env_guarded(tree, site, parents)
        if guarded:
            out.append((guarded[0], f"HC1 cannot fail: {guarded[1]}"))
        skip = skipped(tree, site, parents, where)
        if skip:
            out.append((skip[0], f"HC1 cannot fail: {skip[1]}"))
    out.extend((node, f"HC1 cannot fail: {reason}") for node, reason in logged_only(tree, sites, parents))
    out.extend((node, f"HC1 is too weak: {reason}") for node, reason in wrong_way(tree))
    unique: Dict[int, Tuple[cst.CSTNode, str]] = {}
    for node, message in out:
        unique.setdefault(id(node), (node, message))
    return list(unique.values())
