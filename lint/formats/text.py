"""``path:line:col: CODE [severity] message (service)``, one line per finding.

A finding ``compose-policy fix`` can fix carries ``[*]`` after its severity, and the
report ends with how many there are (as ruff marks and counts its fixable findings).
"""

from __future__ import annotations

from compose_policy.formats.escape import printable

# ANSI codes as click.style writes them (red, yellow, cyan): importing click would cost a
# pre-commit hook more than the lint itself
_COLOURS = {"error": 31, "warning": 33, "info": 36}
_BOLD, _RESET = "\033[1m", "\033[0m"


def _bold(text: str, colour: int = None) -> str:
    prefix = f"\033[{colour}m" if colour is not None else ""
    return f"{prefix}{_BOLD}{text}{_RESET}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def render(result, color: bool = False, statistics: bool = False, quiet: bool = False, **_) -> str:
    lines = []
    for f in result.findings:
        sev = str(f.severity)
        location = f"{printable(f.path)}:{f.line}:{f.column}:"
        code = f"{f.rule} [{sev}]"
        if color:
            location = _bold(location)
            code = _bold(code, _COLOURS[sev])
        service = f" ({printable(f.service)})" if f.service else ""
        fixable = " [*]" if f.fix is not None else ""  # ruff's mark: `compose-policy fix` can fix it
        lines.append(f"{location} {code}{fixable} {printable(f.message)}{service}")
    if quiet:  # the findings only (ruff's --quiet)
        return "".join(line + "\n" for line in lines)
    counts = result.counts()
    total = len(result.findings)
    stacks, files = _plural(len(result.stacks), "stack"), _plural(result.files, "file")
    summary = (f"Found {_plural(total, 'finding')} "
               f"({counts['error']} error, {counts['warning']} warning, {counts['info']} info) "
               f"in {stacks}, {files}."
               if total else f"All clear: {stacks}, {files} checked." if result.stacks
               else "No compose files found: nothing checked.")
    if result.suppressed:
        summary = summary[:-1] + f"; {result.suppressed} suppressed."
    if statistics and total:
        by_rule = {}
        for f in result.findings:
            by_rule.setdefault((f.rule, f.name), 0)
            by_rule[(f.rule, f.name)] += 1
        lines.append("")
        for (code, name), count in sorted(by_rule.items()):
            lines.append(f"{count:6d}  {code}  {name}")
    lines.append(summary)
    fixable = sum(1 for f in result.findings if f.fix is not None)
    if fixable:
        lines.append(f"[*] {fixable} fixable with `compose-policy fix`.")
    return "\n".join(lines) + "\n"
