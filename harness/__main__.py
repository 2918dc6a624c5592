"""``python -m compose_policy.harness``: the harness CLI without the rest of compose-policy."""

from .cli import harness

harness(prog_name="python -m compose_policy.harness")
