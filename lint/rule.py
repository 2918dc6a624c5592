"""The contract of a rule: one class in one module of ``compose_policy.rules``.

A rule declares its code, kebab-case name, default severity, whether it can be fixed,
its options with defaults, and documentation (the class docstring, in the sections
``What it does``, ``Why is this bad``, ``Example``, ``Use instead``, ``Fix``). It reads the
merged model and yields findings; it never reads files, writes files or talks to a daemon.
"""

from __future__ import annotations

import re

from compose_policy.model import Applicability, Finding, Fix, Node, Position, Severity
from compose_policy.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, ClassVar, Dict, Iterable, Iterator, List, Optional, Tuple, Union

DOC_SECTIONS = ("What it does", "Why is this bad", "Example", "Use instead", "Fix")


class RuleContext(Record):
    """What a rule may consult besides the stack: its options and the shared data lists."""

    _fields = ("options", "data")

    def __init__(self, options: Optional[Dict[str, Any]] = None, data: Optional[Dict[str, Any]] = None):
        self.options: Dict[str, Any] = {} if options is None else options
        self.data: Dict[str, Any] = {} if data is None else data


class Rule:
    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[Severity] = Severity.WARNING
    # None when not fixable; otherwise the applicability of its fix in --in-place mode
    fix_applicability: ClassVar[Optional[Applicability]] = None
    options: ClassVar[Dict[str, Any]] = {}
    # option -> what it means, for the rule's documentation page
    option_help: ClassVar[Dict[str, str]] = {}
    # option -> the only values it takes (the configuration refuses any other)
    option_choices: ClassVar[Dict[str, Tuple[str, ...]]] = {}
    # engine-reported rules (CP000, CP001, CP900) have no check of their own
    reported_by_engine: ClassVar[bool] = False
    # what the rule reads: "compose" (a merged Stack) or "python" (a PythonModule, see pyrule)
    input: ClassVar[str] = "compose"

    def __init__(self, severity: Optional[Severity] = None):
        self.effective_severity = severity or self.severity

    # --- checking -------------------------------------------------------------------
    def check(self, stack, ctx: RuleContext) -> Iterable[Finding]:
        for service in stack.services.values():
            yield from self.check_service(service, ctx)

    def check_service(self, service, ctx: RuleContext) -> Iterable[Finding]:
        return ()

    def finding(self, at: Union[Node, Position], message: str, service=None,
                fix: Optional[Fix] = None, detail: Optional[str] = None) -> Finding:
        """``message``: the problem, in under about 100 characters; ``detail``: why, and the numbers."""
        pos = at.pos if isinstance(at, Node) else at
        stack = getattr(service, "stack", None)
        return Finding(
            rule=self.code, name=self.name, severity=self.effective_severity, message=message,
            pos=pos, recipe=stack.recipe if stack is not None else None,
            service=getattr(service, "name", service), fix=fix, detail=detail,
        )

    # --- documentation --------------------------------------------------------------
    @classmethod
    def doc_text(cls) -> str:
        import inspect  # only for rule documentation, never on the lint path

        return inspect.cleandoc(cls.__doc__ or "")

    @classmethod
    def summary(cls) -> str:
        return cls.doc_text().split("\n\n", 1)[0].replace("\n", " ").strip()

    @classmethod
    def doc_sections(cls) -> Dict[str, str]:
        """The docstring's ``## Section`` blocks, by title."""
        sections: Dict[str, str] = {}
        parts = re.split(r"^## +(.+?)\s*$", cls.doc_text(), flags=re.MULTILINE)
        for title, body in zip(parts[1::2], parts[2::2]):
            sections[title.strip()] = body.strip()
        return sections

    @classmethod
    def missing_doc_sections(cls) -> List[str]:
        have = cls.doc_sections()
        return [s for s in DOC_SECTIONS if not have.get(s)]

    @classmethod
    def markdown(cls) -> str:
        if cls.fix_applicability is None:
            fix = "not fixable"
        elif cls.input == "python":
            fix = f"fixable ({cls.fix_applicability.value}: `fix --in-place --unsafe-fixes`)"
        else:
            fix = f"fixable ({cls.fix_applicability.value} in place; always written in overlay mode)"
        lines = [f"# {cls.code} `{cls.name}`", "", f"Default severity: **{cls.severity}**; {fix}.", ""]
        lines.append(cls.doc_text())
        if cls.options:
            lines += ["", "## Options", ""]
            for key, value in cls.options.items():
                meaning = cls.option_help.get(key)
                lines.append(f"- `{key}` (default `{value!r}`)" + (f": {meaning}" if meaning else ""))
        return "\n".join(lines).rstrip() + "\n"


def iter_nodes(*nodes: Optional[Node]) -> Iterator[Node]:
    for node in nodes:
        if node is not None:
            yield node
