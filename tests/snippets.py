"""Compose snippets several test modules lint (tests/ is on sys.path through its conftest)."""

# CP101's headline case: a memory-heavy image updated start-first, rolled back on failure
HEAVY = """version: "3.8"
services:
  app:
    image: discourse/discourse:3.2
    deploy:
      update_config:
        failure_action: rollback
        order: start-first
"""
