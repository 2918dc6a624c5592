"""Lint text that is not (yet) a file on disk: stdin (``lint -``) and a fixer's proof.

The text is written under its own name into a private temporary folder, linted there as a
file on its own, and the findings are moved back to the name it stands for. The
configuration is the one that applies at that name (the nearest .compose-policy.yml
above it, or ``--config``), so a pre-commit or editor run through stdin judges the text
exactly as ``lint PATH`` judges a lone file. A compose file read this way has no recipe
around it: no ``.env``, no overlays.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from compose_policy.config import ConfigResolver
from compose_policy.engine import LintOptions, LintResult, lint_paths
from compose_policy.model import Position


def lint_text(text: str, path: str, options: LintOptions) -> LintResult:
    folder = os.path.dirname(os.path.abspath(path))
    if options.find_config and not options.config:
        found = ConfigResolver(None, True).nearest_file(folder)
        if found:
            options = _with(options, config=found)
    scratch = tempfile.mkdtemp(prefix="compose-policy-")
    try:
        staged = os.path.join(scratch, os.path.basename(path) or "stdin")
        with open(staged, "w", encoding="utf-8") as handle:
            handle.write(text)
        result = lint_paths([staged], options)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for finding in result.findings:
        if finding.pos.path == staged:
            finding.pos = Position(path, finding.pos.line, finding.pos.column)
            finding.extra["file"] = path
    return result


def _with(options: LintOptions, **changes) -> LintOptions:
    values = {name: getattr(options, name) for name in LintOptions._fields}
    values.update(changes)
    return LintOptions(**values)
