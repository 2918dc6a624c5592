"""Rules are found by the registry: adding a rule module touches no engine file."""

import sys
import textwrap

import compose_policy.rules as rules_package
from compose_policy import registry
from compose_policy.engine import LintOptions, lint_paths
from compose_policy.rule import DOC_SECTIONS


def test_every_rule_has_a_unique_code_name_and_docs():
    rules = registry.all_rules()
    assert "CP101" in rules and "CP105" in rules
    names = [r.name for r in rules.values()]
    assert len(names) == len(set(names))
    for code, rule in rules.items():
        assert code.startswith("CP") and rule.code == code
        assert rule.name == rule.name.lower() and " " not in rule.name
        assert rule.missing_doc_sections() == [], f"{code} lacks {rule.missing_doc_sections()}"
        assert rule.summary()


def test_a_new_rule_module_is_picked_up_without_engine_changes(tmp_path, write, monkeypatch):
    plugin_dir = tmp_path / "extra_rules"
    plugin_dir.mkdir()
    (plugin_dir / "cp999_no_image.py").write_text(textwrap.dedent('''
        from compose_policy.model import Severity
        from compose_policy.rule import Rule

        class NoImage(Rule):
            """A service without an image."""
            code = "CP999"
            name = "no-image"
            severity = Severity.WARNING

            def check_service(self, service, ctx):
                if service.get("image") is None:
                    yield self.finding(service.node, "no image", service)
    '''))
    monkeypatch.setattr(rules_package, "__path__", list(rules_package.__path__) + [str(plugin_dir)])
    monkeypatch.setattr(registry, "_CACHE", {})
    try:
        write("r/compose.yml", "services:\n  app:\n    image: a\n  worker:\n    command: x\n")
        result = lint_paths([str(tmp_path / "r")], LintOptions(select=["CP999"]))
        assert [(f.rule, f.service, f.line) for f in result.findings] == [("CP999", "worker", 5)]
    finally:
        sys.modules.pop("compose_policy.rules.cp999_no_image", None)


def test_prefix_and_name_selection():
    assert registry.match_codes(["CP10"]) == [c for c in registry.all_rules() if c.startswith("CP10")]
    assert registry.match_codes(["start-first-heavy-rollback"]) == ["CP101"]


def test_doc_sections_are_the_ruff_five():
    assert DOC_SECTIONS == ("What it does", "Why is this bad", "Example", "Use instead", "Fix")


def test_rule_modules_are_found_as_pkgutil_finds_them():
    import pkgutil

    import compose_policy.rules as package
    from compose_policy.registry import _module_names

    assert _module_names(package.__path__) == [m.name for m in pkgutil.iter_modules(package.__path__)]
