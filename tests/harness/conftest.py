"""Swarm-only fixtures for the harness tests.

Under CI=true a missing swarm, docker CLI or test image fails the tests instead
of skipping them.
"""

from __future__ import annotations

import os
import shutil

import pytest
from swarmlab import CREATED_STACKS, IMAGE, ScenarioRunner, SwarmLab, sweep_networks

from compose_policy.harness.pytest_plugin import ci_requires_swarm


def _unusable(message: str) -> None:
    if ci_requires_swarm():
        pytest.fail(f"CI=true: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def swarm(swarm_client):
    """The plugin's swarm client, plus the docker CLI and the test image the scenarios need."""
    if shutil.which("docker") is None:
        _unusable("the docker CLI is not installed (run .ci/swarm-up.sh)")
    try:
        swarm_client.images.get(IMAGE)
    except Exception:
        _unusable(f"test image {IMAGE} is missing (run .ci/swarm-up.sh)")
    yield swarm_client
    sweep_networks(swarm_client, CREATED_STACKS)


@pytest.fixture
def lab(swarm, tmp_path, request):
    lab = SwarmLab(swarm, tmp_path, request.node.name)
    yield lab
    lab.cleanup()


@pytest.fixture(scope="session")
def scenarios(swarm, tmp_path_factory, request):
    """Runs every selected @swarm_scenario test concurrently (HARNESS_TEST_WORKERS, default 6)."""
    runner = ScenarioRunner(swarm, tmp_path_factory, int(os.environ.get("HARNESS_TEST_WORKERS", "6")))
    selected = [getattr(item.function, "swarm_scenario", None) for item in request.session.items if hasattr(item, "function")]
    runner.start(body for body in selected if body is not None)
    yield runner
    runner.close()
