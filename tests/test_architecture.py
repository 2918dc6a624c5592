"""The boundaries the design promises, checked on the source with libcst.

- a rule reads the model and yields findings: it opens no file, runs no process and talks
  to no daemon (the shipped data lists are read by one module, rules/_images.py);
- the harness stands alone on the docker SDK: it imports nothing of the linter;
- the linter and the fixers never import the harness, and the linter never imports the fixers
  (the CLI names them as lazily imported strings).
"""

from __future__ import annotations

import pathlib
from typing import Iterator, List, Tuple

import libcst as cst
import libcst.matchers as m
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
# module -> why it may read files: the one reader of the data lists rules/ ships
DATA_READERS = {"rules/_images.py": "loads rules/data/*.yml, the curated image lists"}
FORBIDDEN_IN_RULES = ("os", "subprocess", "socket", "shutil", "pathlib", "docker", "requests",
                      "compose_policy.harness", "compose_policy.fixers", "compose_policy.stack",
                      "compose_policy.discover")
FORBIDDEN_CALLS = ("open", "exec", "eval", "__import__")


def dotted(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return f"{dotted(node.value)}.{node.attr.value}"
    return ""


class Imports(cst.CSTVisitor):
    """Absolute module names a file imports (relative imports are resolved to their package)."""

    METADATA_DEPENDENCIES = (cst.metadata.PositionProvider,)

    def __init__(self, package: str):
        self.package = package
        self.found: List[Tuple[str, int]] = []
        self.calls: List[Tuple[str, int]] = []

    def _line(self, node) -> int:
        return self.get_metadata(cst.metadata.PositionProvider, node).start.line

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            self.found.append((dotted(alias.name), self._line(node)))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = dotted(node.module) if node.module is not None else ""
        if node.relative:
            parts = self.package.split(".")
            base = parts[: len(parts) - (len(node.relative) - 1)]
            module = ".".join(base + ([module] if module else []))
        self.found.append((module, self._line(node)))

    def visit_Call(self, node: cst.Call) -> None:
        if m.matches(node.func, m.Name()):
            self.calls.append((node.func.value, self._line(node)))


def scan(path: pathlib.Path, package: str) -> Imports:
    wrapper = cst.metadata.MetadataWrapper(cst.parse_module(path.read_text()))
    visitor = Imports(package)
    wrapper.visit(visitor)
    return visitor


def modules(folder: str) -> Iterator[pathlib.Path]:
    yield from sorted((ROOT / folder).glob("*.py"))


def hits(names: List[Tuple[str, int]], forbidden) -> List[str]:
    return [f"{name} (line {line})" for name, line in names
            if any(name == f or name.startswith(f + ".") for f in forbidden)]


RULE_MODULES = [p for p in modules("rules") if p.relative_to(ROOT).as_posix() not in DATA_READERS]


@pytest.mark.parametrize("path", RULE_MODULES, ids=lambda p: p.name)
def test_rules_do_no_io(path):
    found = scan(path, "compose_policy.rules")
    assert hits(found.found, FORBIDDEN_IN_RULES) == []
    assert [f"{name}() (line {line})" for name, line in found.calls if name in FORBIDDEN_CALLS] == []


def test_the_data_reader_exemption_is_needed_and_narrow():
    for rel in DATA_READERS:
        found = scan(ROOT / rel, "compose_policy.rules")
        assert any(name == "open" for name, _ in found.calls) or hits(found.found, ("os",))
        assert hits(found.found, ("subprocess", "socket", "docker", "compose_policy.harness")) == []


@pytest.mark.parametrize("path", list(modules("harness")), ids=lambda p: p.name)
def test_harness_imports_nothing_of_the_linter(path):
    found = scan(path, "compose_policy.harness")
    outside = [f"{name} (line {line})" for name, line in found.found
               if name.startswith("compose_policy") and not name.startswith("compose_policy.harness")]
    assert outside == []


@pytest.mark.parametrize("path", list(modules("lint")) + list(modules("lint/commands"))
                         + list(modules("lint/formats")) + list(modules("fixers")),
                         ids=lambda p: p.relative_to(ROOT).as_posix())
def test_linter_and_fixers_do_not_import_the_harness(path):
    rel = path.relative_to(ROOT).as_posix()
    found = scan(path, "compose_policy")
    assert hits(found.found, ("compose_policy.harness", "docker")) == []
    if not rel.startswith("fixers/"):
        assert hits(found.found, ("compose_policy.fixers",)) == []


def test_the_checks_see_a_violation(tmp_path):
    bad = tmp_path / "cp999_bad.py"
    bad.write_text("import subprocess\nfrom ..harness import connect\n\ndef f():\n    return open('x')\n")
    found = scan(bad, "compose_policy.rules")
    assert hits(found.found, FORBIDDEN_IN_RULES) == ["subprocess (line 1)", "compose_policy.harness (line 2)"]
    assert ("open", 5) in found.calls
