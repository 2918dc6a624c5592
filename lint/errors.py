"""Errors that stop a command: the CLI prints them on one line and exits 2.

Bad input inside a compose file is never one of these: it is a finding (CP000, CP001).
"""


class PolicyError(Exception):
    """Base of every error the CLI reports as a one-line message with exit code 2."""


class InputError(PolicyError):
    """A path that does not exist or cannot be read, or an option that does not fit."""


class ConfigError(PolicyError):
    """A configuration file that is not valid."""
