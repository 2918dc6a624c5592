"""Image references and the curated image lists shipped in rules/data."""

from __future__ import annotations

import fnmatch
import functools
import os

import yaml

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, Dict, Optional, Tuple

_DATA = os.path.join(os.path.dirname(__file__), "data")


@functools.lru_cache(maxsize=None)
def shipped_list(name: str) -> Dict[str, Any]:
    with open(os.path.join(_DATA, name), encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}


def split_image(image: str) -> Tuple[str, Optional[str]]:
    """``ghcr.io/org/app:1.2@sha256:..`` -> (``org/app``, ``1.2``); docker.io/library/ dropped."""
    ref = image.split("@", 1)[0]
    name, tag = ref, None
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    parts = name.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host
    if len(parts) > 1 and parts[0] == "library":
        parts = parts[1:]
    return "/".join(parts).lower(), tag


def repository(image: str) -> str:
    return split_image(image)[0]


def match_image(image: str, patterns: Dict[str, Any]) -> Optional[Tuple[str, Any]]:
    """The first (pattern, data) whose pattern matches the image's repository."""
    repo = repository(image)
    if repo in patterns:
        return repo, patterns[repo]
    for pattern, data in patterns.items():
        if fnmatch.fnmatchcase(repo, str(pattern).lower()):
            return str(pattern), data
    return None
