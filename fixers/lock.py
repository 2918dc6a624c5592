"""One ``fix`` at a time per recipe: an exclusive lock on the recipe folder itself.

Two runs on one recipe would both read the old overlay, and the later rename would drop the
earlier run's fix while both report it written. The lock is ``flock`` on the folder's own
descriptor, so no lock file appears in the recipe; the lock goes with the process.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from typing import Iterator

from compose_policy.errors import InputError

WAIT_SECONDS = 60.0


@contextlib.contextmanager
def recipe_lock(folder: str, wait: float = WAIT_SECONDS) -> Iterator[None]:
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise InputError(f"{folder}: {exc.strerror or exc}") from None
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise InputError(f"{folder}: another compose-policy fix is running there; "
                                     f"gave up after {wait:.0f} s") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # releases the lock
