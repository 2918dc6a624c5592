"""Shared by the hostile fix tests: small recipes, snapshots, and a bounded real CLI run.

A hostile case runs the real command in a child process with a wall-clock bound and its
peak memory read back from the kernel (``wait4``), so a blow-up fails the test instead of
hanging or swapping the machine.
"""

from __future__ import annotations

import hashlib
import os
import pathlib
import resource
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Dict, Optional, Sequence

from snippets import HEAVY  # the one HEAVY snippet the tests share

# CP101 (order) and CP111 (monitor) propose fixes to two different keys of one service
HEALTHY = """\
version: "3.8"
services:
  app:
    image: discourse/discourse:3.2
    healthcheck:
      test: [CMD, 'true']
      interval: 10s
      retries: 3
      timeout: 5s
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
      labels:
        - "coop-cloud.${STACK_NAME}.timeout=900"
"""

SAMPLE_ENV = "TYPE=discourse\nDOMAIN=discourse.example.com\n"
ADDRESS_SPACE = 2 << 30  # the child's virtual memory limit: a runaway fails fast, never swaps


def make_recipe(parent: pathlib.Path, text: str = HEAVY, name: str = "app",
                extra: Optional[Dict[str, str]] = None) -> pathlib.Path:
    folder = parent / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "compose.yml").write_text(text)
    (folder / ".env.sample").write_text(SAMPLE_ENV)
    for rel, content in (extra or {}).items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(content)
    return folder


def snapshot(root: pathlib.Path) -> Dict[str, str]:
    """Relative path -> sha256 (or link target) of everything below ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink():
            out[rel] = "-> " + os.readlink(path)
        elif path.is_file():
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def temp_files(root: pathlib.Path):
    return sorted(str(p) for p in root.rglob("*.tmp"))


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str
    seconds: float
    peak_mb: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def start(args: Sequence[str], cwd: Optional[pathlib.Path] = None):
    """The CLI as a child process: (Popen, stdout file, stderr file)."""
    out = tempfile.TemporaryFile()
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "compose_policy", *[str(a) for a in args]],
                            stdout=out, stderr=err, cwd=cwd, preexec_fn=_limits)
    return proc, out, err


def finish(proc, out, err, started: float, timeout: float) -> Run:
    """Reap the child with its own peak memory; kill it past ``timeout``."""
    deadline = started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.send_signal(signal.SIGKILL)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.02)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    texts = []
    for handle in (out, err):
        handle.seek(0)
        texts.append(handle.read().decode("utf-8", "replace"))
        handle.close()
    return Run(proc.returncode, texts[0], texts[1], seconds, usage.ru_maxrss / 1024)


def run(*args, cwd: Optional[pathlib.Path] = None, timeout: float = 30.0) -> Run:
    started = time.monotonic()
    proc, out, err = start(args, cwd)
    return finish(proc, out, err, started, timeout)


def assert_clean_failure(result: Run, code: int = 2) -> None:
    """Exit ``code`` with a one-line error (ours, or click's for a bad option) and no traceback."""
    assert result.code == code, result.output
    assert "Traceback" not in result.output, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith(("compose-policy: error:", "Error: "))]
    assert errors, result.output
