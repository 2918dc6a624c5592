"""Read the harness's JSON verdicts of past CI runs (``harness verify-upgrade --format json``).

The harness writes one JSON object per run. Read defensively (the format may gain fields),
relying only on:

- ``stack`` (string), ``passed`` (bool), optional ``summary`` (string);
- ``services``: a list of objects with ``service`` (swarm's service name, ``<stack>_<name>``),
  ``outcome`` (``rolled-back``, ``paused``, ``rollback-paused``, ``stuck``, ``unstable``, ...),
  optional ``reason`` and ``failed_task.timestamp``;
- ``commit``: null or an object with ``passed`` and ``reason`` (the HC1 check);
- a run that could not check: ``{"checked": false, "error": "..."}``;
- when: the first of ``finished_at``, ``checked_at``, ``timestamp``, ``time`` at the top level,
  else the latest ``failed_task.timestamp``, else the file's modification time (UTC).

A verdict belongs to a recipe when its file is ``DIR/<recipe>.json``, ``DIR/<recipe>.<anything>.json``
or anywhere under ``DIR/<recipe>/``; otherwise when its ``stack`` is the recipe's name or stack
name, or starts with the recipe name and ``_`` (abra's STACK_NAME of ``<recipe>.example.org``).
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Dict, List, Optional, Sequence, Tuple

MAX_VERDICT_BYTES = 8 << 20
MAX_FILES = 10000
# outcomes that mean "the upgrade really did not land": what an incident review needs
FAILED_OUTCOMES = {"rolled-back", "paused", "rollback-paused", "stuck", "unstable", "not-deployed"}
_WHEN_KEYS = ("finished_at", "checked_at", "timestamp", "time")


def _text(value, limit: int = 500) -> Optional[str]:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(data: dict, path: str) -> str:
    for key in _WHEN_KEYS:
        if isinstance(data.get(key), str) and data[key]:
            return _text(data[key], 64)
    stamps = [s["failed_task"]["timestamp"] for s in data.get("services") or []
              if isinstance(s, dict) and isinstance(s.get("failed_task"), dict)
              and isinstance(s["failed_task"].get("timestamp"), str)]
    if stamps:
        return _text(max(stamps), 64)
    mtime = os.stat(path).st_mtime
    return datetime.datetime.fromtimestamp(mtime, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(service: str, stack: str) -> str:
    return service[len(stack) + 1:] if stack and service.startswith(stack + "_") else service


def parse_verdict(data, path: str) -> dict:
    """One run as the report shows it; raises ValueError when it is not a harness verdict."""
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    if data.get("checked") is False:
        return {"file": path, "stack": _text(data.get("stack")), "when": _when(data, path), "checked": False,
                "passed": False, "failed": False, "error": _text(data.get("error")), "failures": []}
    stack = data.get("stack")
    services = data.get("services")
    if not isinstance(stack, str) or not isinstance(services, list) or not isinstance(data.get("passed"), bool):
        raise ValueError("no stack, services and passed: not a harness verdict")
    failures = []
    for item in services:
        if not isinstance(item, dict) or not isinstance(item.get("outcome"), str):
            continue
        if item["outcome"] in FAILED_OUTCOMES:
            task = item.get("failed_task") if isinstance(item.get("failed_task"), dict) else {}
            failures.append({"service": _short(str(item.get("service", "?")), stack), "outcome": item["outcome"],
                             "reason": _text(item.get("reason")), "when": _text(task.get("timestamp"), 64)})
    commit = data.get("commit")
    hc1_failed = isinstance(commit, dict) and commit.get("passed") is False
    return {"file": path, "stack": _text(stack), "when": _when(data, path), "checked": True,
            "passed": bool(data["passed"]), "failed": bool(failures),
            "hc1_failed": hc1_failed, "hc1_reason": _text(commit.get("reason")) if hc1_failed else None,
            "summary": _text(data.get("summary")), "failures": failures}


def _files(folder: str) -> List[str]:
    out = []
    for current, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".json"):
                out.append(os.path.join(current, name))
                if len(out) >= MAX_FILES:
                    return out
    return out


def _owner_by_file(path: str, folder: str, names: Sequence[str]) -> Optional[str]:
    relative = os.path.relpath(path, folder)
    parts = relative.split(os.sep)
    if len(parts) > 1 and parts[0] in names:
        return parts[0]
    stem = parts[-1][: -len(".json")]
    matches = [n for n in names if stem == n or stem.startswith(n + ".")]
    return max(matches, key=len) if matches else None


def _owner_by_stack(stack: Optional[str], stack_names: Dict[str, str], names: Sequence[str]) -> Optional[str]:
    if not stack:
        return None
    if stack in names:
        return stack
    if stack in stack_names:
        return stack_names[stack]
    matches = [n for n in names if stack.startswith(n + "_") or stack.startswith(n.replace(".", "_") + "_")]
    return max(matches, key=len) if matches else None


def read_verdicts(folder: str, names: Sequence[str], stack_names: Dict[str, str]) -> Tuple[Dict[str, List[dict]], List[dict], int]:
    """(recipe name -> runs, newest first; unreadable files with why; verdicts read).

    ``stack_names`` maps a recipe's STACK_NAME (from its env) to the recipe name.
    """
    from compose_policy.errors import InputError

    if not os.path.isdir(folder):
        raise InputError(f"{folder}: --verdicts must be a folder")
    runs: Dict[str, List[dict]] = {}
    unreadable: List[dict] = []
    read = 0
    for path in _files(folder):
        try:
            if not os.path.isfile(path) or os.path.getsize(path) > MAX_VERDICT_BYTES:
                raise ValueError("not a regular file under 8 MiB")
            with open(path, "rb") as handle:
                data = json.loads(handle.read(MAX_VERDICT_BYTES).decode("utf-8"))
            run = parse_verdict(data, path)
        except (OSError, ValueError, UnicodeDecodeError, RecursionError) as exc:
            unreadable.append({"file": path, "why": _text(str(exc).splitlines()[0] if str(exc) else type(exc).__name__, 200)})
            continue
        read += 1
        owner = _owner_by_file(path, folder, names) or _owner_by_stack(run["stack"], stack_names, names)
        if owner is None:
            unreadable.append({"file": path, "why": f"no scanned recipe matches stack {run['stack']!r}"})
            continue
        runs.setdefault(owner, []).append(run)
    for items in runs.values():
        items.sort(key=lambda r: r["when"] or "", reverse=True)
    return runs, unreadable, read
