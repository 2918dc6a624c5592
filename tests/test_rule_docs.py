"""Rule pages link Docker's documentation and say what each option means."""

import re

import pytest

from compose_policy.registry import all_rules

NO_DOCKER_TOPIC = {"CP500", "CP900"}  # a Python syntax error, an unused suppression comment
DOCKER_LINK = re.compile(r"\[[^\]]+\]\((https://docs\.docker\.com/[^)\s]+)\)")


@pytest.mark.parametrize("code", [c for c in all_rules() if c not in NO_DOCKER_TOPIC])
def test_the_rule_links_dockers_docs(code):
    rule = all_rules()[code]
    links = DOCKER_LINK.findall(rule.doc_sections().get("See also", ""))
    assert links, f"{code}: no Docker documentation link under ## See also"


@pytest.mark.parametrize("code", [c for c, r in all_rules().items() if r.options])
def test_every_option_is_described(code):
    rule = all_rules()[code]
    assert set(rule.option_help) == set(rule.options)
    page = rule.markdown()
    for option, meaning in rule.option_help.items():
        assert f"- `{option}` (default `{rule.options[option]!r}`): {meaning}" in page
