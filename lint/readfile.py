"""Read an input file with bounds: regular files only, up to a size limit.

Recipe repositories are untrusted: a FIFO named ``.env`` would block a read forever, a
link to ``/dev/zero`` would fill memory, and a 50 MB compose file costs gigabytes once
parsed. The file is opened without blocking and checked with ``fstat`` on the opened
descriptor, so that it cannot be swapped between the check and the read.
"""

from __future__ import annotations

import os
import stat

from compose_policy.errors import InputError

MIB = 1 << 20
# the largest compose file of the corpus is 29 KB; one of 4 MiB is already far past real use
COMPOSE_FILE_LIMIT = 4 * MIB
STACK_TEXT_LIMIT = 16 * MIB  # all compose files of one recipe together (a hundred overlays of 4 MiB...)
ENV_FILE_LIMIT = 1 * MIB
CONFIG_FILE_LIMIT = 1 * MIB
BASELINE_LIMIT = 16 * MIB

# byte order marks docker's YAML parser reads (go-yaml: UTF-8, UTF-16 LE and BE); UTF-32
# is refused by docker ("control characters are not allowed"), and by the parser here too
_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe\x00\x00", None), (b"\x00\x00\xfe\xff", None),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


class UnreadableFile(InputError):
    """A file that was not read; ``reason`` is the message without the path."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _size_text(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit >= MIB and limit % MIB == 0 else f"{limit} bytes"


def read_bytes(path: str, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes. Raises InputError."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, pipe or socket"
            raise UnreadableFile(path, f"not a regular file ({kind}); not read")
        if info.st_size > limit:
            raise UnreadableFile(path, f"larger than {_size_text(limit)}; not read (a limit against hostile input)")
        chunks = []
        total = 0
        while True:  # a file that grows while it is read stops at the limit too
            chunk = os.read(fd, min(limit + 1 - total, 1 << 16))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise UnreadableFile(path, f"larger than {_size_text(limit)}; not read (a limit against hostile input)")
    except OSError as exc:
        raise UnreadableFile(path, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def decode(data: bytes) -> str:
    """Text as docker's YAML parser reads it: UTF-8, or UTF-16 after its byte order mark.

    Undecodable bytes become U+FFFD; a UTF-32 file stays as it is (its NUL bytes make the
    parser refuse it, as docker does).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            if codec is None:
                break
            return data.decode(codec, errors="replace")
    return data.decode("utf-8", errors="replace")


def read_text(path: str, limit: int) -> str:
    return decode(read_bytes(path, limit))
