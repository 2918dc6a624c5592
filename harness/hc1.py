"""HC1: the live app service carries the commit under test.

``abra app deploy --chaos`` stamps ``coop-cloud.<stack>.chaos-version`` on the app
service with the recipe checkout's short SHA (8 hex digits), plus ``+U`` when the
work tree was dirty; other tools write the full SHA, some in capitals. A stamp
names the expected commit when the shorter of the two SHAs is a prefix of the
other, case aside. The check reads the label from the live service spec. It is
never relaxed to make a rolled-back upgrade pass: a rollback restores the previous
spec, labels included, so the value then equals the pre-upgrade one, which the
report points out when a snapshot is given.
"""

from __future__ import annotations

import re
from typing import Any

from .client import HarnessUnavailable, api_errors, is_not_found
from .snapshot import Snapshot, stack_services
from .verdict import CommitCheck, UpgradeFailed, Verdict

CHAOS_VERSION = re.compile(r"^(?P<sha>[0-9a-fA-F]{7,40})(?P<dirty>\+U)?$")
EXPECTED_SHA = re.compile(r"^[0-9a-fA-F]{7,40}$")
ANY_CHAOS_VERSION = re.compile(r"^coop-cloud\.(?P<stack>.+)\.chaos-version$")


def chaos_version_label(stack: str) -> str:
    return f"coop-cloud.{stack}.chaos-version"


def normalise_expected(expected: str) -> str:
    """The expected commit, lower-case; ValueError unless 7 to 40 hex digits."""
    value = (expected or "").strip()
    if not EXPECTED_SHA.match(value):
        raise ValueError(f"expected commit must be a git SHA of 7 to 40 hex digits, got {expected!r}")
    return value.lower()


def commit_matches(expected: str, stamped: str) -> bool:
    """Do two SHAs (7 to 40 hex digits, any case) name the same commit? The shorter is a prefix of the other."""
    a, b = expected.lower(), stamped.lower()
    return a.startswith(b) if len(a) >= len(b) else b.startswith(a)


def judge_commit(
    stack: str,
    service: str,
    labels: dict | None,
    expected: str,
    *,
    allow_dirty: bool = False,
    before: Snapshot | None = None,
    container_labels: dict | None = None,
) -> CommitCheck:
    """HC1 on a service's labels (no daemon involved); ``container_labels`` only explain a missing stamp."""
    expected = normalise_expected(expected)
    key = chaos_version_label(stack)
    deployed = None if labels is None else labels.get(key)
    before_value = before.label(service, key) if before is not None else None
    equals_before = None if before is None else (deployed is not None and deployed == before_value)

    def result(passed: bool, reason: str) -> CommitCheck:
        if not passed and equals_before:
            reason += (
                f"; the deployed value equals the pre-upgrade one ({before_value}): the signature of a "
                "rollback, where swarm restored the previous spec with its labels"
            )
        elif not passed and before is not None and deployed is not None:
            reason += f"; it is not the pre-upgrade value either ({before_value or 'missing'})"
        return CommitCheck(
            service=service,
            label=key,
            expected=expected,
            deployed=deployed,
            passed=passed,
            reason=reason,
            allow_dirty=allow_dirty,
            before=before_value,
            equals_before=equals_before,
        )

    if labels is None:
        return result(False, f"service {service} is not part of stack {stack}")
    if deployed is None:
        return result(False, f"{service} has no {key} label: " + _where_the_stamp_is(key, labels, container_labels or {}))
    match = CHAOS_VERSION.match(deployed)
    if not match:
        return result(False, f"malformed {key} value {deployed!r}: expected a git SHA (7 to 40 hex digits), optionally followed by +U")
    if not commit_matches(expected, match.group("sha")):
        return result(False, f"deployed commit {match.group('sha')} is not the expected {expected}")
    if match.group("dirty") and not allow_dirty:
        return result(
            False,
            f"deployed {deployed} was stamped from a dirty work tree (+U), which was not allowed",
        )
    return result(True, f"deployed commit {deployed} matches {expected}")


def _where_the_stamp_is(key: str, labels: dict, container_labels: dict) -> str:
    """What was found instead of the service label, so a misplaced stamp is not reported as none at all."""
    found = []
    if key in container_labels:
        found.append(
            f"found {key}={container_labels[key]!r} on the containers (compose `labels:`), where HC1 does not "
            "read it: the stamp belongs on the service (`deploy.labels`), as abra writes it"
        )
    for other in sorted(k for k in labels if ANY_CHAOS_VERSION.match(k)):
        found.append(
            f"found {other}={labels[other]!r}, the chaos-version label of another stack name "
            f"({ANY_CHAOS_VERSION.match(other).group('stack')!r}): the label must carry this stack's name"
        )
    for other in sorted(k for k in container_labels if k != key and ANY_CHAOS_VERSION.match(k)):
        found.append(f"found {other}={container_labels[other]!r} on the containers, under another stack name")
    return "; ".join(found) if found else "the deploy was not stamped (not a chaos deploy?)"


def check_deployed_commit(
    client: Any,
    stack: str,
    expected: str,
    service: str = "app",
    *,
    allow_dirty: bool = False,
    before: Snapshot | None = None,
) -> CommitCheck:
    """Read the live label and judge it; returns the CommitCheck (passed or not)."""
    expected = normalise_expected(expected)
    full_name = service if service.startswith(f"{stack}_") else f"{stack}_{service}"
    labels = None
    container_labels: dict = {}
    with api_errors(f"inspect service {full_name}"):
        try:
            spec = client.api.inspect_service(full_name)["Spec"]
            labels = spec.get("Labels") or {}
            container_labels = ((spec.get("TaskTemplate") or {}).get("ContainerSpec") or {}).get("Labels") or {}
        except Exception as exc:
            if not is_not_found(exc):
                raise
    if labels is None and not stack_services(client, stack):
        raise HarnessUnavailable(f"stack {stack!r} has no services on this swarm")
    return judge_commit(
        stack, full_name, labels, expected, allow_dirty=allow_dirty, before=before, container_labels=container_labels
    )


def assert_deployed_commit(client: Any, stack: str, expected: str, service: str = "app", **options: Any) -> CommitCheck:
    """HC1: raise UpgradeFailed unless the live stamp names ``expected``.

    ``expected`` is a full or short SHA; ``+U`` (dirty tree) passes only with
    ``allow_dirty=True``. With ``before=`` (the phase-0 snapshot) a mismatch says
    whether the value is the pre-upgrade one, the signature of a rollback.
    """
    check = check_deployed_commit(client, stack, expected, service, **options)
    if not check.passed:
        raise UpgradeFailed(Verdict(stack=stack, commit=check))
    return check
