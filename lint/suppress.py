"""Suppressions written in the compose files themselves.

- ``# compose-policy: disable=CP101,CP105 -- reason`` on the offending line or the line
  before it (a comment on a line of its own reaches down to the next line of YAML, so
  several such comments can stack); ``disable=all`` silences every rule there;
- ``# compose-policy: disable-file=CP101`` anywhere in a file: that rule, in that file;
- ``x-compose-policy: {ignore: [CP101]}`` on a service (the merged service's value).

Each suppression remembers whether it matched a finding, so that the ones that no longer
do can be reported (CP900 unused-suppression).
"""

from __future__ import annotations

import re

from compose_policy.model import Finding, Position, Scalar, Sequence
from compose_policy.record import Record

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, Iterable, Iterator, List, Optional, Set, Tuple

ALL = "ALL"
MARKER = "compose-policy:"
_COMMENT = re.compile(r"(?:^|\s)(#\s*compose-policy:(.*))$")
_KINDS = {"disable": "line", "disable-file": "file"}
# suppression comments read per file: a bound against hostile input (20000 of them would
# cost seconds, each finding being checked against each comment); real files have a few
MAX_DIRECTIVES = 200
TOO_MANY = f"more than {MAX_DIRECTIVES} suppression comments in this file; the rest are not read"


def resolve_token(token: str, rules) -> Optional[str]:
    """A code as written (code, name or ``all``) -> the rule code, ``ALL``, or None if unknown."""
    text = token.strip()
    if text.lower() == "all":
        return ALL
    if text.upper() in rules:
        return text.upper()
    for code, rule in rules.items():
        if rule.name == text.lower():
            return code
    return None


class Directive(Record):
    """One ``# compose-policy:`` comment."""

    _fields = ("pos", "kind", "codes", "unknown", "lines", "reason", "used")

    def __init__(self, pos: Position, kind: str, codes: Tuple[str, ...] = (), unknown: Tuple[str, ...] = (),
                 lines: range = range(0), reason: str = "", used: Optional[Set[str]] = None):
        self.pos = pos
        self.kind = kind  # "line", "file", or "" when the comment could not be read
        self.codes = codes  # resolved: rule codes and/or ALL
        self.unknown = unknown  # tokens that name no rule
        self.lines = lines  # the lines a "line" directive covers (a range: a comment may reach far)
        self.reason = reason
        self.used: Set[str] = set() if used is None else used

    def covers(self, rule: str) -> Optional[str]:
        if rule in self.codes:
            return rule
        return ALL if ALL in self.codes else None


class ServiceIgnore(Record):
    """One entry of a service's ``x-compose-policy: {ignore: [...]}``."""

    _fields = ("service", "pos", "token", "code", "used")

    def __init__(self, service: str, pos: Position, token: str, code: Optional[str], used: bool = False):
        self.service = service
        self.pos = pos
        self.token = token
        self.code = code
        self.used = used


def _is_comment_or_blank(line: str) -> bool:
    stripped = line.strip()
    return not stripped or stripped.startswith("#")


def _next_yaml_lines(lines: List[str]) -> List[int]:
    """For each line index, the index of the first line at or after it that is YAML
    (neither blank nor a comment); len(lines) when none is left. One pass from the end."""
    out = [0] * len(lines)
    following = len(lines)
    for index in range(len(lines) - 1, -1, -1):
        if not _is_comment_or_blank(lines[index]):
            following = index
        out[index] = following
    return out


def parse_directives(path: str, text: str, rules) -> Iterator[Directive]:
    if MARKER not in text:  # the common case: one substring test per file
        return
    lines = text.splitlines()
    next_yaml = None
    count = 0
    for index, line in enumerate(lines):
        if MARKER not in line:
            continue
        count += 1
        if count > MAX_DIRECTIVES:
            yield Directive(Position(path, index + 1, 1), "", reason=TOO_MANY)
            return
        match = _COMMENT.search(line)
        if match is None:
            continue
        number = index + 1
        pos = Position(path, number, match.start(1) + 1)
        head, _, reason = match.group(2).partition("--")
        name, equals, codes_text = head.partition("=")
        kind = _KINDS.get(name.strip().lower())
        tokens = [t for t in re.split(r"[\s,]+", codes_text.strip()) if t]
        if kind is None or not equals or not tokens:
            yield Directive(pos, "", reason=reason.strip())
            continue
        resolved = [(t, resolve_token(t, rules)) for t in tokens]
        last = number + 1
        if line.lstrip().startswith("#"):  # a comment line: reaches down to the next YAML line
            if next_yaml is None:
                next_yaml = _next_yaml_lines(lines)
            follow = next_yaml[index + 1] if index + 1 < len(lines) else len(lines)
            last = max(last, follow + 1)
        yield Directive(
            pos, kind, codes=tuple(dict.fromkeys(c for _, c in resolved if c)),
            unknown=tuple(t for t, c in resolved if c is None), lines=range(number, last + 1),
            reason=reason.strip(),
        )


def service_ignores(service, rules) -> Iterator[ServiceIgnore]:
    node = service.get("x-compose-policy", "ignore")
    items = node.items if isinstance(node, Sequence) else [node] if node is not None else []
    for item in items:
        if not isinstance(item, Scalar) or item.value is None:
            continue
        for token in str(item.value).split(","):
            if token.strip():
                yield ServiceIgnore(service.name, item.pos, token.strip(), resolve_token(token, rules))


class Suppressions:
    """Every suppression of one stack, and which of them matched a finding."""

    def __init__(self, stack, rules):
        self.stack = stack
        self.directives: List[Directive] = []
        self.by_line: Dict[str, List[Directive]] = {}  # at most MAX_DIRECTIVES per file
        self.by_file: Dict[str, List[Directive]] = {}
        for path, text in stack.texts.items():
            for directive in parse_directives(path, text, rules):
                self.directives.append(directive)
                if directive.kind == "file":
                    self.by_file.setdefault(path, []).append(directive)
                elif directive.kind == "line":
                    self.by_line.setdefault(path, []).append(directive)
        self.services: Dict[str, List[ServiceIgnore]] = {}
        for service in stack.services.values():
            for entry in service_ignores(service, rules):
                self.services.setdefault(entry.service, []).append(entry)

    def match(self, finding: Finding) -> Optional[str]:
        """How the finding is suppressed (inline, file, service) or None; marks what matched."""
        how = None
        line, rule = finding.line, finding.rule
        for directive in self.by_line.get(finding.path, ()):
            if line not in directive.lines or (rule not in directive.codes and ALL not in directive.codes):
                continue
            token = directive.covers(rule)
            if token:
                directive.used.add(token)
                how = how or "inline"
        for directive in self.by_file.get(finding.path, ()):
            token = directive.covers(finding.rule)
            if token:
                directive.used.add(token)
                how = how or "file"
        for entry in self.services.get(finding.service or "", ()):
            if entry.code in (finding.rule, ALL):
                entry.used = True
                how = how or "service"
        return how

    def unused(self, enabled: Iterable[str], report_in: Iterable[str],
               never_report: Iterable[str] = ()) -> Iterator[Tuple[Position, str, Optional[str]]]:
        """(position, message, service) of each suppression that matched nothing.

        Only suppressions of rules that ran (``enabled``), in files whose findings the rules
        could see (``report_in``: the merged file set), count: an overlay that is not merged
        may well need its suppressions for another COMPOSE_FILE.
        """
        never = set(never_report)
        enabled = set(enabled) - never
        files = set(report_in)
        for d in self.directives:
            if d.pos.path not in files:
                continue
            if not d.kind:
                yield d.pos, (d.reason if d.reason == TOO_MANY else
                              "not a suppression comment: expected disable=CODES or disable-file=CODES"), None
                continue
            for token in d.unknown:
                yield d.pos, f"suppression names no known rule: {token!r}", None
            stale = [c for c in d.codes if c not in d.used and c not in never
                     and (c in enabled or (c == ALL and enabled))]
            if stale:
                where = "in this file" if d.kind == "file" else "on this line or the next"
                names = "all rules" if stale == [ALL] else ", ".join(stale)
                yield d.pos, f"unused suppression of {names}: no such finding {where}", None
        for entries in self.services.values():
            for entry in entries:
                if entry.code is None:
                    yield entry.pos, f"x-compose-policy ignore names no known rule: {entry.token!r}", entry.service
                elif not entry.used and entry.code not in never and (entry.code in enabled or (entry.code == ALL and enabled)):
                    name = "all rules" if entry.code == ALL else entry.code
                    yield (entry.pos, f"unused suppression of {name}: service {entry.service} has no such finding",
                           entry.service)
