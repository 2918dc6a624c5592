"""Path analysis for CP501: does every path from an upgrade redeploy pass the convergence
guard before it checks the deployed commit or leaves the function?

A may-analysis over the structured statements of one function (or of a module's top
level): the state at a point is the set of redeploy calls that reach it on some path
without a guard call in between. A guard call empties it; a redeploy adds itself; a
commit check, a ``return`` or the end of the function with a non-empty set is an escape.
Branches join by union; a loop body runs zero, one or two times; an ``except`` handler
starts from any state its ``try`` body passed through, so a guard whose AssertionError is
swallowed does not count. A ``raise`` ends its path (a failing harness is no silent one).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import libcst as cst

from compose_policy.rules._harness import Names, calls_in, functions, is_commit_comparison

State = Optional[frozenset]  # None: no path reaches this point
# statements one function may cost: a real harness function visits a few hundred; nested
# loops in hostile input could otherwise make the analysis take exponential time
STEP_BUDGET = 200_000


class OverBudget(Exception):
    pass


def join(*states: State) -> State:
    live = [s for s in states if s is not None]
    if not live:
        return None
    out = frozenset()
    for state in live:
        out |= state
    return out


class Escape:
    """Where a pending redeploy got out: the node and what happened there."""

    def __init__(self, node: cst.CSTNode, what: str):
        self.node = node
        self.what = what


class UpgradeFlow:
    def __init__(self, module: cst.Module, names: Names):
        self.module = module
        self.names = names
        self.escapes: Dict[cst.Call, Escape] = {}  # first escape of each redeploy
        self.loops: List[Tuple[List[State], List[State]]] = []
        self.steps = 0  # statements visited in the current function, against STEP_BUDGET

    # --- entry points -----------------------------------------------------------------
    def function(self, node: cst.FunctionDef) -> None:
        end = self.block(node.body.body, frozenset())
        self.escape(end, node, "ends")

    def top_level(self, module: cst.Module) -> None:
        statements = [s for s in module.body if not isinstance(s, (cst.FunctionDef, cst.ClassDef))]
        end = self.block(statements, frozenset())
        self.escape(end, module, "ends")

    # --- escapes ----------------------------------------------------------------------
    def escape(self, state: State, node: cst.CSTNode, what: str) -> None:
        for call in state or ():
            self.escapes.setdefault(call, Escape(node, what))

    # --- statements -------------------------------------------------------------------
    def block(self, statements, state: State) -> State:
        self.steps += len(statements)
        if self.steps > STEP_BUDGET:
            raise OverBudget()
        for statement in statements:
            if state is None:
                return None
            state = self.statement(statement, state)
        return state

    def suite(self, body, state: State) -> State:
        return self.block(body.body, state)

    def statement(self, node: cst.CSTNode, state: State) -> State:
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            return self.block(node.body, state)
        if isinstance(node, cst.If):
            after_test = self.expr(node.test, state)
            taken = self.suite(node.body, after_test)
            if node.orelse is None:
                return join(taken, after_test)
            other = self.statement(node.orelse, after_test) if isinstance(node.orelse, cst.If) \
                else self.suite(node.orelse.body, after_test)
            return join(taken, other)
        if isinstance(node, cst.Else):
            return self.suite(node.body, state)
        if isinstance(node, (cst.For, cst.While)):
            return self.loop(node, state)
        if isinstance(node, (cst.Try, cst.TryStar)):
            return self.try_(node, state)
        if isinstance(node, cst.With):
            for item in node.items:
                state = self.expr(item.item, state)
            after = self.suite(node.body, state)
            # a guard context (the pytest plugin's upgrade_guard) converges when the block ends
            if after is not None and any(self.names.is_guard_context(item.item) for item in node.items):
                return frozenset()
            return after
        if isinstance(node, cst.Match):
            state = self.expr(node.subject, state)
            return join(state, *(self.suite(case.body, state) for case in node.cases))
        if isinstance(node, (cst.FunctionDef, cst.ClassDef)):
            return state  # analysed on their own
        return self.small(node, state)

    def loop(self, node, state: State) -> State:
        head = self.expr(node.iter if isinstance(node, cst.For) else node.test, state)
        self.loops.append(([], []))  # the states at each break, at each continue
        once = self.suite(node.body, head)
        again = join(head, once, *self.loops[-1][1])
        # a second turn can only add what the first one brought back to the head
        twice = self.suite(node.body, again) if again != head else once
        breaks, continues = self.loops.pop()
        done = join(head, once, twice, *continues)  # the loop ran out: its else clause runs
        if node.orelse is not None:
            done = self.suite(node.orelse.body, done)
        return join(done, *breaks)

    def try_(self, node, state: State) -> State:
        seen = [state]
        current = state
        for statement in node.body.body:
            if current is None:
                break
            current = self.statement(statement, current)
            seen.append(current)
        if node.orelse is not None:
            current = self.suite(node.orelse.body, current)
        entry = join(*seen)  # an exception may leave the body anywhere
        out = join(current, *(self.suite(h.body, entry) for h in node.handlers))
        if node.finalbody is not None:
            out = self.suite(node.finalbody.body, out)
        return out

    def small(self, node: cst.CSTNode, state: State) -> State:
        if isinstance(node, cst.Return):
            if node.value is not None:
                state = self.expr(node.value, state)
            self.escape(state, node, "returns")
            return None
        if isinstance(node, cst.Raise):
            return None
        if isinstance(node, (cst.Break, cst.Continue)):
            if self.loops:
                self.loops[-1][isinstance(node, cst.Continue)].append(state)
            return None
        if isinstance(node, cst.Assert):
            state = self.expr(node.test, state)
            if is_commit_comparison(self.module, node.test):
                self.escape(state, node, "checks the deployed commit")
            return state
        return self.expr(node, state)

    # --- expressions ------------------------------------------------------------------
    def expr(self, node: cst.CSTNode, state: State) -> State:
        if state is None:
            return None
        for call in calls_in(node):
            if self.names.is_guard(call):
                state = frozenset()
            elif self.names.is_commit_check(call):
                self.escape(state, call, "checks the deployed commit")
            elif self.names.deploy_kind(call) == "upgrade":
                state = state | {call}
        return state


def unguarded_redeploys(module: cst.Module, names: Names) -> List[Tuple[cst.Call, Escape]]:
    """Each upgrade redeploy with its first escape, in source order of the analysis."""
    flow = UpgradeFlow(module, names)
    for analyse, node in [(flow.top_level, module)] + [(flow.function, f) for f in functions(module)]:
        flow.steps = 0
        try:
            analyse(node)
        except OverBudget:  # judged by nothing rather than by half an analysis
            continue
    return list(flow.escapes.items())



def statement_calls(tree: cst.Module) -> set:
    """Calls a fix can put the guard after: each is the whole of an expression statement, or
    the value of an assignment, alone on its statement line."""
    found = set()

    class Collect(cst.CSTVisitor):
        def visit_SimpleStatementLine(self, n):
            if len(n.body) == 1:
                small = n.body[0]
                value = small.value if isinstance(small, (cst.Expr, cst.Assign, cst.AnnAssign)) else None
                if isinstance(value, cst.Await):
                    value = value.expression
                if isinstance(value, cst.Call):
                    found.add(value)
            return False

    tree.visit(Collect())
    return found
