"""compose-policy: keep Docker Swarm upgrades honest.

The linter (this package), its rules (``compose_policy.rules``), the fixers
(``compose_policy.fixers``) and the live-swarm harness (``compose_policy.harness``).
"""

__version__ = "0.1.0"
