"""Write files all-or-nothing: a temporary file beside the target, then a rename.

A staged file is complete on disk (so the fix can be re-linted from it) before it replaces
the target; a reader never sees half a file, and an interrupted run leaves the old one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from typing import Optional

from compose_policy.errors import InputError


def file_mode(path: str, default: int = 0o644) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return default


@dataclass
class Staged:
    target: str
    temp: str

    def commit(self) -> None:
        os.replace(self.temp, self.target)

    def discard(self) -> None:
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass


def stage(target: str, text: str, mode: int, scratch: Optional[str] = None) -> Staged:
    """Write ``text`` to a hidden temporary file in the target's folder (or ``scratch``).

    The folder is created when missing unless ``scratch`` is given: a dry run must not
    create folders, so it stages elsewhere and never commits.
    """
    folder = os.path.dirname(os.path.abspath(target))
    if scratch is None:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{folder}: {exc.strerror or exc}") from None
    elif not os.path.isdir(folder):
        folder = scratch
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
    except BaseException:
        os.unlink(temp)
        raise
    return Staged(target, temp)


def write_atomic(target: str, text: str, mode: Optional[int] = None) -> None:
    staged = stage(target, text, file_mode(target) if mode is None else mode)
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise
