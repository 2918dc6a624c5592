"""Write files all-or-nothing: a temporary file beside the target, then a rename.

The one writer for every file compose-policy changes (overlays, in-place edits, env files,
baselines). A staged file is complete on disk (so a fix can be re-linted from it) before it
replaces the target; a reader never sees half a file, and an interrupted run leaves the old
one and no temporary file: SIGTERM and SIGHUP remove the staged files before the process
ends as the signal asks.

What a rename would silently change is refused instead (``WriteRefused``): a target that is
not a regular file, one with several hard links (they would split), one that is read-only,
one whose owner cannot be kept. A symlink is written through: the file it points to is
replaced, the link stays.
"""

from __future__ import annotations

import errno
import os
import signal
import stat
import tempfile
import threading

from compose_policy.errors import InputError

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only
    from typing import Optional

_CLEANUP_SIGNALS = ("SIGTERM", "SIGHUP")


class WriteRefused(InputError):
    """A target a rename would damage: the message says what and why, on one line."""


def file_mode(path: str, default: int = 0o644) -> int:
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return default


def writable_target(path: str) -> str:
    """The real file that writing ``path`` replaces (symlinks followed), or WriteRefused."""
    real = os.path.realpath(path)
    shown = path if real == os.path.abspath(path) else f"{path} (-> {real})"
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return real  # a new file
    except OSError as exc:
        raise WriteRefused(f"{shown}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise WriteRefused(f"{shown}: not a regular file; refusing to replace it")
    if info.st_nlink > 1:
        raise WriteRefused(f"{shown}: has {info.st_nlink} hard links, which a replacement would split; "
                           "refusing to write it")
    if not info.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK):
        raise WriteRefused(f"{shown}: read-only (mode {stat.S_IMODE(info.st_mode):04o}); refusing to write it")
    return real


# temporary files staged and not yet renamed or removed: what a signal must clean up
_live: set = set()
_previous: dict = {}


def _remove_live() -> None:
    for temp in list(_live):
        try:
            os.unlink(temp)
        except OSError:
            pass
        _live.discard(temp)


def _on_signal(signum, frame) -> None:
    _remove_live()
    previous = _previous.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)  # end as the signal asked (exit status 128 + signum)


def _install_cleanup() -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for name in _CLEANUP_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is None or signum in _previous:
            continue
        current = signal.getsignal(signum)
        if current == signal.SIG_IGN:  # nohup: the caller wants the run to go on
            continue
        _previous[signum] = current
        signal.signal(signum, _on_signal)


class Staged:
    """A complete temporary file waiting to replace ``target`` (the path as given)."""

    def __init__(self, target: str, temp: str, real: Optional[str] = None, expected: Optional[bytes] = None,
                 check: bool = False):
        self.target = target
        self.temp = temp
        self.real = real or target  # the file the rename replaces (a symlink's target)
        self.expected = expected  # what the target held when it was read (None: no file)
        self.check = check

    def changed_since_read(self) -> bool:
        if not self.check:
            return False
        try:
            with open(self.real, "rb") as handle:
                now = handle.read()
        except FileNotFoundError:
            now = None
        except OSError:
            return True
        return now != self.expected

    def commit(self) -> None:
        os.replace(self.temp, self.real)
        _live.discard(self.temp)

    def discard(self) -> None:
        try:
            os.unlink(self.temp)
        except FileNotFoundError:
            pass
        _live.discard(self.temp)


def _keep_owner(handle: int, real: str, temp: str) -> None:
    try:
        info = os.stat(real)
    except FileNotFoundError:
        return
    if (info.st_uid, info.st_gid) == (os.geteuid(), os.getegid()):
        return
    try:
        os.fchown(handle, info.st_uid, info.st_gid)
    except OSError:
        raise WriteRefused(f"{real}: owned by {info.st_uid}:{info.st_gid}, which a replacement cannot keep; "
                           "refusing to write it") from None


def stage(target: str, text: str, mode: int, scratch: Optional[str] = None, old: Optional[str] = None,
          check_unchanged: bool = False) -> Staged:
    """Write ``text`` to a hidden temporary file in the real target's folder (or ``scratch``).

    The folder is created when missing unless ``scratch`` is given: a dry run must not
    create folders, so it stages elsewhere and never commits. ``old`` with
    ``check_unchanged``: the text the target held when it was read (None: no file), so
    that a change made meanwhile is seen before the rename.
    """
    real = writable_target(target)
    folder = os.path.dirname(real)
    if scratch is None:
        try:
            os.makedirs(folder, exist_ok=True)
        except OSError as exc:
            raise InputError(f"{folder}: {exc.strerror or exc}") from None
    elif not os.path.isdir(folder):
        folder = scratch
    _install_cleanup()
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(real)}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{folder}: cannot write: {exc.strerror or exc}") from None
    _live.add(temp)
    try:
        with os.fdopen(handle, "wb") as out:
            _keep_owner(out.fileno(), real, temp)
            out.write(text.encode("utf-8"))
        os.chmod(temp, mode)
    except BaseException:
        os.unlink(temp)
        _live.discard(temp)
        raise
    expected = None if old is None else old.encode("utf-8")
    return Staged(target, temp, real, expected, check_unchanged)


def write_atomic(target: str, text: str, mode: Optional[int] = None) -> None:
    staged = stage(target, text, file_mode(target) if mode is None else mode)
    try:
        staged.commit()
    except BaseException:
        staged.discard()
        raise


def write_report(target: str, text: str) -> None:
    """A report the user asked for with ``--output``: all-or-nothing into a file.

    A target that exists and is not a regular file once links are followed (a FIFO, a
    process substitution, /dev/stdout) is a stream the user chose: it is written in place,
    since a rename would replace the stream's name rather than feed it.
    """
    try:
        streamed = not stat.S_ISREG(os.stat(target).st_mode)
    except OSError:
        streamed = False  # a new file, or one write_atomic explains
    if not streamed:
        folder = os.path.dirname(os.path.realpath(target))
        if not os.path.isdir(folder):  # a mistyped path is said, not created
            raise InputError(f"{target}: {os.strerror(errno.ENOENT)}")
        write_atomic(target, text)
        return
    try:
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as exc:
        raise InputError(f"{target}: {exc.strerror or exc}") from None
