"""Long forms and docker's typing of one file's service, and the shapes docker refuses."""

import json

import pytest

from compose_policy.interpolate import Interpolator
from compose_policy.goconv import go_string, shell_words
from compose_policy.normalize import normalize_service
from compose_policy.yamlload import load_document

ENV = {"STACK_NAME": "app_example_org", "DOMAIN": "app.example.org", "WORD": "two"}


def normalize(service_text, env=ENV):
    text = "services:\n  app:\n" + "".join(f"    {line}\n" for line in service_text.strip("\n").splitlines())
    doc = load_document(text, "compose.yml", Interpolator(env))
    problems = list(doc.problems)
    service = normalize_service(doc.root.get("services", "app"), problems)
    return service, problems


def test_interpolated_typed_fields_are_cast_like_docker():
    app, problems = normalize("""
deploy:
  replicas: ${N:-3}
  update_config:
    parallelism: "${P:-2}"
    max_failure_ratio: ${R:-0.25}
  restart_policy:
    max_attempts: ${M:-+5}
healthcheck:
  retries: ${T:-4}
  disable: ${D:-Off}
ports:
  - target: ${TARGET:-80}
    published: ${PUB:-8080}
read_only: ${RO:-yes}
""")
    assert problems == []
    assert app.value("deploy") == {"replicas": 3, "update_config": {"parallelism": 2, "max_failure_ratio": 0.25},
                                   "restart_policy": {"max_attempts": 5}}
    assert app.value("healthcheck") == {"retries": 4, "disable": False}
    assert app.value("ports") == [{"target": 80, "published": 8080}]
    assert app.value("read_only") is True


def test_text_that_was_not_interpolated_is_not_cast():
    app, _ = normalize('deploy:\n  replicas: "3"\n  labels:\n    n: "3"\n')
    assert app.value("deploy", "replicas") == "3"  # docker's schema refuses it; CP119-style rules judge


def test_a_failed_cast_is_cp001_outside_the_rule_checked_sections():
    _, problems = normalize("deploy:\n  replicas: ${WORD}\n  update_config:\n    parallelism: ${WORD}\n")
    [problem] = problems  # parallelism is left to CP119
    assert problem.kind == "compose"
    assert problem.pos.line == 4
    assert "'two' (from '${WORD}') is not an integer" in problem.message


def test_list_form_labels_and_environment_become_mappings():
    app, problems = normalize("""
environment:
  - A=1
  - B=
  - C
  - D=x=y
deploy:
  labels:
    - "coop-cloud.${STACK_NAME}.version=1.2.0+3.4"
    - " spaced = kept "
    - bare
""")
    assert problems == []
    assert app.value("environment") == {"A": "1", "B": "", "C": None, "D": "x=y"}
    assert app.value("deploy", "labels") == {"coop-cloud.app_example_org.version": "1.2.0+3.4",
                                             " spaced ": " kept ", "bare": ""}
    labels = app.get("deploy", "labels")
    assert (labels.key_pos[" spaced "].line, labels.key_pos[" spaced "].column) == (11, 11)


def test_an_unknown_list_entry_is_unknown_only_where_the_reference_is():
    app, _ = normalize("""
deploy:
  labels:
    - "traefik.http.routers.${STACK_NAME}.rule=Host(`${DOMAIN}`${EXTRA})"
    - "router.${ID}.entrypoints=web"
""")
    labels = app.get("deploy", "labels")
    rule = labels.items["traefik.http.routers.app_example_org.rule"]
    assert rule.unknown and rule.value == "Host(`app.example.org`${EXTRA})"
    entry = labels.items["router.${ID}.entrypoints"]  # docker would say router..entrypoints
    assert not entry.unknown and entry.value == "web"


def test_map_form_label_values_are_docker_strings():
    app, problems = normalize("""
deploy:
  labels:
    port: 8080
    ratio: 1e6
    half: .5
    none:
    flag: true
""")
    assert app.value("deploy", "labels") == {"port": "8080", "ratio": "1e+06", "half": "0.5", "none": "",
                                             "flag": True}
    [problem] = problems
    assert "'flag' is the boolean true" in problem.message and problem.pos.line == 9


@pytest.mark.parametrize("value, text", [
    (1000.0, "1000"), (1e6, "1e+06"), (1234567.0, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"),
    (123456.5, "123456.5"), (1e23, "1e+23"), (-0.0, "-0"), (2.5, "2.5"), (True, "true"), (7, "7"),
])
def test_go_string_is_fmt_sprint(value, text):
    assert go_string(value) == text


@pytest.mark.parametrize("lines, words, line", [
    ("deploy:\n  labels:\n    - a=1\n    - a=1\n", "listed twice", 4),
    ("deploy:\n  labels:\n    - traefik.port: 5000\n", "KEY=value string, not a mapping", 3),
    ("deploy:\n  labels:\n", "labels is empty", 2),
    ("environment:\n", "environment is empty", 1),
    ("deploy:\n  update_config:\n", "deploy.update_config is empty", 2),
    ("deploy:\n  resources:\n    limits:\n", "deploy.resources.limits is empty", 3),
    ("deploy:\n  resources: 512M\n", "deploy.resources must be a mapping", 2),
    ("healthcheck:\n", "healthcheck is empty", 1),
    ("ports:\n", "ports is empty", 1),
    ("deploy:\n  update-config:\n    order: start-first\n", "did you mean update_config?", 2),
    ("deploy:\n  resources:\n    ulimits: {}\n", "deploy.resources.ulimits is not a setting", 3),
    ("ports:\n  - 80:80/icmp\n", "invalid port", 2),
    ("ports:\n  - 8000-8002:80-81\n", "invalid port", 2),
    ("ports:\n  - 70000:80\n", "invalid port", 2),
    ("ports:\n  - true\n", "invalid port", 2),
])
def test_shapes_docker_refuses_are_cp001_at_their_line(lines, words, line):
    _, problems = normalize(lines)
    [problem] = problems
    assert problem.kind == "compose"
    assert words in problem.message
    assert problem.pos.line == line + 2


@pytest.mark.parametrize("spec, ports", [
    ("80", [(None, 80, "tcp")]),
    ("8080:80", [(8080, 80, "tcp")]),
    ("127.0.0.1:8080:80", [(8080, 80, "tcp")]),  # docker ignores the address
    ("[::1]:5000:5000", [(5000, 5000, "tcp")]),
    ("53:53/UDP", [(53, 53, "udp")]),
    ("8000-8001:80", [(8000, 80, "tcp"), (8001, 80, "tcp")]),
    ("9000-9001:9000-9001", [(9000, 9000, "tcp"), (9001, 9001, "tcp")]),
    ("8-10:8-10", [(10, 10, "tcp"), (8, 8, "tcp"), (9, 9, "tcp")]),  # docker's "port/proto" text order
    ("22:22", [(22, 22, "tcp")]),
])
def test_short_ports_become_long_form(spec, ports):
    app, problems = normalize(f'ports:\n  - "{spec}"\n')
    assert problems == []
    assert [(p.get("published"), p["target"], p["protocol"]) for p in app.value("ports")] == ports
    assert all(p["mode"] == "ingress" for p in app.value("ports"))


def test_an_unquoted_port_number_and_a_sexagesimal_looking_one():
    app, _ = normalize("ports:\n  - 8080\n  - 22:22\n")
    assert [(p.get("published"), p["target"]) for p in app.value("ports")] == [(None, 8080), (22, 22)]


def test_other_long_forms():
    app, _ = normalize("""
healthcheck:
  test: curl -f http://localhost
volumes:
  - data:/data
  - ./conf:/etc/conf:ro
  - /cache
secrets: [a]
networks: [proxy]
""")
    assert app.value("healthcheck", "test") == ["CMD-SHELL", "curl -f http://localhost"]
    assert app.value("volumes") == [{"type": "volume", "source": "data", "target": "/data"},
                                    {"type": "bind", "source": "./conf", "target": "/etc/conf", "read_only": True},
                                    {"type": "volume", "target": "/cache"}]
    assert app.value("secrets") == [{"source": "a"}]
    assert app.value("networks") == {"proxy": None}


def test_shape_problems_reach_the_linter_as_cp001(cli, write):
    path = write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n    deploy:\n'
                                  '      update-config:\n        order: start-first\n')
    result = cli("lint", path.parent, "--format", "json", "--select", "CP001")
    [finding] = json.loads(result.output)["findings"]
    assert (finding["line"], finding["column"]) == (6, 7)
    assert "update_config" in finding["message"]


def test_unknown_deploy_keys_are_reported_in_a_file_with_a_duplicate_key(cli, write):
    # the schema check skips a file with a duplicate key (CP000), which is still merged:
    # the long forms' own table of deploy keys is what reports the unknown one there
    path = write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n    image: nginx\n'
                                  '    deploy:\n      update-config:\n        order: start-first\n')
    result = cli("lint", path.parent, "--format", "json", "--select", "CP000,CP001")
    found = [(f["rule"], f["line"]) for f in json.loads(result.output)["findings"]]
    assert found == [("CP000", 5), ("CP001", 7)]


@pytest.mark.parametrize("text, words", [
    ('sh -c "echo \\x and \\"q\\""', ["sh", "-c", 'echo x and "q"']),  # any escape in double quotes
    ("a#b #comment to the end", ["a#b"]),  # "#" starts a comment only at a word's start
    ("x\ny # c\nz", ["x", "y", "z"]),  # up to the end of the line
    ("'a \\ b' c", ["a \\ b", "c"]),  # single quotes keep a backslash
    ("a\\ b", ["a b"]),
    ('""', [""]),
    ("", []),
])
def test_string_commands_are_split_like_docker(text, words):
    assert shell_words(text) == words


def test_string_command_and_entrypoint_become_lists():
    app, problems = normalize("command: serve --port 80\nentrypoint: \"/init 'a b'\"\n")
    assert problems == []
    assert app.value("command") == ["serve", "--port", "80"]
    assert app.value("entrypoint") == ["/init", "a b"]
    _, problems = normalize("command: 'sh -c \"unclosed'\n")
    assert "closing quote" in problems[0].message


@pytest.mark.parametrize("spec, volume", [
    ("data:/data:nocopy", {"type": "volume", "source": "data", "target": "/data", "volume": {"nocopy": True}}),
    ("./conf:/etc/conf:ro,rslave", {"type": "bind", "source": "./conf", "target": "/etc/conf", "read_only": True,
                                    "bind": {"propagation": "rslave"}}),
    ("/a:/b:rw", {"type": "bind", "source": "/a", "target": "/b"}),
    ("~/a:/b", {"type": "bind", "source": "~/a", "target": "/b"}),
    ("/cache", {"type": "volume", "target": "/cache"}),
    ("C:\\data:/data", {"type": "bind", "source": "C:\\data", "target": "/data"}),
])
def test_short_volumes_are_parsed_like_docker(spec, volume):
    app, problems = normalize(f"volumes:\n  - '{spec}'\n")
    assert problems == []
    assert app.value("volumes") == [volume]


@pytest.mark.parametrize("spec", ["::ro", "data:/a:ro:extra"])
def test_a_volume_docker_cannot_parse_is_cp001(spec):
    _, [problem] = normalize(f"volumes:\n  - '{spec}'\n")
    assert "invalid volume" in problem.message and problem.pos.line == 4


def test_environment_entries_without_a_value_take_the_deploying_env():
    text = "services:\n  app:\n    environment:\n      - FROM_ENV\n      - EMPTY=\n      - MISSING\n      - SET=1\n"
    doc = load_document(text, "compose.yml")
    app = normalize_service(doc.root.get("services", "app"), [], {"FROM_ENV": "x", "EMPTY": "y", "SET": "z"})
    assert app.value("environment") == {"FROM_ENV": "x", "EMPTY": "y", "MISSING": None, "SET": "1"}
