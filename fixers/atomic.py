"""The fixers write through the project's one atomic writer (``compose_policy.atomic``)."""

from compose_policy.atomic import Staged, WriteRefused, file_mode, stage, write_atomic, writable_target

__all__ = ["Staged", "WriteRefused", "file_mode", "stage", "write_atomic", "writable_target"]
