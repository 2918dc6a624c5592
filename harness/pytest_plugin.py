"""pytest fixtures for Python CI harnesses (registered through the ``pytest11`` entry point).

    def test_upgrade(upgrade_guard):
        with upgrade_guard("myapp_example_org", expect=HEAD_SHA, timeout=600) as guard:
            subprocess.run(["abra", "app", "deploy", "--chaos", "myapp.example.org"], check=True)
        print(guard.verdict.render())

Fixtures:
  swarm_client     a docker client on a swarm manager (session scope). Skips the
                   test when none is reachable, but fails it when CI=true: a CI
                   that could not check must not pass.
  stack_snapshot   ``stack_snapshot(stack)`` -> Snapshot (phase 0).
  upgrade_guard    ``upgrade_guard(stack, expect=None, ...)``: a context manager that
                   snapshots on entry and, when its block succeeded, asserts
                   convergence and then (with ``expect``) the deployed commit.

This module is imported by every pytest run in an environment where
compose-policy is installed, so it imports nothing heavy at import time.
"""

from __future__ import annotations

import os
from typing import Any

import pytest


def ci_requires_swarm() -> bool:
    """Under CI=true a missing swarm is a failure, never a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def _unavailable(message: str) -> None:
    if ci_requires_swarm():
        pytest.fail(f"CI=true and no usable swarm manager: {message}", pytrace=False)
    pytest.skip(f"no usable swarm manager ({message})")


class UpgradeGuard:
    """Snapshot on enter; on a clean exit, converge then HC1 (both must pass)."""

    def __init__(self, client: Any, stack: str, expect: str | None = None, *, timeout: float = 900.0, service: str = "app", allow_dirty: bool = False, **converge_options: Any):
        self.client = client
        self.stack = stack
        self.expect = expect
        self.timeout = timeout
        self.service = service
        self.allow_dirty = allow_dirty
        self.converge_options = converge_options
        self.before = None
        self.verdict = None

    def __enter__(self) -> "UpgradeGuard":
        from .snapshot import snapshot_stack

        self.before = snapshot_stack(self.client, self.stack)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        if exc_type is not None:
            return False  # the deploy itself failed: let that error through
        from .converge import check_upgrade
        from .verdict import UpgradeFailed
        from .verify import check_verified_upgrade

        if self.expect is None:
            self.verdict = check_upgrade(self.client, self.stack, self.before, self.timeout, **self.converge_options)
        else:
            self.verdict = check_verified_upgrade(
                self.client, self.stack, self.before, self.expect, self.timeout,
                service=self.service, allow_dirty=self.allow_dirty, **self.converge_options,
            )
        if not self.verdict.passed:
            raise UpgradeFailed(self.verdict)
        return False


@pytest.fixture(scope="session")
def swarm_client():
    """A docker client on a reachable swarm manager (DOCKER_HOST / docker context aware)."""
    from .client import HarnessUnavailable, connect

    try:
        client = connect()
    except HarnessUnavailable as exc:
        _unavailable(str(exc))
    yield client
    client.close()


@pytest.fixture
def stack_snapshot(swarm_client):
    """Factory: ``stack_snapshot(stack)`` records the stack before a redeploy."""
    from .snapshot import snapshot_stack

    def take(stack: str):
        return snapshot_stack(swarm_client, stack)

    return take


@pytest.fixture
def upgrade_guard(swarm_client):
    """Factory of UpgradeGuard context managers bound to ``swarm_client``."""

    def guard(stack: str, expect: str | None = None, **options: Any) -> UpgradeGuard:
        return UpgradeGuard(swarm_client, stack, expect, **options)

    return guard
