"""How docker's Go code turns compose text into values.

``fmt.Sprint`` (label and environment values), the ``strconv`` casts docker applies to
interpolated typed fields, and google/shlex (a command written as one string).
"""

from __future__ import annotations

import re

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Any, List

_ATOI = re.compile(r"[-+]?[0-9]+")
_GO_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_GO_FLOAT_WORDS = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity", "nan", "+nan", "-nan"}
_TRUE_WORDS = {"y", "yes", "true", "on"}
_FALSE_WORDS = {"n", "no", "false", "off"}


def to_int(text: str) -> Any:
    """Go's strconv.Atoi: decimal digits with an optional sign, nothing else."""
    if not _ATOI.fullmatch(text):
        raise ValueError("not an integer")
    value = int(text) if len(text) <= 20 else 1 << 64  # no 4000-digit conversions
    if not -(1 << 63) <= value < (1 << 63):
        raise ValueError("out of range for a 64-bit integer")
    return value


def to_float(text: str) -> Any:
    """Go's strconv.ParseFloat, for the decimal forms and inf/nan words."""
    if not _GO_FLOAT.fullmatch(text) and text.lower() not in _GO_FLOAT_WORDS:
        raise ValueError("not a number")
    return float(text)


def to_bool(text: str) -> Any:
    """docker's toBoolean: y/yes/true/on or n/no/false/off, in any case."""
    lowered = text.lower()
    if lowered in _TRUE_WORDS:
        return True
    if lowered in _FALSE_WORDS:
        return False
    raise ValueError("not a boolean")


def go_string(value: Any) -> str:
    """``fmt.Sprint`` of a YAML scalar, which is how docker turns label values into text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _go_float(value)
    return str(value)


def _go_float(value: float) -> str:
    # %v of a float64: the shortest digits, exponent form below 1e-4 and from 1e+06
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if str(value).startswith("-") else ""
    mantissa, _, exp_text = repr(abs(value)).partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    point = len(whole) + (int(exp_text) if exp_text else 0) - (len(whole + frac) - len(digits))
    digits = digits.rstrip("0")
    if not digits:
        return sign + "0"
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        tail = f".{digits[1:]}" if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{tail}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def shell_words(text: str) -> List[str]:
    """Words of a command line as docker splits them (google/shlex). Raises ValueError.

    Not POSIX shlex: a backslash in double quotes escapes any character, and ``#`` starts
    a comment only at the start of a word (up to the end of the line).
    """
    words: List[str] = []
    word: List[str] = []
    state = "start"
    for char in text:
        if state == "start":
            if char in " \t\r\n":
                continue
            if char == "#":
                state = "comment"
                continue
            state = "word"
            word = []
            # a word begins: fall through to the word rules for this character
        if state == "word":
            if char in " \t\r\n":
                words.append("".join(word))
                state = "start"
            elif char == '"':
                state = "double"
            elif char == "'":
                state = "single"
            elif char == "\\":
                state = "escape"
            else:
                word.append(char)
        elif state == "escape":
            word.append(char)
            state = "word"
        elif state == "double":
            if char == '"':
                state = "word"
            elif char == "\\":
                state = "double-escape"
            else:
                word.append(char)
        elif state == "double-escape":
            word.append(char)
            state = "double"
        elif state == "single":
            if char == "'":
                state = "word"
            else:
                word.append(char)
        elif state == "comment" and char == "\n":
            state = "start"
    if state in ("escape", "double-escape"):
        raise ValueError("EOF found after escape character")
    if state in ("double", "single"):
        raise ValueError("EOF found when expecting closing quote")
    if state == "word":
        words.append("".join(word))
    return words
