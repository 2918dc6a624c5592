"""Which interpolated compose values docker casts, and to what: one table for every reader.

docker/cli (cli/compose/loader/interpolate.go) casts the interpolated text of these fields
before it validates the file: ``replicas: ${N:-2}`` is the integer 2, ``read_only: ${RO}`` with
RO=yes the boolean true. The schema check (validate, CP001) reads the whole-file table; the
long forms of one service (normalize) read the service's.
"""

from __future__ import annotations

from compose_policy.compose_schema import SERVICE_PATH
from compose_policy.goconv import to_bool, to_float, to_int

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Callable, Dict, Tuple

# in one service, by path: "[]" is any list item, "*" any key
SERVICE_CASTS: Dict[Tuple[str, ...], Callable[[str], Any]] = {
    ("configs", "[]", "mode"): to_int,
    ("secrets", "[]", "mode"): to_int,
    ("healthcheck", "retries"): to_int,
    ("healthcheck", "disable"): to_bool,
    ("deploy", "replicas"): to_int,
    ("deploy", "update_config", "parallelism"): to_int,
    ("deploy", "update_config", "max_failure_ratio"): to_float,
    ("deploy", "rollback_config", "parallelism"): to_int,
    ("deploy", "rollback_config", "max_failure_ratio"): to_float,
    ("deploy", "restart_policy", "max_attempts"): to_int,
    ("deploy", "placement", "max_replicas_per_node"): to_int,
    ("ports", "[]", "target"): to_int,
    ("ports", "[]", "published"): to_int,
    ("ulimits", "*"): to_int,
    ("ulimits", "*", "hard"): to_int,
    ("ulimits", "*", "soft"): to_int,
    ("privileged",): to_bool,
    ("read_only",): to_bool,
    ("stdin_open",): to_bool,
    ("tty",): to_bool,
    ("volumes", "[]", "read_only"): to_bool,
    ("volumes", "[]", "volume", "nocopy"): to_bool,
}

# the top-level sections' fields docker casts, all booleans
_SECTION_FLAGS = {"networks": ("external", "internal", "attachable"), "volumes": ("external",),
                  "secrets": ("external",), "configs": ("external",)}

# in one file, by path: every service's fields, and the flags of the top-level sections
FILE_CASTS: Dict[Tuple[str, ...], Callable[[str], Any]] = {
    **{SERVICE_PATH + path: cast for path, cast in SERVICE_CASTS.items()},
    **{(section, "*", flag): to_bool for section, flags in _SECTION_FLAGS.items() for flag in flags},
}
