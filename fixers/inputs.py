"""Read what a fix is computed from, with bounds: a regular file, a size limit, UTF-8.

A recipe is untrusted input: a FIFO must not hang the run, ``/dev/zero`` must not fill the
memory, and a file that is not text is refused before anything is written.
"""

from __future__ import annotations

import os
import stat

from compose_policy.errors import InputError
from compose_policy.fixers.edit import EditRefused

MAX_FILE_BYTES = 8 << 20  # far above any compose or env file; a bound for what is read into memory


def read_bytes(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """A regular file's bytes; a FIFO, a device or a folder is refused, never read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opening a FIFO must not wait for a writer
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                raise InputError(f"{path}: not a regular file")
            data = handle.read(limit + 1)
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    if len(data) > limit:
        raise InputError(f"{path}: larger than {limit >> 20} MiB; refusing to read it")
    return data


def read_text(path: str) -> str:
    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        raise EditRefused(f"{path}: not UTF-8 text") from None
