"""Shared by the fixer tests: a heavy recipe, file snapshots, ``docker stack config``."""

from __future__ import annotations

import hashlib
import os
import pathlib
import shutil
import subprocess
from typing import Dict, List, Optional

import pytest
import yaml

DOCKER = shutil.which("docker", path="/usr/local/bin:/usr/bin:/bin")

HEAVY = """\
version: "3.8"

services:
  app:
    image: discourse/discourse:3.2  # the forum
    configs:
      - source: entry
        target: /entry.sh
        mode: 0555
    deploy:
      update_config:
        failure_action: rollback
        order: 'start-first'
      labels:
        - "coop-cloud.${STACK_NAME}.version=1.0.0+3.2"
  db:
    image: postgres:15

configs:
  entry:
    name: ${STACK_NAME}_entry_${ENTRY_VERSION}
    file: entry.sh
"""

SAMPLE_ENV = "TYPE=discourse\nDOMAIN=discourse.example.com\nENTRY_VERSION=v1\n"


def snapshot(root: pathlib.Path) -> Dict[str, str]:
    """Relative path -> sha256 of every file below ``root``."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def docker_config(folder: pathlib.Path, files: List[str], env: Optional[Dict[str, str]] = None):
    """``docker stack config -c ...`` in a clean environment: (returncode, parsed output, stderr)."""
    if DOCKER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker CLI missing; CI always has it")
        pytest.skip("no docker CLI")
    args = [DOCKER, "stack", "config"]
    for name in files:
        args += ["-c", name]
    clean = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(folder)}
    clean.update(env or {})
    proc = subprocess.run(args, cwd=folder, env=clean, capture_output=True, text=True, timeout=60)
    data = yaml.safe_load(proc.stdout) if proc.returncode == 0 else None
    return proc.returncode, data, proc.stderr
