"""Where a rule's documentation page is: its URL when the package publishes one, else its path.

``[project.urls]`` in pyproject.toml with the label ``rules`` (``rules =
"https://.../docs/rules"``) is where docs/rules/<code>.md are published; JSON and SARIF
then carry absolute URLs (SARIF's ``helpUri``). Without it they carry the page's path in
the repository, ``docs/rules/<code>.md``.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:  # names for annotations only: importing typing slows every lint run
    from typing import Optional

DOCS_PATH = "docs/rules"
RULE_DOCS_LABEL = "rules"


def rule_docs_base() -> Optional[str]:
    """The published docs/rules folder, from the installed package's metadata, if it says."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        entries = metadata("compose-policy").get_all("Project-URL") or []
    except PackageNotFoundError:
        return None
    for entry in entries:
        label, _, url = entry.partition(",")
        if label.strip().lower() == RULE_DOCS_LABEL and url.strip():
            return url.strip().rstrip("/")
    return None


def rule_url(code: str, base: Optional[str]) -> str:
    return f"{base}/{code}.md" if base else f"{DOCS_PATH}/{code}.md"
