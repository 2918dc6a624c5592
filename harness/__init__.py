"""Prove on a live swarm that an upgrade converged and deployed the right commit.

Phase 0, before the redeploy::

    before = snapshot_stack(client, "myapp_example_org")

then the deploy happens elsewhere (abra, ``docker stack deploy``), then::

    assert_upgrade_converged(client, "myapp_example_org", before, timeout=900)
    assert_deployed_commit(client, "myapp_example_org", "7ae7b0f7", before=before)

Failures raise UpgradeFailed (an AssertionError) with a Verdict; anything that
prevented the check raises HarnessUnavailable. Importing this package does not
import the docker SDK: ``connect()`` does.
"""

from .client import HarnessUnavailable, connect
from .converge import assert_upgrade_converged, check_upgrade, stability_window
from .hc1 import assert_deployed_commit, check_deployed_commit, chaos_version_label
from .snapshot import ServiceState, Snapshot, SnapshotError, snapshot_stack
from .verdict import CommitCheck, PendingTask, ServiceVerdict, TaskFailure, UpgradeFailed, Verdict
from .verify import check_verified_upgrade, verify_upgrade

__all__ = [
    "CommitCheck",
    "HarnessUnavailable",
    "PendingTask",
    "ServiceState",
    "ServiceVerdict",
    "Snapshot",
    "SnapshotError",
    "TaskFailure",
    "UpgradeFailed",
    "Verdict",
    "assert_deployed_commit",
    "assert_upgrade_converged",
    "chaos_version_label",
    "check_deployed_commit",
    "check_upgrade",
    "check_verified_upgrade",
    "connect",
    "snapshot_stack",
    "stability_window",
    "verify_upgrade",
]
