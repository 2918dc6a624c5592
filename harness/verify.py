"""Converge, then HC1, then one more look: the whole upgrade check, every part required."""

from __future__ import annotations

from typing import Any

from .converge import DEFAULT_TIMEOUT, StackWatch
from .hc1 import check_deployed_commit, normalise_expected
from .snapshot import Snapshot
from .verdict import UpgradeFailed, Verdict


def check_verified_upgrade(
    client: Any,
    stack: str,
    before: Snapshot,
    expected: str,
    timeout: float = DEFAULT_TIMEOUT,
    *,
    service: str = "app",
    allow_dirty: bool = False,
    **converge_options: Any,
) -> Verdict:
    """The converge verdict with HC1 attached; passed only when both pass.

    HC1 is read after the convergence verdict, whatever it was: after a rollback
    it shows the label swarm restored, which the report explains. A passing stack
    is then re-checked once more, so a task of the new version that failed while
    HC1 was read still fails the upgrade.
    """
    normalise_expected(expected)  # reject a bad SHA before waiting for minutes
    watch = StackWatch(client, stack, before, timeout, **converge_options)
    watch.run()
    commit = check_deployed_commit(client, stack, expected, service, allow_dirty=allow_dirty, before=before)
    verdict = watch.recheck()
    verdict.commit = commit
    return verdict


def verify_upgrade(client: Any, stack: str, before: Snapshot, expected: str, timeout: float = DEFAULT_TIMEOUT, **kwargs: Any) -> Verdict:
    """Raise UpgradeFailed unless the stack converged AND the expected commit is deployed."""
    verdict = check_verified_upgrade(client, stack, before, expected, timeout, **kwargs)
    if not verdict.passed:
        raise UpgradeFailed(verdict)
    return verdict
