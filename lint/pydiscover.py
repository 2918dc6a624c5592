"""Which Python files a folder walk lints with the harness-code rules (CP5xx).

A recipe repository holds Python of every kind (the app's own code, scripts, docs); the
CP5xx rules are about the CI harness that redeploys the stack and checks what was
deployed. A walk picks a ``.py`` file when its text mentions what such a harness must
mention: ``deploy`` (``docker stack deploy``, ``abra app deploy``, ``deploy_app``,
``chaos_redeploy``, ``assert_deployed_commit``), ``chaos`` (the ``chaos-version`` label) or
``compose_policy.harness``. A file that mentions none of them cannot hold a CP5xx finding
with the default names; with configured names that avoid those words, name the file (or
list it) explicitly: a ``.py`` file named on the command line is always linted.

Only the first ``SNIFF_BYTES`` are read: the test is a substring search, and a hostile
repository must not make the walk read huge files.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import List

SNIFF_BYTES = 256 * 1024
MARKERS = (b"deploy", b"chaos", b"compose_policy.harness")
SKIP_DIRS = {".git", "node_modules", ".venv", "venv", "__pycache__", "site-packages", ".tox", "build", "dist"}


def is_python(path: str) -> bool:
    return path.endswith(".py")


def looks_like_harness(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError:
        return False
    return any(marker in head for marker in MARKERS)


def harness_files(folder: str) -> List[str]:
    """The harness-looking ``.py`` files under ``folder``, sorted, hidden folders skipped."""
    found = []
    for current, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(files):
            path = os.path.normpath(os.path.join(current, name))
            if is_python(name) and os.path.isfile(path) and not os.path.islink(path) and looks_like_harness(path):
                found.append(path)
    return found
