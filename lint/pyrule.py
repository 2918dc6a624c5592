"""The contract of a harness-code rule (CP5xx): a ``Rule`` that reads a Python module.

The engine runs a rule on what matches its ``input``: compose rules on merged stacks,
these on ``PythonModule``s that the loader (``pyload``) parsed with libcst. The rule's
``check_module`` walks ``module.tree`` and reports at ``module.position(node)``; it never
reads files. Its module imports libcst (or the shared analysis in ``rules/_harness.py``)
inside ``check_module`` only, so that loading the rule catalogue for a compose lint never
imports libcst.
"""

from __future__ import annotations

from compose_policy.model import Finding
from compose_policy.rule import Rule

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Iterable, Optional

    from compose_policy.model import Fix


class PythonRule(Rule):
    input = "python"

    def check(self, module, ctx) -> Iterable[Finding]:
        """The findings of ``check_module``; none for a tree too deep for libcst's visitors
        (the loader's own walk refuses most of those as CP500 already)."""
        try:
            return list(self.check_module(module, ctx))
        except RecursionError:
            return []

    def check_module(self, module, ctx) -> Iterable[Finding]:
        return ()

    def finding_at(self, module, node, message: str, fix: Optional[Fix] = None) -> Finding:
        return Finding(rule=self.code, name=self.name, severity=self.effective_severity, message=message,
                       pos=module.position(node), fix=fix)
