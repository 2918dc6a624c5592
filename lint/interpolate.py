"""Variable interpolation exactly as the docker CLI does it for `docker stack deploy`.

The pattern and the order of the substitution forms follow docker/cli's
cli/compose/template package, quirks included (``$VAR-x`` is a default just like
``${VAR-x}``, ``${VAR:?e-x}`` is read as a hard default because ``-`` is tried before
``?``, and a lone ``$`` is an error only when no reference follows it in the same text). A variable with no value anywhere does not become an empty string here:
the result is marked unknown, so that rules say "cannot tell" instead of guessing.
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Mapping, Optional

# Go's (?i) on [_a-z] also admits the Kelvin sign and the long s; spelled out, because
# compiling a case-insensitive pattern costs milliseconds at every start
_FIRST = "_a-zA-Z\u212a\u017f"
_SUBST = rf"[{_FIRST}][{_FIRST}0-9]*(?::?[-?][^}}]*)?"
PATTERN = re.compile(
    r"\$(?:(?P<escaped>\$)|(?P<named>" + _SUBST + r")|\{(?P<braced>" + _SUBST + r")\}|(?P<invalid>))"
)
# what is left of a reference that could not be resolved (see Interpolated.partial)
UNRESOLVED = re.compile(rf"\$(?:\{{[{_FIRST}][{_FIRST}0-9]*[^}}]*\}}|[{_FIRST}][{_FIRST}0-9]*)")


class InvalidTemplate(ValueError):
    """A ``$`` that the docker CLI would reject ("Invalid template")."""


class Interpolated:
    """The outcome of one template."""

    __slots__ = ("value", "unknown", "changed", "partial")

    def __init__(self, value: str, unknown: bool, changed: bool, partial: Optional[str] = None):
        self.value = value  # the result; the template itself when ``unknown``
        self.unknown = unknown  # some variable had no value and no default applied
        self.changed = changed  # the result differs from the template (docker then casts typed fields)
        # known variables substituted, unresolved references left as written
        self.partial = partial

    @property
    def best(self) -> str:
        """What can be known of the text: the value, or the partial text when unknown."""
        return self.partial if self.unknown and self.partial is not None else self.value

    def __eq__(self, other):
        return isinstance(other, Interpolated) and (self.value, self.unknown, self.changed, self.partial) == (
            other.value, other.unknown, other.changed, other.partial)

    def __repr__(self) -> str:
        return f"Interpolated({self.value!r}, unknown={self.unknown}, changed={self.changed})"


# Bounds against expansion bombs: one value may grow to 64 KiB, a whole stack's
# interpolated text to 8 MiB; past that a value is unknown (and reported once)
MAX_VALUE = 64 << 10
MAX_TOTAL = 8 << 20


class _TooLarge(Exception):
    pass


class Interpolator:
    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.produced = 0  # characters substituted so far, for MAX_TOTAL
        self.exhausted = False

    def __call__(self, template: str) -> Interpolated:
        if "$" not in template:
            return Interpolated(template, False, False, template)
        if self.exhausted:
            return Interpolated(template, True, True, template)
        try:
            return self._interpolate(template)
        except _TooLarge:
            if self.produced > MAX_TOTAL:
                self.exhausted = True
                raise InvalidTemplate(f"interpolation produced more than {MAX_TOTAL >> 20} MiB of text in this "
                                      "stack; later values are unknown (a limit against expansion bombs)") from None
            raise InvalidTemplate(f"{_shown(template)} interpolates to more than {MAX_VALUE >> 10} KiB; "
                                  "its value is unknown (a limit against expansion bombs)") from None

    def _interpolate(self, template: str) -> Interpolated:
        unknown = False
        invalid = False
        env = self.env
        grown = [len(template)]

        def substituted(text: str) -> str:
            grown[0] += len(text)
            self.produced += len(text)
            if grown[0] > MAX_VALUE or self.produced > MAX_TOTAL:
                raise _TooLarge
            return text

        def replace(match: "re.Match[str]") -> str:
            return substituted(lookup(match))

        def lookup(match: "re.Match[str]") -> str:
            nonlocal unknown, invalid
            if match.group("escaped"):
                return "$"
            substitution = match.group("named") or match.group("braced")
            if not substitution:
                # docker drops the "$" and remembers an error, which a later reference in the
                # same text clears again (template.go reuses one err variable): "$(cmd) $X" passes
                invalid = True
                return ""
            invalid = False
            # the same order as docker/cli: soft default, hard default, required
            if ":-" in substitution:
                name, default = substitution.split(":-", 1)
                value = env.get(name)
                return default if not value else value
            if "-" in substitution:
                name, default = substitution.split("-", 1)
                value = env.get(name)
                return default if value is None else value
            if "?" in substitution:
                sep = ":?" if ":?" in substitution else "?"
                name = substitution.split(sep, 1)[0]
                value = env.get(name)
                if value is None or (sep == ":?" and value == ""):
                    unknown = True  # docker would refuse to deploy without it
                    return match.group(0)
                return value
            value = env.get(substitution)
            if value is None:
                unknown = True
                return match.group(0)
            return value

        result = PATTERN.sub(replace, template)
        if invalid:
            raise InvalidTemplate(f"invalid template {_shown(template)}: a lone $ must be written $$")
        if unknown:
            return Interpolated(template, True, True, result)
        return Interpolated(result, False, result != template, result)


def _shown(template: str) -> str:
    return repr(template if len(template) <= 60 else template[:57] + "...")


def has_unresolved(partial: str) -> bool:
    """Whether a partial text (see ``Interpolated.partial``) still holds a reference."""
    return "$" in partial and UNRESOLVED.search(partial) is not None
