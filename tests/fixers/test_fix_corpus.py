"""Acceptance on a copy of ../shared/corpus: every recipe, and every swarm file with a fix.

Overlay mode: every fixable finding disappears from the merged stack, the base files stay
byte-identical, a second run writes nothing, and ``docker stack config`` accepts each base +
overlay and shows the fixed values. In-place mode: the diff of every edited file touches
only the keys of the fixes. And the editor itself, on every service of every compose file.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import stat
from collections import Counter
from typing import Dict, List, Tuple

import pytest
import yaml

from compose_policy.discover import Target, discover
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.envfile import read_env_file
from compose_policy.fixers.edit import Edit, EditRefused
from compose_policy.fixers.relint import Linter
from compose_policy.fixers.yamledit import apply_edits
from compose_policy.stack import LoadOptions, Stack, load_target
from compose_policy.units import try_duration

from fixhelpers import docker_config, snapshot

pytestmark = pytest.mark.corpus


def swarm_files_with_fixes(corpus) -> List[str]:
    result = lint_paths([str(corpus / "swarm")], LintOptions())
    return sorted({f.path for f in result.findings if f.fix is not None})


@pytest.fixture
def tree(corpus, tmp_path):
    """A copy of coopcloud/ and of the swarm files that have fixable findings."""
    shutil.copytree(corpus / "coopcloud", tmp_path / "coopcloud")
    for path in swarm_files_with_fixes(corpus):
        rel = path[len(str(corpus)) + 1:]
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, tmp_path / rel)
    # the corpus is read-only and the fixer refuses read-only files: the copy is the user's own
    for path in [tmp_path, *tmp_path.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return tmp_path


def fixable(findings) -> List[str]:
    return [f"{f.rule} {f.service} {f.path}:{f.line}" for f in findings if f.fix is not None]


def stacks_of(tree) -> List[Tuple[Target, Stack]]:
    """(target, stack as lint loads it) of every stack in the copy, our own overlays left out."""
    out = []
    for folder in ("coopcloud", "swarm"):
        for target in discover(str(tree / folder)):
            if target.kind == "file" and ".ccci." in target.file:
                continue
            stack = load_target(target)
            if stack is not None:
                out.append((target, stack))
    return out


def fixable_by_stack(tree) -> Dict[str, List[str]]:
    """What ``lint`` reports as fixable, by recipe name or lone file path."""
    result = lint_paths([str(tree / "coopcloud"), str(tree / "swarm")], LintOptions())
    out: Dict[str, List[str]] = {}
    for finding in result.findings:
        out.setdefault(finding.recipe or finding.path, []).extend(fixable([finding]))
    return out


def merged_findings(target, stack, overlay):
    """The findings of the stack with the overlay last: through ``lint`` for a recipe."""
    if target.kind == "recipe":
        names = [os.path.relpath(p, target.root) for p in stack.file_set] + [os.path.relpath(overlay, target.root)]
        return lint_paths([target.root], LintOptions(load=LoadOptions(compose_files=tuple(names)))).findings
    return Linter(LintOptions()).lint(target, [target.file, overlay]).findings


def overlay_of(target) -> str:
    if target.kind == "recipe":
        return os.path.join(target.root, "compose.ccci.yml")
    return re.sub(r"\.(ya?ml)$", r".ccci.\1", target.file)


def docker_env(target) -> Dict[str, str]:
    sample = os.path.join(target.root, ".env.sample")
    env = dict(read_env_file(sample).values) if target.kind == "recipe" and os.path.isfile(sample) else {}
    env.setdefault("STACK_NAME", "stack")
    return {k: v for k, v in env.items() if k != "COMPOSE_FILE"}


def leaves(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from leaves(value, path + (key,))
    else:
        yield path, data


def same_value(expected, actual) -> bool:
    if expected == actual:
        return True
    a, b = try_duration(expected), try_duration(actual)
    return a is not None and a == b


def broken(stack) -> bool:
    """Input docker refuses (CP000/CP001 in the file set): the fixer must refuse it."""
    return any(p.pos.path in stack.file_set for p in stack.problems)


def refused_stacks(stacks, fixable_before) -> set:
    """The stacks with something to fix whose input docker refuses: the fixer must refuse them."""
    return {t.name for t, s in stacks if broken(s) and fixable_before.get(t.name)}


def test_overlay_mode_on_the_whole_corpus(tree, cli):
    before = snapshot(tree)
    stacks = stacks_of(tree)
    fixable_before = fixable_by_stack(tree)
    refused = refused_stacks(stacks, fixable_before)
    for name in refused:
        fixable_before[name] = []
    assert sum(map(len, fixable_before.values())) > 0, "the corpus should have fixable findings"

    result = cli("fix", tree / "coopcloud", tree / "swarm")
    assert result.exit_code == (2 if refused else 3), result.output
    for name in refused:
        assert f"{name}: not fixed: " in result.stderr and "fix the input first" in result.stderr

    after = snapshot(tree)
    new = sorted(set(after) - set(before))
    assert all(".ccci." in name for name in new), new
    assert {k: after[k] for k in before} == before, "a base file changed"

    written = 0
    for target, stack in stacks:
        overlay = overlay_of(target)
        if not fixable_before.get(target.name):
            assert not os.path.exists(overlay), f"{target.name}: an overlay without a fixable finding"
            continue
        written += 1
        assert fixable(merged_findings(target, stack, overlay)) == [], f"{target.name}: still fixable"

        files = [os.path.relpath(p, target.root) for p in stack.file_set]
        base_code, _, _ = docker_config(tree / target.root, files, docker_env(target))
        code, data, err = docker_config(tree / target.root, files + [os.path.relpath(overlay, target.root)],
                                        docker_env(target))
        if base_code != 0:
            continue  # docker rejects the stack without the overlay already: not ours to judge
        assert code == 0, f"{target.name}: docker stack config rejects base + overlay: {err}"
        with open(overlay) as handle:
            overlay_data = yaml.safe_load(handle)
        for path, value in leaves(overlay_data["services"]):
            node = data["services"]
            for key in path:
                node = node[key]
            assert same_value(value, node), f"{target.name}: {'.'.join(path)} is {node!r}, not {value!r}"
    assert written == len(new) > 0

    second = cli("fix", tree / "coopcloud", tree / "swarm")
    assert second.exit_code in ((2,) if refused else (0, 1)), second.output
    assert ("Nothing fixed" if refused else "Nothing to fix") in second.stdout
    assert snapshot(tree) == after


KEY = re.compile(r"^\s*(?P<key>[\w-]+):(?: (?P<value>.*))?$")


def changed(old: str, new: str) -> List[str]:
    """The removed ("-...") and added ("+...") lines of a line diff (no junk heuristic)."""
    a, b = old.splitlines(), new.splitlines()
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag != "equal":
            out += ["-" + line for line in a[i1:i2]] + ["+" + line for line in b[j1:j2]]
    return out


def test_in_place_mode_touches_only_the_keys_of_the_fixes(tree, cli):
    result = lint_paths([str(tree / "coopcloud"), str(tree / "swarm")], LintOptions())
    keys = {key for f in result.findings if f.fix is not None for key in f.fix.key_path}
    refused = refused_stacks(stacks_of(tree), fixable_by_stack(tree))
    before = {path: (tree / path).read_bytes().decode("utf-8", "replace") for path in snapshot(tree)}

    result = cli("fix", tree / "coopcloud", tree / "swarm", "--in-place", "--unsafe-fixes")
    assert result.exit_code == (2 if refused else 3), result.output
    edited = 0
    for path, old in before.items():
        new = (tree / path).read_bytes().decode("utf-8", "replace")
        if new == old:
            continue
        edited += 1
        for line in changed(old, new):
            match = KEY.match(line[1:])
            assert match and match.group("key") in keys, f"{path}: unintended line {line!r}"
            if line.startswith("-"):  # only a fixed value may be replaced, never a section
                assert match.group("value"), f"{path}: removed {line!r}"
    assert edited > 0
    again = cli("fix", tree / "coopcloud", tree / "swarm", "--in-place", "--unsafe-fixes")
    assert again.exit_code != 3 and ("Nothing fixed" if refused else "Nothing to fix") in again.stdout, again.output


def compose_files(corpus):
    for folder in ("coopcloud", "swarm"):
        for path in sorted((corpus / folder).rglob("*.y*ml")):
            text = path.read_text(encoding="utf-8", errors="replace")
            try:
                data = yaml.load(text, Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                continue
            if isinstance(data, dict) and isinstance(data.get("services"), dict) and data["services"]:
                yield path, text, data


def test_the_editor_on_every_service_of_every_corpus_file(corpus):
    outcomes: Counter = Counter()
    for path, text, data in compose_files(corpus):
        edits = [Edit(("services", name) + key, value) for name in data["services"]
                 for key, value in ((("deploy", "update_config", "order"), "stop-first"),
                                    (("deploy", "update_config", "monitor"), "1m30s"))]
        try:
            result = apply_edits(text, edits)
        except EditRefused as exc:
            assert re.search(r"anchor|merge key", str(exc)), f"{path}: {exc}"
            outcomes["refused"] += 1
            continue
        outcomes[result.engine] += 1
        for line in changed(text, result.text):
            match = KEY.match(line[1:])
            assert match and match.group("key") in {"deploy", "update_config", "order", "monitor"}, \
                f"{path}: unintended line {line!r}"
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
        for edit in edits:
            node = expected
            for key in edit.path[:-1]:
                if not isinstance(node.get(key), dict):
                    node[key] = {}
                node = node[key]
            node[edit.path[-1]] = edit.value
        assert yaml.load(result.text, Loader=yaml.CSafeLoader) == expected, f"{path}: the data differs"
    edited = outcomes["text"] + outcomes["ruamel"]
    assert edited >= 0.95 * (edited + outcomes["refused"]), outcomes
