"""Audit a recipe's CI overlay (``compose.ccci.yml``) entry by entry.

Each overlay entry (a leaf key under ``services.<name>``; a list is one entry) gets one class:

- ``weakening`` (error): with it, swarm detects failures less well than the recipe alone:
  failure_action continue/pause over rollback, a shorter monitor, a higher max_failure_ratio,
  a healthcheck disabled, or a healthcheck test that, once docker merged it (docker appends
  an overlay's ``test`` list to the base's), runs a command that always passes;
- ``stale`` (warning): its service is no longer in the recipe, or it tunes a healthcheck the
  recipe no longer has;
- ``redundant`` (warning): the merged stack is the same without it (the recipe already has
  that value, upstream fixed it, or docker's merge ignores it): drop it;
- ``justified``: removing it brings back a finding the overlay removes;
- ``unexplained`` (info): it changes the stack but removes no finding: the header should say why.

An overlay without a header comment saying why it exists is reported too (warning).
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

from compose_policy.model import Mapping, Scalar, Sequence
from compose_policy.units import try_duration

KINDS = ["weakening", "stale", "redundant", "unexplained", "justified"]
SEVERITY = {"weakening": "error", "stale": "warning", "redundant": "warning", "missing-header": "warning",
            "unexplained": "info", "justified": "ok"}

# what swarm uses when a key is absent (swarmkit api/defaults/service.go)
_DEFAULTS = {"order": "stop-first", "failure_action": "pause", "monitor": "5s", "max_failure_ratio": 0,
             "parallelism": 1, "delay": "0s"}
_ACTION_STRENGTH = {"continue": 0, "pause": 1, "rollback": 2}
_POLICY_BLOCKS = ("update_config", "rollback_config")
_HEALTH_TUNING = ("interval", "timeout", "retries", "start_period", "start_interval")

# a shell command that exits 0 whatever happens
_NOOP_SHELL = re.compile(r"^\s*(?:true|:|exit\s+0|/bin/true|/usr/bin/true)\s*;?\s*$"
                         r"|(?:\|\||;)\s*(?:true|:|exit\s+0)\s*;?\s*$")
_SHELLS = {"sh", "bash", "ash", "dash", "zsh"}
# each entry that may remove a finding costs one lint of the recipe: bound their number and time
# (a CI overlay has a handful of entries)
MAX_RELINTS = 64
MAX_RELINT_SECONDS = 20.0


@dataclass
class Entry:
    service: str
    key: List[str]  # below the service, e.g. ["deploy", "update_config", "monitor"]
    line: int
    kind: str = "unexplained"
    reason: str = ""
    rules: List[str] = field(default_factory=list)  # findings it removes

    @property
    def severity(self) -> str:
        return SEVERITY[self.kind]

    def to_dict(self) -> dict:
        return {"service": self.service, "key": ".".join(self.key), "line": self.line, "class": self.kind,
                "severity": self.severity, "reason": self.reason, "removes": list(self.rules)}


@dataclass
class OverlayAudit:
    recipe: str
    overlay: str
    header: bool
    entries: List[Entry]
    problems: List[str] = field(default_factory=list)  # why the overlay could not be audited

    def to_dict(self) -> dict:
        return {"recipe": self.recipe, "overlay": self.overlay, "header": self.header,
                "problems": list(self.problems), "entries": [e.to_dict() for e in self.entries]}

    def worst(self) -> Optional[str]:
        order = ["error", "warning", "info"]
        found = [e.severity for e in self.entries if e.severity in order] + [s for s in self.problem_severities()]
        if not self.header:
            found.append("warning")
        return min(found, key=order.index, default=None)

    def problem_severities(self) -> List[str]:
        return ["error"] * len(self.problems)


# --- healthcheck probes, as the daemon runs them ----------------------------------------

def probe(service) -> Tuple[str, str]:
    """(state, what runs) of a merged service's healthcheck: none, disabled, refused, noop or check.

    The daemon runs ``test[1:]`` for CMD, ``sh -c test[1]`` for CMD-SHELL (any later items only
    become $0, $1, ...), nothing for NONE; docker refuses ``disable: true`` together with a test.
    """
    health = service.get("healthcheck") if service is not None else None
    if not isinstance(health, Mapping):
        return "none", "no healthcheck (the image's own, if any)"
    test = health.get("test")
    words = [str(v.plain()) for v in test.items] if isinstance(test, Sequence) else []
    if health.value("disable") is True:
        if words:
            return "refused", "disable: true with a test: docker refuses to deploy it"
        return "disabled", "disable: true"
    if not words:
        return "none", "no test (the image's own, if any)"
    head = words[0]
    if head == "NONE":
        return "disabled", "test: [NONE]"
    if head == "CMD-SHELL":
        command = words[1] if len(words) > 1 else ""
        return ("noop" if _NOOP_SHELL.search(command) else "check"), f"sh -c {command!r}"
    argv = words[1:] if head == "CMD" else words
    shown = " ".join(argv)
    if not argv:
        return "noop", "an empty command"
    program = os.path.basename(argv[0])
    if program in ("true", ":"):
        return "noop", shown
    if program in _SHELLS and len(argv) > 2 and argv[1] == "-c":
        return ("noop" if _NOOP_SHELL.search(argv[2]) else "check"), shown
    return "check", shown


def _weakened_probe(base_service, merged_service) -> Optional[str]:
    before, before_text = probe(base_service)
    after, after_text = probe(merged_service)
    if after in ("disabled", "noop", "refused") and before not in ("disabled", "noop", "refused"):
        if after == "refused":
            return (f"sets disable: true beside the recipe's test ({before_text}): docker's deploy refuses a "
                    f"healthcheck with both (test and disable can't be set at the same time)")
        if after == "disabled":
            return f"disables the healthcheck ({after_text}); the recipe alone: {before_text}"
        return f"leaves a healthcheck that always passes: the daemon runs {after_text}; the recipe alone: {before_text}"
    return None


# --- values with swarm's defaults ---------------------------------------------------------

def _effective(service, key: List[str]) -> Any:
    node = service.get(*key) if service is not None else None
    if node is None or node.plain() is None:
        if len(key) == 3 and key[0] == "deploy" and key[1] in _POLICY_BLOCKS:
            return _normal(key[-1], _DEFAULTS.get(key[-1]))
        return None
    if isinstance(node, Scalar) and node.unknown:
        return ("unknown", node.raw)
    return _normal(key[-1], node.plain())


def _normal(name: str, value: Any) -> Any:
    if name in ("monitor", "delay") or name in _HEALTH_TUNING:
        seconds = try_duration(value)
        if name == "monitor" and seconds == 0:  # the daemon never sends a zero monitor (moby's
            seconds = try_duration(_DEFAULTS["monitor"])  # updateConfigToGRPC): swarm's default
        return seconds if seconds is not None else value
    if name == "max_failure_ratio":
        try:
            return float(value)
        except (TypeError, ValueError):
            return value
    return value


def _weakened_policy(key: List[str], before: Any, after: Any) -> Optional[str]:
    if len(key) != 3 or key[0] != "deploy" or key[1] not in _POLICY_BLOCKS or before == after:
        return None
    name = key[2]
    if isinstance(before, tuple) or isinstance(after, tuple):  # an unknown value: cannot tell
        return None
    if name == "failure_action" and after in _ACTION_STRENGTH and before in _ACTION_STRENGTH:
        if _ACTION_STRENGTH[after] < _ACTION_STRENGTH[before]:
            return f"failure_action {after} over {before}: a failed update is no longer {_undo(before)}"
    if name == "monitor" and isinstance(before, float) and isinstance(after, float) and after < before:
        return f"monitor {after:g}s is shorter than the recipe's {before:g}s: later failures go unseen"
    if name == "max_failure_ratio" and isinstance(before, float) and isinstance(after, float) and after > before:
        return f"max_failure_ratio {after:g} is higher than the recipe's {before:g}: more failures are tolerated"
    return None


def _undo(action: str) -> str:
    return "rolled back" if action == "rollback" else "stopped"


# --- entries --------------------------------------------------------------------------------

def overlay_entries(root) -> List[Entry]:
    """The leaf entries of an overlay document, in file order."""
    services = root.get("services") if isinstance(root, Mapping) else None
    out: List[Entry] = []
    if not isinstance(services, Mapping):
        return out
    for name, node in services.items.items():
        if isinstance(node, Mapping) and node.items:
            _leaves(name, node, [], out)
        else:
            out.append(Entry(name, [], node.pos.line))
    return out


def _leaves(service: str, node: Mapping, prefix: List[str], out: List[Entry]) -> None:
    for key, child in node.items.items():
        path = prefix + [key]
        if isinstance(child, Mapping) and child.items:
            _leaves(service, child, path, out)
        else:
            line = node.key_pos.get(key, child.pos).line
            out.append(Entry(service, path, line))


def _raw(node) -> Any:
    """The node as written (variables not interpolated), to write a variant of the overlay."""
    if isinstance(node, Mapping):
        return {k: _raw(v) for k, v in node.items.items()}
    if isinstance(node, Sequence):
        return [_raw(v) for v in node.items]
    if isinstance(node, Scalar):
        return node.raw if isinstance(node.raw, str) and node.interpolated else node.value
    return None


def _without(data: dict, entry: Entry) -> dict:
    import copy

    out = copy.deepcopy(data)
    services = out.get("services", {})
    if not entry.key:
        services.pop(entry.service, None)
        return out
    parents = [services[entry.service]]
    for key in entry.key[:-1]:
        parents.append(parents[-1][key])
    parents[-1].pop(entry.key[-1], None)
    for depth in range(len(parents) - 1, 0, -1):  # an emptied block goes too
        if not parents[depth]:
            parents[depth - 1].pop(entry.key[depth - 1], None)
    if not services.get(entry.service):
        services.pop(entry.service, None)
    return out


def has_header(text: str) -> bool:
    """Whether the overlay starts with a comment (before any YAML) that says something."""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped == "---":
            continue
        return stripped.startswith("#") and len(stripped.lstrip("#").strip()) >= 3
    return False


def _first_input_problem(result) -> str:
    """The first CP000/CP001 finding of the recipe with its overlay, which the audit alone shows."""
    for finding in result.findings:
        if finding.rule in ("CP000", "CP001"):
            return f"{finding.pos}: {finding.rule} {finding.message}"
    return "see its CP000/CP001 findings"


def _key(finding) -> Tuple[str, Optional[str]]:
    return (finding.rule, finding.service)


def audit_overlay(base_stack, base_findings, overlay: str, with_result, relint) -> OverlayAudit:
    """Classify every entry of ``overlay``.

    ``with_result`` is the LintResult of the recipe with the overlay; ``relint(path)`` lints the
    recipe with another overlay file in its place (used to find which entry removes which finding).
    """
    with_stack = with_result.stacks[0] if with_result.stacks else None
    document = with_stack.documents.get(os.path.normpath(overlay)) if with_stack is not None else None
    if document is None:
        for path, doc in (with_stack.documents.items() if with_stack is not None else ()):
            if os.path.abspath(path) == os.path.abspath(overlay):
                document = doc
    text = with_stack.texts.get(document.path, "") if document is not None else ""
    audit = OverlayAudit(recipe=base_stack.name, overlay=overlay, header=has_header(text), entries=[])
    if document is None or document.root is None or not with_stack.valid:
        audit.problems.append("the recipe with this overlay is not valid compose: " + _first_input_problem(with_result))
        return audit
    audit.entries = overlay_entries(document.root)
    removed = {_key(f) for f in base_findings} - {_key(f) for f in with_result.findings}
    raw = _raw(document.root)
    budget = _Budget(relint, MAX_RELINTS)
    for entry in audit.entries:
        _classify(entry, base_stack, with_stack, removed, raw, budget)
        if entry.kind == "redundant" and entry.reason == _SAME:
            entry.reason = _why_same(entry, base_stack, document.root)
    return audit


def _classify(entry: Entry, base_stack, with_stack, removed, raw: dict, relint) -> None:
    base = base_stack.services.get(entry.service)
    merged = with_stack.services.get(entry.service)
    if base is None:
        entry.kind, entry.reason = "stale", f"service {entry.service} is not in the recipe any more"
        return
    if not entry.key:
        entry.kind, entry.reason = "redundant", "an empty service entry changes nothing"
        return
    if entry.key[0] == "healthcheck":
        weakened = _weakened_probe(base, merged)
        if weakened and entry.key[-1] in ("test", "disable"):
            entry.kind, entry.reason = "weakening", weakened
            _removes(entry, removed, raw, relint)
            _hides(entry)
            return
        if entry.key[-1] in _HEALTH_TUNING and not isinstance(base.get("healthcheck"), Mapping):
            entry.kind, entry.reason = "stale", "the recipe has no healthcheck any more to tune"
            return
    before, after = _effective(base, entry.key), _effective(merged, entry.key)
    weakened = _weakened_policy(entry.key, before, after)
    if weakened:
        entry.kind, entry.reason = "weakening", weakened
        _removes(entry, removed, raw, relint)
        _hides(entry)
        return
    appended = entry.key == ["healthcheck", "test"] and probe(base)[0] in ("check", "noop", "disabled")
    if appended and probe(base)[1] == probe(merged)[1]:
        entry.kind = "redundant"
        entry.reason = (f"docker appends this test to the recipe's, and the daemon still runs "
                        f"{probe(merged)[1]}: it has no effect")
        return
    if before == after:
        entry.kind, entry.reason = "redundant", _SAME
        return
    _removes(entry, removed, raw, relint)
    if entry.rules:
        entry.kind, entry.reason = "justified", "removes " + ", ".join(entry.rules)
    elif not entry.reason:
        entry.kind, entry.reason = "unexplained", "changes the stack but removes no finding"
    if appended:
        entry.reason += (f"; docker appends this test to the recipe's, so the daemon runs {probe(merged)[1]}, "
                         f"the recipe's program with this overlay's words as extra arguments")


_SAME = "the merged stack is the same without it"


def _why_same(entry: Entry, base_stack, root) -> str:
    base = base_stack.services.get(entry.service)
    node = root.get("services", entry.service, *entry.key)
    own = _normal(entry.key[-1], node.plain()) if node is not None else None
    if own != _effective(base, entry.key):
        return "docker's merge ignores this value (a zero never replaces the recipe's): it has no effect"
    if base.get(*entry.key) is None:
        if entry.key[-1] == "monitor" and node is not None and try_duration(node.plain()) == 0:
            return f"a zero monitor is never sent to swarm, which then watches for its default {_DEFAULTS['monitor']}: drop it"
        return "swarm's default is already this value: drop it"
    return "the recipe already has this value (fixed upstream?): drop it"


def _hides(entry: Entry) -> None:
    if entry.rules:
        entry.reason += f" (and it hides {', '.join(entry.rules)})"


class _Budget:
    """``relint`` for at most ``left`` more variants of the overlay, within MAX_RELINT_SECONDS."""

    def __init__(self, relint, left: int):
        import time

        self.relint = relint
        self._left = left
        self.deadline = time.monotonic() + MAX_RELINT_SECONDS

    @property
    def left(self) -> int:
        import time

        return self._left if time.monotonic() < self.deadline else 0

    def __call__(self, path):
        self._left -= 1
        return self.relint(path)


def _removes(entry: Entry, removed, raw: dict, relint: _Budget) -> None:
    """The findings that come back when this one entry is left out of the overlay."""
    if not removed:
        return
    if relint.left <= 0:
        if entry.kind == "unexplained":
            entry.reason = (f"not checked: the overlay has too many entries that change the stack "
                            f"(at most {MAX_RELINTS} are linted without it, in {MAX_RELINT_SECONDS:g} s)")
        return
    import yaml

    with tempfile.TemporaryDirectory(prefix="compose-policy-audit-") as folder:
        variant = os.path.join(folder, "compose.ccci.yml")
        with open(variant, "w", encoding="utf-8") as handle:
            yaml.safe_dump(_without(raw, entry), handle, sort_keys=False)
        back = {_key(f) for f in relint(variant).findings}
    entry.rules = sorted({rule for rule, service in removed & back if service in (None, entry.service)})
