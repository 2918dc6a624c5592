"""The rule catalogue: one module per rule, discovered by compose_policy.registry."""
