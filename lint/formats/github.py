"""GitHub Actions workflow commands: one ``::error file=...,line=...,col=...,title=...::message``
per finding, which the runner turns into annotations on the pull request.

Escaping follows the runner's rules (actions/toolkit ``core/command``): in the message
``%``, CR and LF; in a property also ``:`` and ``,``.
"""

from __future__ import annotations

COMMANDS = {"error": "error", "warning": "warning", "info": "notice"}


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(finding) -> str:
    properties = {
        "file": finding.path,
        "line": str(finding.line),
        "col": str(finding.column),
        "title": f"{finding.rule} {finding.name}",
    }
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    message = finding.full_message + (f" ({finding.service})" if finding.service else "")
    return f"::{COMMANDS[str(finding.severity)]} {props}::{escape_data(message)}"


def render(result, **_) -> str:
    return "".join(command(f) + "\n" for f in result.findings)
