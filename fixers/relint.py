"""Lint one target with an explicit file set, through the engine's own per-stack pipeline.

The fixer lints a stack before (base files plus an existing overlay) and after (with the
new texts staged in temporary files), so both runs must read the same way: the stack's
configuration file, overrides and suppressions apply as in ``lint``, and a lone compose
file is linted as a one-folder file set too, which lets an overlay join it.
"""

from __future__ import annotations

import collections
import os
from dataclasses import dataclass
from typing import Counter, Dict, List, Optional, Sequence, Tuple

from compose_policy.config import ConfigResolver
from compose_policy.discover import Target
from compose_policy.engine import LintOptions, build_profile, lint_stack
from compose_policy.model import Finding, Position, Severity
from compose_policy.stack import LoadOptions, Stack, load_target


@dataclass
class Linted:
    stack: Stack
    findings: List[Finding]
    fail_on: Severity

    def keys(self) -> Counter:
        return collections.Counter((f.rule, f.service) for f in self.findings)


def as_file_set(target: Target) -> Target:
    """A lone file as a target whose file set can grow by an overlay.

    It keeps ``file``, which is how the fixer tells it from a recipe (see ``is_recipe``).
    """
    if target.kind == "recipe":
        return target
    return Target("recipe", target.name, target.root, file=target.file, explicit=True, overlays=[])


def is_recipe(target: Target) -> bool:
    return target.kind == "recipe" and target.file is None


class Linter:
    """Lints file sets with the configuration that applies to each target's folder."""

    def __init__(self, options: LintOptions):
        self.options = options
        self.resolver = ConfigResolver(options.config, options.find_config)
        self.profiles: Dict[int, object] = {}

    def _profile(self, folder: str):
        config = self.resolver.for_folder(folder)
        if id(config) not in self.profiles:
            self.profiles[id(config)] = build_profile(config, self.options)
        return self.profiles[id(config)]

    def lint(self, target: Target, files: Sequence[str], rename: Optional[Dict[str, str]] = None) -> Linted:
        """Findings of ``files`` merged in order; ``rename`` maps staged paths back to real ones."""
        # the engine reads the file set relative to the target's folder
        relative = tuple(os.path.relpath(f, target.root) for f in files)
        load = LoadOptions(compose_files=relative, env_file=self.options.load.env_file)
        stack = load_target(as_file_set(target), load)
        run = lint_stack(stack, self._profile(target.root), self.options, collections.Counter())
        findings = {}
        for finding in run.findings:
            if rename and finding.pos.path in rename:
                finding.pos = Position(rename[finding.pos.path], finding.pos.line, finding.pos.column)
            findings.setdefault((finding.rule, finding.pos, finding.service, finding.message), finding)
        return Linted(stack, sorted(findings.values(), key=Finding.sort_key), run.fail_on)


def problems_in(stack: Stack) -> List[Tuple[str, str]]:
    """(position, message) of the input problems that make fixing unsafe.

    Problems in a recipe's optional overlays that are not part of the file set are left out:
    they do not take part in the merge the fix is computed from.
    """
    skipped = set(stack.target.overlays) - set(stack.file_set)
    return [(str(p.pos), p.message) for p in stack.problems if p.pos.path not in skipped]
