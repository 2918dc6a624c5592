"""What the harness-code rules (CP5xx) recognise in a Python module parsed by libcst.

Names are matched by their last dotted part, so that ``compose_policy.harness.verify_upgrade``
in an option matches ``verify_upgrade(...)``, ``harness.verify_upgrade(...)`` and the full
spelling alike. Rule modules import this module inside ``check`` only: it imports libcst.
"""

from __future__ import annotations

import re
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import libcst as cst

SCOPES = (cst.FunctionDef, cst.ClassDef, cst.Lambda)
# `abra app deploy --chaos` (-C is its short form)
CHAOS_FLAGS = ("--chaos", "-C")
# a deployed value compared to an expected one: which side is which, by the words it is made of
DEPLOYED_WORDS = re.compile(r"deployed|chaos[-_]?version|running|actual|label", re.IGNORECASE)
EXPECTED_WORDS = re.compile(r"expected|sha|commit|head|revision|git_rev|want", re.IGNORECASE)
LOG_CALLS = re.compile(r"(^|\.)(log|logger|logging|LOG|LOGGER|warnings)\.\w+$|^print$|(^|\.)(warn|warning|info|debug)$")
FAIL_CALLS = re.compile(r"(^|\.)(fail|exit|abort)$")
ENV_READS = re.compile(r"\bos\.environ\b|\bgetenv\s*\(|\benviron\s*(\.get|\[)")
SKIP_MARKS = re.compile(r"(^|\.)(mark\.(skip|skipif|xfail)|skip|skipIf|skipUnless|expectedFailure)$")
SKIP_CALLS = re.compile(r"^(pytest\.)?(skip|xfail)$|^pytest\.importorskip$")
SWALLOWED = {"AssertionError", "Exception", "BaseException", "UpgradeFailed"}


def dotted(node: cst.CSTNode) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    if isinstance(node, cst.Call):  # client.services.get(x).update(...) -> services.get.update
        return dotted(node.func)
    return ""


def last(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def name_in(name: str, names: Sequence[str]) -> bool:
    return bool(name) and last(name) in {last(n) for n in names}


# --- strings ------------------------------------------------------------------------------

def literal_text(node: cst.CSTNode) -> Optional[str]:
    """The text of a string literal; an f-string's replacement fields become ``{}``."""
    if isinstance(node, cst.SimpleString):
        try:
            return node.evaluated_value if isinstance(node.evaluated_value, str) else None
        except Exception:  # a malformed escape: not a command we can read
            return None
    if isinstance(node, cst.ConcatenatedString):
        left, right = literal_text(node.left), literal_text(node.right)
        return None if left is None or right is None else left + right
    if isinstance(node, cst.FormattedString):
        return "".join(p.value if isinstance(p, cst.FormattedStringText) else "{}" for p in node.parts)
    return None


def command_words(node: cst.CSTNode) -> Optional[List[str]]:
    """A command as written: a list or tuple of strings, or one string (split on blanks)."""
    if isinstance(node, (cst.List, cst.Tuple)):
        words = []
        for element in node.elements:
            text = literal_text(element.value) if isinstance(element, cst.Element) else None
            words.append(text if text is not None else "{}")
        return words
    text = literal_text(node)
    return text.split() if text is not None else None


def _in_order(words: List[str], *wanted: str) -> bool:
    at = 0
    for word in words:
        if at < len(wanted) and word == wanted[at]:
            at += 1
    return at == len(wanted)


def command_kind(words: List[str]) -> Optional[str]:
    """"upgrade" for a redeploy (`abra app deploy --chaos`, `docker stack deploy`), "install"
    for a plain `abra app deploy`, else None."""
    if _in_order(words, "docker", "stack", "deploy"):
        return "upgrade"
    if _in_order(words, "abra", "app", "deploy"):
        return "upgrade" if any(w in CHAOS_FLAGS for w in words) else "install"
    return None


# --- calls ----------------------------------------------------------------------------------

class Names:
    """The configurable names of the rule options, with the defaults of the rule."""

    def __init__(self, options: Dict):
        self.redeploy = options.get("redeploy-functions", [])
        self.deploy = options.get("deploy-functions", [])
        self.upgrade_keywords = options.get("upgrade-keywords", [])
        self.guards = options.get("guard-functions", [])
        self.guard_contexts = options.get("guard-contexts", [])
        self.commit_checks = options.get("commit-checks", [])
        self.locks = options.get("lock-names", [])

    def deploy_kind(self, call: cst.Call) -> Optional[str]:
        """"upgrade", "install" or None: what this call does to the stack."""
        name = dotted(call.func)
        if name_in(name, self.redeploy):
            return "upgrade"
        if name_in(name, self.deploy):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in self.upgrade_keywords:
                    value = arg.value
                    if not (isinstance(value, cst.Name) and value.value in ("False", "None")):
                        return "upgrade"
            return "install"
        if call.args and call.args[0].keyword is None and call.args[0].star == "":
            words = command_words(call.args[0].value)
            if words:
                return command_kind(words)
        return None

    def is_guard(self, call: cst.Call) -> bool:
        # a guard context called as a plain function (no with) guards nothing
        return name_in(dotted(call.func), self.guards)

    def is_guard_context(self, item: cst.CSTNode) -> bool:
        return isinstance(item, cst.Call) and name_in(dotted(item.func), self.guard_contexts)

    def is_commit_check(self, call: cst.Call) -> bool:
        return name_in(dotted(call.func), self.commit_checks)


def calls_in(node: cst.CSTNode) -> List[cst.Call]:
    """The calls in ``node`` in evaluation order (arguments before the call), outside nested
    functions, lambdas and classes."""
    found: List[cst.Call] = []

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, n):
            return n is node

        def visit_ClassDef(self, n):
            return n is node

        def visit_Lambda(self, n):
            return False

        def leave_Call(self, n):
            found.append(n)

    node.visit(Collect())
    return found


def parents_of(module: cst.Module) -> Dict[cst.CSTNode, cst.CSTNode]:
    """Each node's parent, from one walk (``node.children`` would re-walk every subtree)."""
    parents: Dict[cst.CSTNode, cst.CSTNode] = {}
    path: List[cst.CSTNode] = []

    class Record(cst.CSTVisitor):
        def on_visit(self, n):
            if path:
                parents[n] = path[-1]
            path.append(n)
            return True

        def on_leave(self, n):
            path.pop()

    module.visit(Record())
    return parents


def ancestors(node: cst.CSTNode, parents: Dict) -> Iterator[cst.CSTNode]:
    while node in parents:
        node = parents[node]
        yield node


def nodes_of_type(node: cst.CSTNode, kind: type) -> list:
    """Every node of type ``kind`` under ``node``, nested functions included, in source order."""
    found: list = []

    class Collect(cst.CSTVisitor):
        def on_visit(self, n):
            if isinstance(n, kind):
                found.append(n)
            return True

    node.visit(Collect())
    return found


def functions(module: cst.Module) -> List[cst.FunctionDef]:
    return nodes_of_type(module, cst.FunctionDef)


def code(module: cst.Module, node: cst.CSTNode) -> str:
    return module.code_for_node(node)


def deployed_side(text: str) -> bool:
    return bool(DEPLOYED_WORDS.search(text))


def expected_side(text: str) -> bool:
    return not deployed_side(text) and bool(EXPECTED_WORDS.search(text))


def is_commit_comparison(module: cst.Module, node: cst.CSTNode) -> bool:
    """``deployed == expected`` and the like: one side deployed, the other expected."""
    if not isinstance(node, cst.Comparison):
        return False
    sides = [node.left] + [t.comparator for t in node.comparisons]
    texts = [code(module, s) for s in sides]
    return any(deployed_side(t) for t in texts) and any(expected_side(t) for t in texts)


def block_statements(body) -> Sequence[cst.CSTNode]:
    """The statements of an indented block, or the small statements of a one-line suite."""
    return body.body


def has_raise(node: cst.CSTNode) -> bool:
    """A raise, an assert or a call to fail/exit in ``node`` (outside nested functions)."""
    found = []

    class Find(cst.CSTVisitor):
        def visit_FunctionDef(self, n):
            return n is node

        def visit_Lambda(self, n):
            return False

        def visit_Raise(self, n):
            found.append(n)

        def visit_Assert(self, n):
            found.append(n)

        def visit_Call(self, n):
            if FAIL_CALLS.search(dotted(n.func)):
                found.append(n)

    node.visit(Find())
    return bool(found)


def log_calls(node: cst.CSTNode) -> List[cst.Call]:
    return [c for c in calls_in(node) if LOG_CALLS.search(dotted(c.func))]


def catches_assertion(handler: cst.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elements if isinstance(handler.type, cst.Tuple) else None
    names = [dotted(e.value) for e in types] if types is not None else [dotted(handler.type)]
    return any(last(n) in SWALLOWED for n in names)


def lock_items(node: cst.With, locks: Sequence[str]) -> bool:
    return any(name_in(dotted(item.item), locks) for item in node.items)


def body_of(node) -> Tuple:
    return tuple(node.body.body) if hasattr(node.body, "body") else ()


def all_calls(node: cst.CSTNode) -> List[cst.Call]:
    """Every call under ``node``, nested functions included, in source order."""
    return nodes_of_type(node, cst.Call)


def bound_names(module: cst.Module) -> set:
    """Names the module binds at its top level by import, def, class or assignment."""
    names = set()
    for statement in module.body:
        if isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            names.add(statement.name.value)
            continue
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, (cst.Import, cst.ImportFrom)) and not isinstance(small.names, cst.ImportStar):
                for alias in small.names:
                    bound = alias.asname.name if alias.asname is not None else alias.name
                    names.add(dotted(bound).split(".")[0])
            elif isinstance(small, cst.Assign):
                for target in small.targets:
                    if isinstance(target.target, cst.Name):
                        names.add(target.target.value)
    return names


def argument_names(call_text: str) -> set:
    """The plain names a call expression passes (``f(client, s.name, x=before)`` ->
    client, s, before)."""
    try:
        call = cst.parse_expression(call_text)
    except cst.ParserSyntaxError:  # a configured guard-call that is no call: the fix says so
        return set()
    found = set()

    class Collect(cst.CSTVisitor):
        def visit_Attribute(self, node):
            node.value.visit(self)
            return False

        def visit_Name(self, node):
            found.add(node.value)

    for arg in getattr(call, "args", ()):
        arg.value.visit(Collect())
    return found


def _bound_in(node: cst.CSTNode) -> set:
    """Names a function (or the module) binds: parameters, assignment, loop and with targets,
    imports, nested defs."""
    found = set()

    class Collect(cst.CSTVisitor):
        def visit_FunctionDef(self, n):
            if n is not node:
                found.add(n.name.value)
                return False
            return True

        def visit_ClassDef(self, n):
            found.add(n.name.value)
            return False

        def visit_Param(self, n):
            found.add(n.name.value)

        def visit_AssignTarget(self, n):
            found.update(_target_names(n.target))

        def visit_AnnAssign(self, n):
            found.update(_target_names(n.target))

        def visit_For(self, n):
            found.update(_target_names(n.target))

        def visit_AsName(self, n):
            found.update(_target_names(n.name))

        def visit_ImportAlias(self, n):
            if n.asname is None:
                found.add(dotted(n.name).split(".")[0])

    node.visit(Collect())
    return found


def _target_names(target) -> set:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {name for element in target.elements for name in _target_names(element.value)}
    return set()


def names_in_scope(node: cst.CSTNode, module: cst.Module, parents) -> set:
    """What a statement beside ``node`` could name: its function's, the enclosing functions'
    and the module's bindings, and the builtins."""
    import builtins

    scope = set(dir(builtins)) | _module_bindings(module)
    for outer in ancestors(node, parents):
        if isinstance(outer, cst.FunctionDef):
            scope |= _bound_in(outer)
    return scope


def _module_bindings(module: cst.Module) -> set:
    top = [s for s in module.body if not isinstance(s, (cst.FunctionDef, cst.ClassDef))]
    names = bound_names(module)
    for statement in top:
        names |= _bound_in(statement)
    return names
