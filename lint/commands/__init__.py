"""Click commands of the ``compose-policy`` CLI, one module per command."""
