"""Variable interpolation exactly as the docker CLI does it for `docker stack deploy`.

The pattern and the order of the substitution forms follow docker/cli's
cli/compose/template package, quirks included (``$VAR-x`` is a default just like
``${VAR-x}``). A variable with no value anywhere does not become an empty string here:
the result is marked unknown, so that rules say "cannot tell" instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional

_SUBST = r"[_a-z][_a-z0-9]*(?::?[-?][^}]*)?"
PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<named>" + _SUBST + r")|\{(?P<braced>" + _SUBST + r")\}|(?P<invalid>))",
    re.IGNORECASE,
)


class InvalidTemplate(ValueError):
    """A ``$`` that the docker CLI would reject ("Invalid template")."""


@dataclass(frozen=True)
class Interpolated:
    value: str
    unknown: bool  # some variable had no value and no default applied
    changed: bool  # the text contained a substitution at all


class Interpolator:
    def __init__(self, env: Mapping[str, str]):
        self.env = env

    def __call__(self, template: str) -> Interpolated:
        if "$" not in template:
            return Interpolated(template, False, False)
        unknown = False

        def lookup(name: str) -> Optional[str]:
            return self.env.get(name)

        def replace(match: "re.Match[str]") -> str:
            nonlocal unknown
            if match.group("escaped"):
                return "$"
            substitution = match.group("named") or match.group("braced")
            if not substitution:
                shown = template if len(template) <= 60 else template[:57] + "..."
                raise InvalidTemplate(f"invalid template {shown!r}: a lone $ must be written $$")
            # the same order as docker/cli: soft default, hard default, required
            if ":-" in substitution:
                name, default = substitution.split(":-", 1)
                value = lookup(name)
                return default if not value else value
            if "-" in substitution:
                name, default = substitution.split("-", 1)
                value = lookup(name)
                return default if value is None else value
            if ":?" in substitution or "?" in substitution:
                sep = ":?" if ":?" in substitution else "?"
                name = substitution.split(sep, 1)[0]
                value = lookup(name)
                if value is None or (sep == ":?" and value == ""):
                    unknown = True  # docker would refuse to deploy without it
                    return match.group(0)
                return value
            value = lookup(substitution)
            if value is None:
                unknown = True
                return match.group(0)
            return value

        result = PATTERN.sub(replace, template)
        return Interpolated(template if unknown else result, unknown, True)
