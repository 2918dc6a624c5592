"""Baselines: record today's findings so that a fleet adopting the linter sees only new ones.

A finding's key is (recipe, file relative to the recipe or as given, service, rule): no
line numbers, so edits elsewhere in a file do not wake old findings. Each key keeps a
count; a later run hides up to that many findings with the key and shows the rest.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from typing import Iterable, List, Optional, Tuple

from compose_policy import __version__
from compose_policy.errors import InputError
from compose_policy.model import Finding
from compose_policy.readfile import BASELINE_LIMIT, read_bytes

FORMAT_VERSION = 1
Key = Tuple[Optional[str], str, Optional[str], str]


def finding_key(finding: Finding) -> Key:
    file = finding.extra.get("file") or finding.path
    return finding.recipe, file.replace(os.sep, "/"), finding.service, finding.rule


def _sort_key(key: Key):
    return tuple("" if part is None else part for part in key)


def baseline_data(findings: Iterable[Finding]) -> dict:
    counts = Counter(finding_key(f) for f in findings)
    entries = [
        {"recipe": recipe, "file": file, "service": service, "rule": rule, "count": count}
        for (recipe, file, service, rule), count in sorted(counts.items(), key=lambda kv: _sort_key(kv[0]))
    ]
    return {"version": FORMAT_VERSION, "tool": f"compose-policy {__version__}", "findings": entries}


def write_baseline(path: str, findings: Iterable[Finding]) -> dict:
    from compose_policy.atomic import write_atomic  # only the writing path pays for it

    data = baseline_data(findings)
    try:
        write_atomic(path, json.dumps(data, indent=2) + "\n")
    except OSError as exc:
        raise InputError(f"{path}: {exc.strerror or exc}") from None
    return data


def _bad(path: str, reason: str) -> InputError:
    return InputError(f"{path}: not a compose-policy baseline: {reason}")


def load_baseline(path: str) -> Counter:
    """The count budget of each key. Raises InputError for a missing or malformed file."""
    raw = read_bytes(path, BASELINE_LIMIT)
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _bad(path, "not UTF-8 text") from None
    except ValueError as exc:
        raise _bad(path, f"invalid JSON ({exc})") from None
    except RecursionError:  # json nests in Python frames: 100000 "[" would end in a traceback
        raise _bad(path, "invalid JSON (nested too deeply)") from None
    if not isinstance(data, dict) or data.get("version") != FORMAT_VERSION or not isinstance(data.get("findings"), list):
        raise _bad(path, f"expected an object with version {FORMAT_VERSION} and a findings list")
    budget: Counter = Counter()
    for index, entry in enumerate(data["findings"]):
        ok = (isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("rule"), str)
              and all(entry.get(k) is None or isinstance(entry.get(k), str) for k in ("recipe", "service"))
              and isinstance(entry.get("count"), int) and not isinstance(entry.get("count"), bool)
              and entry["count"] > 0)
        if not ok:
            raise _bad(path, f"findings[{index}] needs recipe, file, service, rule and a positive count")
        budget[(entry.get("recipe"), entry["file"], entry.get("service"), entry["rule"])] += entry["count"]
    return budget


def apply_baseline(findings: List[Finding], budget: Counter) -> Tuple[List[Finding], int]:
    """(findings still shown, number hidden); findings are taken in order, so the first ones go."""
    left = Counter(budget)
    shown: List[Finding] = []
    hidden = 0
    for finding in findings:
        key = finding_key(finding)
        if left[key] > 0:
            left[key] -= 1
            hidden += 1
        else:
            shown.append(finding)
    return shown, hidden
