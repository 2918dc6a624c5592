"""What ``docker stack deploy`` accepts in one compose file: the keys and value types of its schema.

docker/cli validates each file of a stack, after interpolation, against the compose 3.x
JSON schema of the version the file declares (3.13 when it declares none, or "3"). This is
that schema written as a table of the shapes the linter needs, not docker's file: a ``Spec``
says which kinds a value may be, which keys a mapping allows, what a list holds. Keys that
appeared after 3.0 carry the version that introduced them (``SINCE``), as measured against
the docker CLI: a 3.4 file with ``rollback_config`` is refused.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Dict, Optional, Tuple

DEFAULT_VERSION = "3.13"
SUPPORTED_VERSIONS = tuple(f"3.{minor}" for minor in range(14))
NAME_PATTERN = re.compile(r"[a-zA-Z0-9._-]+")  # service, network, volume, secret, config names


class Spec:
    """One node of the schema. ``kinds``: string integer number boolean null mapping list."""

    __slots__ = ("kinds", "props", "extra", "key_pattern", "items", "unique", "fmt", "enum", "one_of",
                 "required", "extensions")

    def __init__(self, *kinds: str, props: Optional[Dict[str, "Spec"]] = None, extra=False,
                 key_pattern=None, items: Optional["Spec"] = None, unique: bool = False, fmt: str = "",
                 enum: Tuple = (), one_of: Tuple = (), required: Tuple = (), extensions: bool = False):
        self.kinds = frozenset(kinds)
        self.props = props or {}
        self.extra = extra  # False: no other key; True: any other key; a Spec: other keys' values
        self.key_pattern = key_pattern  # other keys must match it (then they take ``extra``)
        self.items = items
        self.unique = unique
        self.fmt = fmt  # "duration"
        self.enum = enum
        self.one_of = one_of  # alternatives: the value must match exactly one
        self.required = required
        self.extensions = extensions  # x-* keys allowed


ANY = Spec("string", "integer", "number", "boolean", "null", "mapping", "list", extra=True)
STRING = Spec("string")
INTEGER = Spec("integer")
NUMBER = Spec("number")
BOOLEAN = Spec("boolean")
DURATION = Spec("string", fmt="duration")
LIST_OF_STRINGS = Spec("list", items=STRING, unique=True)
STRING_OR_LIST = Spec(one_of=(STRING, LIST_OF_STRINGS))
LIST_OR_DICT = Spec(one_of=(Spec("mapping", extra=Spec("string", "number", "null")),
                            Spec("list", items=STRING, unique=True)))
STRINGS = Spec("list", items=STRING, unique=True)
OPTIONS = Spec("mapping", extra=Spec("string", "number"))
EXTERNAL = Spec("boolean", "mapping", props={"name": STRING})
EXTERNAL_OPEN = Spec("boolean", "mapping", props={"name": STRING}, extra=True)
FILE_REFERENCE = Spec(one_of=(STRING, Spec("mapping", props={
    "source": STRING, "target": STRING, "uid": STRING, "gid": STRING, "mode": NUMBER}, extra=True)))

UPDATE_CONFIG = Spec("mapping", props={
    "parallelism": INTEGER, "delay": DURATION, "failure_action": STRING, "monitor": DURATION,
    "max_failure_ratio": NUMBER, "order": Spec("string", enum=("start-first", "stop-first")),
})

DEPLOY = Spec("mapping", "null", props={
    "mode": STRING,
    "endpoint_mode": STRING,
    "replicas": INTEGER,
    "labels": LIST_OR_DICT,
    "rollback_config": UPDATE_CONFIG,
    "update_config": UPDATE_CONFIG,
    "resources": Spec("mapping", props={
        "limits": Spec("mapping", props={"cpus": STRING, "memory": STRING, "pids": INTEGER}),
        "reservations": Spec("mapping", props={
            "cpus": STRING, "memory": STRING,
            "generic_resources": Spec("list", items=Spec("mapping", props={
                "discrete_resource_spec": Spec("mapping", props={"kind": STRING, "value": NUMBER}),
            })),
        }),
    }),
    "restart_policy": Spec("mapping", props={
        "condition": STRING, "delay": DURATION, "max_attempts": INTEGER, "window": DURATION}),
    "placement": Spec("mapping", props={
        "constraints": Spec("list", items=STRING),
        "preferences": Spec("list", items=Spec("mapping", props={"spread": STRING})),
        "max_replicas_per_node": INTEGER,
    }),
})

HEALTHCHECK = Spec("mapping", props={
    "disable": BOOLEAN, "interval": DURATION, "retries": NUMBER,
    "test": Spec(one_of=(STRING, Spec("list", items=STRING))),
    "timeout": DURATION, "start_period": DURATION, "start_interval": DURATION,
})

SERVICE_NETWORK = Spec(one_of=(Spec("mapping", props={
    "aliases": LIST_OF_STRINGS, "driver_opts": OPTIONS, "ipv4_address": STRING, "ipv6_address": STRING,
}), Spec("null")))

SERVICE = Spec("mapping", extensions=True, props={
    "deploy": DEPLOY,
    "build": Spec(one_of=(STRING, Spec("mapping", extra=True, props={
        "context": STRING, "dockerfile": STRING, "args": LIST_OR_DICT, "labels": LIST_OR_DICT,
        "cache_from": LIST_OF_STRINGS, "network": STRING, "target": STRING,
        "shm_size": Spec("integer", "string"), "extra_hosts": LIST_OR_DICT}))),
    "cap_add": STRINGS,
    "cap_drop": STRINGS,
    "cgroupns_mode": STRING,
    "cgroup_parent": STRING,
    "command": Spec(one_of=(STRING, Spec("list", items=STRING))),
    "configs": Spec("list", items=FILE_REFERENCE),
    "container_name": STRING,
    "credential_spec": Spec("mapping", props={"config": STRING, "file": STRING, "registry": STRING}),
    "depends_on": LIST_OF_STRINGS,
    "devices": STRINGS,
    "dns": STRING_OR_LIST,
    "dns_search": STRING_OR_LIST,
    "domainname": STRING,
    "entrypoint": Spec(one_of=(STRING, Spec("list", items=STRING))),
    "env_file": STRING_OR_LIST,
    "environment": LIST_OR_DICT,
    "expose": Spec("list", items=Spec("string", "number"), unique=True),
    "external_links": STRINGS,
    "extra_hosts": LIST_OR_DICT,
    "healthcheck": HEALTHCHECK,
    "hostname": STRING,
    "image": STRING,
    "init": BOOLEAN,
    "ipc": STRING,
    "isolation": STRING,
    "labels": LIST_OR_DICT,
    "links": STRINGS,
    "logging": Spec("mapping", props={
        "driver": STRING, "options": Spec("mapping", extra=Spec("string", "number", "null"))}),
    "mac_address": STRING,
    "network_mode": STRING,
    "networks": Spec(one_of=(LIST_OF_STRINGS, Spec("mapping", key_pattern=NAME_PATTERN,
                                                   extra=SERVICE_NETWORK))),
    "pid": Spec("string", "null"),
    "ports": Spec("list", unique=True, items=Spec(one_of=(
        Spec("number"), STRING,
        Spec("mapping", props={"mode": STRING, "target": INTEGER, "published": INTEGER, "protocol": STRING}),
    ))),
    "privileged": BOOLEAN,
    "read_only": BOOLEAN,
    "restart": STRING,
    "security_opt": STRINGS,
    "shm_size": Spec("number", "string"),
    "secrets": Spec("list", items=FILE_REFERENCE),
    "sysctls": LIST_OR_DICT,
    "stdin_open": BOOLEAN,
    "stop_grace_period": DURATION,
    "stop_signal": STRING,
    "tmpfs": STRING_OR_LIST,
    "tty": BOOLEAN,
    "ulimits": Spec("mapping", key_pattern=re.compile(r"[a-z]+"), extra=Spec(one_of=(
        INTEGER, Spec("mapping", props={"hard": INTEGER, "soft": INTEGER}, required=("soft", "hard"))))),
    "oom_score_adj": INTEGER,
    "user": STRING,
    "userns_mode": STRING,
    "volumes": Spec("list", items=Spec(one_of=(STRING, Spec("mapping", required=("type",), props={
        "type": STRING, "source": STRING, "target": STRING, "read_only": BOOLEAN, "consistency": STRING,
        "bind": Spec("mapping", extra=True, props={"propagation": STRING}),
        "volume": Spec("mapping", extra=True, props={"nocopy": BOOLEAN}),
        "tmpfs": Spec("mapping", extra=True, props={"size": INTEGER}),
    })))),  # unique items only before 3.2 (UNIQUE_BEFORE): later schemas misplace the rule
    "working_dir": STRING,
})

NETWORK = Spec("mapping", "null", extensions=True, props={
    "name": STRING, "driver": STRING, "driver_opts": OPTIONS,
    "ipam": Spec("mapping", props={"driver": STRING, "config": Spec("list", items=Spec("mapping", props={
        "subnet": STRING}))}),
    "external": EXTERNAL, "internal": BOOLEAN, "attachable": BOOLEAN, "labels": LIST_OR_DICT,
})
VOLUME = Spec("mapping", "null", extensions=True, props={
    "name": STRING, "driver": STRING, "driver_opts": OPTIONS, "external": EXTERNAL, "labels": LIST_OR_DICT,
    "x-cluster-spec": ANY,
})
SECRET = Spec("mapping", extensions=True, props={
    "name": STRING, "file": STRING, "external": EXTERNAL_OPEN, "labels": LIST_OR_DICT, "driver": STRING,
    "driver_opts": OPTIONS, "template_driver": STRING,
})
CONFIG = Spec("mapping", extensions=True, props={
    "name": STRING, "file": STRING, "external": EXTERNAL_OPEN, "labels": LIST_OR_DICT,
    "template_driver": STRING,
})


def _named(spec: Spec, strict: bool = True) -> Spec:
    # a top-level section: names docker's pattern allows; others refused only where strict
    return Spec("mapping", key_pattern=NAME_PATTERN if strict else None, extra=spec)


ROOT = Spec("mapping", extensions=True, props={
    "version": STRING,
    "services": _named(SERVICE),
    "networks": Spec("mapping", extra=NETWORK),  # docker's schema leaves network names free
    "volumes": _named(VOLUME),
    "secrets": _named(SECRET),
    "configs": _named(CONFIG),
})

# keys newer than compose 3.0, by the version that introduced them (measured with docker 28)
SERVICE_PATH = ("services", "*")
SINCE: Dict[Tuple[str, ...], str] = {
    SERVICE_PATH + ('deploy', 'endpoint_mode'): '3.2',
    SERVICE_PATH + ('deploy', 'rollback_config'): '3.7',
    SERVICE_PATH + ('deploy', 'update_config', 'order'): '3.4',
    SERVICE_PATH + ('deploy', 'resources', 'limits', 'pids'): '3.9',
    SERVICE_PATH + ('deploy', 'resources', 'reservations', 'generic_resources'): '3.5',
    SERVICE_PATH + ('deploy', 'placement', 'preferences'): '3.3',
    SERVICE_PATH + ('deploy', 'placement', 'max_replicas_per_node'): '3.8',
    SERVICE_PATH + ('build', 'labels'): '3.3',
    SERVICE_PATH + ('build', 'cache_from'): '3.2',
    SERVICE_PATH + ('build', 'network'): '3.4',
    SERVICE_PATH + ('build', 'target'): '3.4',
    SERVICE_PATH + ('build', 'shm_size'): '3.5',
    SERVICE_PATH + ('build', 'extra_hosts'): '3.9',
    SERVICE_PATH + ('cgroupns_mode',): '3.9',
    SERVICE_PATH + ('configs',): '3.3',
    SERVICE_PATH + ('credential_spec',): '3.3',
    SERVICE_PATH + ('credential_spec', 'config'): '3.8',
    SERVICE_PATH + ('healthcheck', 'start_period'): '3.4',
    SERVICE_PATH + ('healthcheck', 'start_interval'): '3.12',
    SERVICE_PATH + ('init',): '3.7',
    SERVICE_PATH + ('isolation',): '3.5',
    SERVICE_PATH + ('oom_score_adj',): '3.13',
    SERVICE_PATH + ('secrets',): '3.1',
    SERVICE_PATH + ('volumes', '[]', 'tmpfs'): '3.6',
}
# the long forms of a port and of a volume came with 3.2
SINCE.update({SERVICE_PATH + ("ports", "[]", key): "3.2" for key in ("mode", "target", "published", "protocol")})
SINCE.update({SERVICE_PATH + ("volumes", "[]", key): "3.2" for key in (
    "type", "source", "target", "read_only", "consistency", "bind", "volume")})
# top-level sections and their entries
SINCE.update({
    ("secrets",): "3.1", ("configs",): "3.3",
    ("networks", "*", "name"): "3.5", ("networks", "*", "attachable"): "3.2",
    ("volumes", "*", "name"): "3.4",
    ("secrets", "*", "name"): "3.5", ("secrets", "*", "driver"): "3.8", ("secrets", "*", "driver_opts"): "3.8",
    ("secrets", "*", "template_driver"): "3.8",
    ("configs", "*", "name"): "3.5", ("configs", "*", "template_driver"): "3.8",
})
# x-* extension keys: at the top level since 3.4, in a service, network, volume, secret or config since 3.7
EXTENSIONS_SINCE: Dict[Tuple[str, ...], str] = {(): "3.4", **{(section, "*"): "3.7" for section in (
    "services", "networks", "volumes", "secrets", "configs")}}
# mappings that take any other key only from a version on (before it, an unknown key is refused)
EXTRA_SINCE: Dict[Tuple[str, ...], str] = {SERVICE_PATH + ("build",): "3.11"}
# the long (mapping) form of a port or a volume came with 3.2
KIND_SINCE: Dict[Tuple[Tuple[str, ...], str], str] = {
    (SERVICE_PATH + ("ports", "[]"), "mapping"): "3.2", (SERVICE_PATH + ("volumes", "[]"), "mapping"): "3.2"}
# lists whose items had to be unique only up to a version
UNIQUE_BEFORE: Dict[Tuple[str, ...], str] = {SERVICE_PATH + ("volumes",): "3.2"}
