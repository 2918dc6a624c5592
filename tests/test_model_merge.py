"""Merging overlays as docker 28 does, and positions that point at the deciding line.

The folders under tests/fixtures/model/docker are also compared with `docker stack config`
by test_docker_differential.py, so the values asserted here are docker's.
"""

import json
import pathlib

import pytest

from compose_policy.discover import discover
from compose_policy.stack import LoadOptions, load_target

DOCKER_CASES = pathlib.Path(__file__).resolve().parent / "fixtures" / "model" / "docker"
MERGE_CASES = DOCKER_CASES


def load(folder, *files):
    [target] = discover(str(folder))
    stack = load_target(target, LoadOptions(compose_files=files))
    assert stack.valid, stack.problems
    return stack


def service(folder, name, *files):
    return load(folder, *files).services[name]


def test_later_zero_values_replace_only_pointer_fields():
    app = service(DOCKER_CASES / "zero-values", "app", "compose.yml", "compose.zeros.yml")
    deploy = app.value("deploy")
    assert app.value("image") == "nginx:1"  # "" does not replace
    assert deploy["replicas"] == 0  # *uint64: 0 does replace
    assert deploy["update_config"] == {"parallelism": 0, "delay": "10s", "max_failure_ratio": 0.3,
                                       "order": "stop-first", "monitor": "30s"}
    assert deploy["restart_policy"] == {"condition": "on-failure", "delay": "5s", "max_attempts": 0}
    assert deploy["resources"]["limits"] == {"memory": "512M", "cpus": "0"}  # "0" is a size of 0, not cpus'
    assert app.value("healthcheck") == {"test": ["CMD", "a", "CMD", "b"], "interval": "10s", "retries": 0}


def test_label_maps_take_every_later_key_even_empty():
    app = service(DOCKER_CASES / "zero-values", "app", "compose.yml", "compose.zeros.yml")
    assert app.value("deploy", "labels") == {"x": "", "y": "over", "z": "", "w": ""}
    assert app.value("labels") == {"l1": ""}


def test_a_zero_duration_sets_a_pointer_only_where_none_was_set():
    stack = load(DOCKER_CASES / "pointer-durations", "compose.yml", "compose.zero.yml")
    app, solo = stack.services["app"], stack.services["solo"]
    assert app.value("healthcheck") == {"test": ["CMD-SHELL", "curl -f http://localhost", "CMD", "true"],
                                        "interval": "10s", "timeout": "5s", "start_period": "30s"}
    assert app.value("stop_grace_period") == "30s"
    assert app.value("deploy", "restart_policy", "window") == "10s"
    assert solo.value("healthcheck") == {"interval": "0s", "retries": 0}
    # a section new in the later file is taken as written (docker then omits the zero delay)
    assert solo.value("deploy", "update_config") == {"delay": "0s"}


def _ports(svc):
    return [(p.get("published"), p["target"], p.get("protocol"), p.get("mode")) for p in svc.value("ports")]


def test_one_file_keeps_its_ports_as_written():
    app = service(DOCKER_CASES / "ports-by-published", "app", "compose.yml")
    assert _ports(app) == [
        (None, 80, "tcp", "ingress"), (None, 443, "tcp", "ingress"),
        (53, 53, "tcp", "ingress"), (53, 53, "udp", "ingress"), (5000, 5000, "tcp", "ingress"),
        (8000, 80, "tcp", "ingress"), (8001, 80, "tcp", "ingress"),
    ]


def test_merged_ports_are_keyed_by_published_port_alone():
    # the overlay names app without ports, and still the ports collapse: "80" and "443" are
    # both published port 0, 53/tcp and 53/udp both 53
    app = service(DOCKER_CASES / "ports-by-published", "app", "compose.yml", "compose.untouched.yml")
    assert _ports(app) == [
        (None, 443, "tcp", "ingress"), (53, 53, "udp", "ingress"), (5000, 5000, "tcp", "ingress"),
        (8000, 80, "tcp", "ingress"), (8001, 80, "tcp", "ingress"),
    ]


def test_a_later_port_replaces_the_earlier_one_on_the_same_published_port():
    stack = load(DOCKER_CASES / "ports-by-published", "compose.yml", "compose.host.yml")
    assert _ports(stack.services["app"]) == [
        (None, 443, "tcp", "ingress"), (53, 53, "udp", "ingress"), (80, 80, None, "host"),
        (443, 443, None, "host"), (5000, 5000, "tcp", "ingress"), (8000, 80, "tcp", "ingress"),
        (8001, 80, "tcp", "ingress"),
    ]
    assert _ports(stack.services["other"]) == [
        (90, 90, "tcp", "ingress"), (7000, 7000, "tcp", "ingress"), (9000, 9000, "tcp", "ingress")]


def test_a_service_that_had_no_ports_takes_the_later_ones_as_they_are(tmp_path, write):
    write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n')
    write("r/compose.p.yml", 'version: "3.8"\nservices:\n  app:\n    ports: ["443:443", "80:80", '
                             '"81:81/udp", "81:81"]\n')
    app = service(tmp_path / "r", "app", "compose.yml", "compose.p.yml")
    assert [p[0] for p in _ports(app)] == [443, 80, 81, 81]


def test_keyed_lists_environment_logging_and_commands():
    stack = load(MERGE_CASES / "lists", "compose.yml", "compose.later.yml")
    app = stack.services["app"]
    assert app.value("volumes") == [
        {"type": "volume", "source": "data", "target": "/data"},
        {"type": "bind", "source": "./new", "target": "/etc/app", "read_only": True},
    ]
    assert [s["source"] for s in app.value("secrets")] == ["a_key", "b_key", "c_key"]
    assert app.value("secrets")[0] == {"source": "a_key", "target": "/run/a"}  # the later one wins
    assert app.value("command") == ["serve", "--later"]
    assert app.value("entrypoint") == ["/init"]  # an empty later list does not replace
    assert app.value("environment") == {"KEEP": "base", "CHANGE": "later", "EMPTY": "base",
                                        "NULLED": "base", "NEW_EMPTY": "", "NEW_NULL": None}
    assert app.value("logging") == {"driver": "json-file", "options": {"max-size": "", "max-file": "5"}}
    assert app.value("deploy", "placement", "constraints") == ["node.role == manager", "node.labels.db == 1"]
    assert stack.services["other"].value("logging") == {"driver": "syslog"}  # another driver replaces


def test_positions_point_at_the_overlay_that_decided_the_value():
    stack = load(MERGE_CASES / "lists", "compose.yml", "compose.later.yml")
    app = stack.services["app"]
    later = str(MERGE_CASES / "lists" / "compose.later.yml")
    base = str(MERGE_CASES / "lists" / "compose.yml")
    order = app.get("deploy", "update_config", "order")
    assert (order.pos.path, order.pos.line, order.pos.column) == (later, 16, 16)
    monitor = app.get("deploy", "update_config", "monitor")
    assert (monitor.pos.path, monitor.pos.line) == (base, 22)  # "0s" later on does not decide it
    labels = app.get("deploy", "labels")
    assert (labels.key_pos["traefik.enable"].path, labels.key_pos["traefik.enable"].line) == (later, 19)
    assert labels.key_pos["coop-cloud.lists_example_org.version"].line == 24
    assert labels.key_pos["coop-cloud.lists_example_org.version"].path == base


def test_a_finding_points_at_the_overlay_line(cli):
    folder = MERGE_CASES / "heavy"
    result = cli("lint", folder, "-c", "compose.yml", "-c", "compose.start-first.yml", "--format", "json",
                 "--select", "CP101")
    [finding] = json.loads(result.output)["findings"]
    assert finding["path"].endswith("compose.start-first.yml")
    assert (finding["line"], finding["column"]) == (7, 16)


def test_list_form_label_positions_and_unknown_values():
    stack = load(DOCKER_CASES / "interpolation", "compose.yml", "compose.extra.yml")
    labels = stack.services["app"].get("deploy", "labels")
    extra = str(DOCKER_CASES / "interpolation" / "compose.extra.yml")
    key = "traefik.http.routers.app_example_org.rule"
    assert labels.key_pos[key].path == extra
    assert (labels.key_pos[key].line, labels.key_pos[key].column) == (7, 11)
    assert labels.value(key) == "Host(`app.example.org`)"
    assert labels.value(" spaced ") == " kept "  # docker strips nothing
    assert labels.value("bare") == ""
    assert labels.value("greeting") == "overridden"


def test_unknown_values_win_a_merge_and_stay_unknown(tmp_path, write):
    write("r/compose.yml", 'version: "3.8"\nservices:\n  app:\n    image: nginx\n'
                           '    deploy:\n      update_config:\n        order: stop-first\n')
    write("r/compose.o.yml", 'version: "3.8"\nservices:\n  app:\n    deploy:\n      update_config:\n'
                             '        order: ${ORDER}\n      labels:\n        - "coop-cloud.${STACK_NAME}.x=${X}"\n')
    app = service(tmp_path / "r", "app", "compose.yml", "compose.o.yml")
    order = app.get("deploy", "update_config", "order")
    assert order.unknown and order.raw == "${ORDER}"
    assert app.value("deploy", "update_config", "order") is None  # unknown reads as "cannot tell"
    labels = app.get("deploy", "labels")
    assert list(labels.items) == ["coop-cloud.stack.x"]  # the key is known even if the value is not
    assert labels.items["coop-cloud.stack.x"].unknown


@pytest.mark.parametrize("files, services", [
    (("compose.yml",), ["app", "other"]),
    (("compose.yml", "compose.new.yml"), ["app", "other", "third"]),
])
def test_services_are_merged_by_name_and_sorted(files, services):
    assert list(load(DOCKER_CASES / "ports-by-published", *files).services) == services


def test_network_aliases_are_replaced_not_appended():
    app = service(DOCKER_CASES / "networks", "app", "compose.yml", "compose.later.yml")
    assert app.value("networks") == {"front": {"aliases": ["d"]}, "back": {"ipv4_address": "10.0.0.5"},
                                     "plain": {"aliases": ["e"]}}
