"""The real CLI in a child process with an address-space limit (RLIMIT_AS) and a timeout, so
that a blow-up fails the test instead of the machine. Imported by name (``boundedcli``): a
module called conftest would be ambiguous when several test folders are collected together.

The bounds are generous on purpose (a plain lint runs within 100 MB of address space and
about 0.2 s): they catch exponential or quadratic blow-ups, not slow machines.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import pytest

MEMORY_MB = 256
TIMEOUT_S = 10.0
ROOT_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Run:
    """One finished CLI run."""

    def __init__(self, args, returncode: int, stdout: str, stderr: str, seconds: float):
        self.args = args
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.seconds = seconds

    def __repr__(self) -> str:
        return (f"Run({self.args!r}, rc={self.returncode}, {self.seconds:.2f}s,\n"
                f"stdout={self.stdout[-2000:]!r},\nstderr={self.stderr[-2000:]!r})")


def run_cli(*args, cwd=None, env=None, memory_mb: int = MEMORY_MB, timeout: float = TIMEOUT_S,
            stdin: str = None) -> Run:
    """``compose-policy ARGS`` in a child process bounded in memory and time.

    A timeout fails the test; running out of memory shows up as a MemoryError traceback or
    a signal, which ``assert_clean`` refuses.
    """
    limit = memory_mb << 20

    def bound():
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    command = [sys.executable, "-m", "compose_policy", *[str(a) for a in args]]
    started = time.monotonic()
    try:
        done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=bound, input=stdin if stdin is not None else "",
                              errors="replace")
    except subprocess.TimeoutExpired:
        pytest.fail(f"compose-policy {' '.join(map(str, args))} ran longer than {timeout} s")
    return Run(list(args), done.returncode, done.stdout, done.stderr, time.monotonic() - started)


def assert_clean(run: Run, codes=(0, 1, 2, 3)) -> None:
    """An honest ending: a documented exit code and no traceback."""
    assert "Traceback" not in run.stderr, run
    assert "MemoryError" not in run.stderr, run
    assert run.returncode in codes, run
