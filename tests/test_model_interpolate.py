"""Interpolation as docker/cli's template package does it, with unknown values marked."""

import pytest

from compose_policy.interpolate import Interpolator, InvalidTemplate, has_unresolved

ENV = {"SET": "value", "EMPTY": "", "STACK_NAME": "app_example_org"}


def interpolate(text, env=ENV):
    return Interpolator(env)(text)


@pytest.mark.parametrize("template, expected", [
    ("${SET}", "value"),
    ("$SET", "value"),
    ("${set}", "${set}"),  # names are case-sensitive: this one is unset (unknown)
    ("a-${SET}-b", "a-value-b"),
    ("${EMPTY}", ""),
    # soft default: unset or empty
    ("${UNSET:-d}", "d"),
    ("${EMPTY:-d}", "d"),
    ("${SET:-d}", "value"),
    # hard default: unset only
    ("${UNSET-d}", "d"),
    ("${EMPTY-d}", ""),
    ("${SET-d}", "value"),
    ("${UNSET:-}", ""),
    ("${UNSET:-a:b=c}", "a:b=c"),
    # required
    ("${SET:?must}", "value"),
    ("${SET?must}", "value"),
    ("${EMPTY?must}", ""),
    # escapes
    ("$$", "$"),
    ("$$SET", "$SET"),
    ("$${SET}", "${SET}"),
    ("cost: $$5", "cost: $5"),
    # docker's quirks: an unbraced default runs to the next "}" or the end
    ("$UNSET-dashed", "dashed"),
    ("$UNSET-a b}c", "a b}c"),
    # "-" is tried before "?": this is a hard default named "UNSET:?e"
    ("${UNSET:?e-x}", "x"),
])
def test_substitution_forms(template, expected):
    result = interpolate(template)
    if result.unknown:
        assert result.value == template == expected
    else:
        assert result.value == expected


@pytest.mark.parametrize("template", ["${UNSET}", "$UNSET", "${UNSET:?needed}", "${UNSET?needed}",
                                      "${EMPTY:?needed}", "x-${UNSET}"])
def test_a_variable_with_no_value_is_unknown_not_empty(template):
    result = interpolate(template)
    assert result.unknown
    assert result.value == template  # the template itself, never a guessed ""


def test_unknown_keeps_the_known_part():
    result = interpolate("coop-cloud.${STACK_NAME}.rule=Host(`${DOMAIN}`)")
    assert result.unknown
    assert result.partial == "coop-cloud.app_example_org.rule=Host(`${DOMAIN}`)"
    assert result.best == result.partial
    assert has_unresolved(result.partial)
    assert not has_unresolved("coop-cloud.app_example_org.rule")


def test_changed_says_whether_docker_would_cast():
    assert interpolate("${SET}").changed
    assert interpolate("$$").changed  # an escape changes the text too
    assert not interpolate("plain").changed
    assert not interpolate("${SET:-${SET}}").unknown


@pytest.mark.parametrize("template", ["$", "cost $ 5", "${", "${}", "$(hostname)", "${SET", "${1VAR}",
                                      "pg_isready -U $"])
def test_invalid_templates_raise(template):
    with pytest.raises(InvalidTemplate) as raised:
        interpolate(template)
    assert "$$" in str(raised.value)


@pytest.mark.parametrize("template, expected", [
    ("echo $(cat /f) $SET", "echo (cat /f) value"),
    ("$ ${SET:-x}", " value"),
    ("$(a) $$ b", None),  # an escape does not clear the error
    ("${SET} $(a)", None),
])
def test_a_later_reference_clears_a_lone_dollar_error_as_in_docker(template, expected):
    if expected is None:
        with pytest.raises(InvalidTemplate):
            interpolate(template)
    else:
        assert interpolate(template).value == expected


def test_text_without_dollar_is_untouched():
    result = interpolate("nginx:1.27")
    assert (result.value, result.unknown, result.changed) == ("nginx:1.27", False, False)


def test_yaml_scalars_are_interpolated_and_keys_are_not(write):
    from compose_policy.yamlload import load_document

    text = ('services:\n  app:\n    image: "nginx:${SET}"\n    deploy:\n      labels:\n'
            '        coop-cloud.${STACK_NAME}.version: ${UNSET:-1.0}\n      replicas: ${N:-2}\n')
    doc = load_document(text, "compose.yml", Interpolator(ENV))
    app = doc.root.get("services", "app")
    assert app.value("image") == "nginx:value"
    labels = app.get("deploy", "labels")
    # docker interpolates values, never mapping keys
    assert list(labels.items) == ["coop-cloud.${STACK_NAME}.version"]
    assert labels.value("coop-cloud.${STACK_NAME}.version") == "1.0"
    replicas = app.get("deploy", "replicas")
    assert (replicas.value, replicas.interpolated) == ("2", True)  # typed later, by normalize


def test_an_invalid_template_in_a_file_is_cp001_at_its_line(write, cli):
    import json

    path = write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n'
                                  '    environment:\n      - PS1=$ \n')
    result = cli("lint", path.parent, "--format", "json", "--select", "CP000,CP001")
    findings = json.loads(result.output)["findings"]
    assert [(f["rule"], f["line"], f["column"]) for f in findings] == [("CP001", 6, 9)]
    assert "$$" in findings[0]["message"]
