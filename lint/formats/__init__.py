"""Output formats for findings. Each module exposes ``render(result, **context) -> str``."""

from __future__ import annotations

import importlib

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Callable, Dict

FORMATS = {
    "text": "compose_policy.formats.text",
    "json": "compose_policy.formats.json_format",
    "sarif": "compose_policy.formats.sarif",
    "github": "compose_policy.formats.github",
    "junit": "compose_policy.formats.junit",
}


def renderer(name: str) -> Callable[..., str]:
    return importlib.import_module(FORMATS[name]).render


def register(name: str, module: str) -> None:
    FORMATS[name] = module


def names() -> Dict[str, str]:
    return dict(FORMATS)
