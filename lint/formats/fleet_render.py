"""Render a FleetReport as text, compact markdown, JSON or a self-contained HTML page.

Everything that comes from a recipe (names, paths, images, messages) is untrusted: HTML
escapes it, markdown escapes table and inline syntax, text shows control characters
as escapes. The markdown fits one GitHub comment (65,536 characters): it drops detail,
lowest risks first, until it does.
"""

from __future__ import annotations

import html
import json
from typing import Callable, Dict, List

from compose_policy import __version__
from compose_policy.fleet import SORT_ORDER

GITHUB_COMMENT_LIMIT = 65536

_RISK_TEXT = {
    "invalid": "cannot be read: fix CP000/CP001 first",
    "high": "an upgrade can be silently rolled back, paused or stuck",
    "medium": "failure detection is weakened",
    "low": "advice only",
    "clean": "nothing found",
}
_RISK_COLOUR = {"invalid": "#6b21a8", "high": "#b91c1c", "medium": "#b45309", "low": "#0e7490", "clean": "#15803d"}
_CLASS_COLOUR = {"weakening": "#b91c1c", "stale": "#b45309", "redundant": "#b45309", "missing-header": "#b45309",
                 "unexplained": "#0e7490", "justified": "#15803d"}


def plain(text) -> str:
    """One line: control characters (newlines included) shown as escapes."""
    text = "" if text is None else str(text)
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


_MD = {"\\": "\\\\", "|": "\\|", "`": "\\`", "*": "\\*", "_": "\\_", "[": "\\[", "]": "\\]", "~": "\\~",
       "<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "&#64;", "#": "\\#"}


def md(text) -> str:
    """Text for a markdown table cell or line: no table, link, HTML, mention or emphasis syntax survives."""
    return "".join(_MD.get(c, c) for c in plain(text))


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def overlay_summary(w: dict, lower: bool = False) -> str:
    """One sentence on the fleet judged with its CI overlays, the same in every format."""
    risks = ", ".join(f"{r} {w['by_risk'][r]}" for r in SORT_ORDER if w["by_risk"][r])
    return (f"{'w' if lower else 'W'}ith CI overlays ({_count(w['recipes_with_overlay'], 'recipe')}): {risks}; "
            f"{_count(w['covered_findings'], 'finding')} covered, {w['hidden_findings']} hidden by weakening "
            f"entries, {w['introduced_findings']} introduced")


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _graded(report) -> List:
    return [r for r in report.shown if r.risk != "invalid"]


def _invalid(report) -> List:
    return [r for r in report.recipes if r.risk == "invalid"]


def _risk_label(recipe) -> str:
    if recipe.overlay is not None and recipe.overlay.risk != recipe.risk:
        return f"{recipe.risk} -> {recipe.overlay.risk} with overlay"
    return recipe.risk


def _findings_line(recipe) -> str:
    c = recipe.counts
    return f"{c['error']} error, {c['warning']} warning, {c['info']} info"


def _run_lines(recipe, failed_only: bool = False) -> List[str]:
    out = []
    for run in recipe.runs:
        if not run.get("checked", True):
            if not failed_only:
                out.append(f"{run['when']}: not checked: {run.get('error') or 'no reason given'}")
            continue
        for failure in run["failures"]:
            out.append(f"{run['when']}: {failure['service']} {failure['outcome']}: {failure.get('reason') or ''}".rstrip(": "))
        if run.get("hc1_failed"):
            out.append(f"{run['when']}: HC1 failed: {run.get('hc1_reason') or ''}")
        if run["passed"] and not failed_only:
            out.append(f"{run['when']}: passed")
    return out


# --- text ------------------------------------------------------------------------------

def render_text(report) -> str:
    summary = report.summary()
    totals = summary["findings"]
    lines = [f"Fleet: {_count(summary['recipes'], 'recipe')}, {_count(totals['total'], 'finding')} "
             f"({totals['by_severity']['error']} error, {totals['by_severity']['warning']} warning, "
             f"{totals['by_severity']['info']} info)"]
    for risk in SORT_ORDER:
        count = summary["by_risk"][risk]
        if count:
            lines.append(f"  {risk:<8} {count:4d}  {_RISK_TEXT[risk]}")
    if "with_overlays" in summary:
        w = summary["with_overlays"]
        lines.append("  " + overlay_summary(w, lower=True))
    if report.min_risk:
        lines.append(f"  showing {summary['shown']} at {report.min_risk} risk or worse")
    failed = [r for r in report.recipes if r.failed_runs]
    if failed:
        lines += ["", "Failed in CI runs (not just sharing the policy):"]
        for recipe in failed:
            lines += [f"  {plain(recipe.display)}: {plain(line)}" for line in _run_lines(recipe, failed_only=True)]
    clean = []
    for recipe in _graded(report):
        if recipe.deployed_risk == "clean" and not recipe.runs:
            clean.append(recipe.display)
            continue
        lines += ["", f"[{_risk_label(recipe)}] {plain(recipe.display)}  ({_findings_line(recipe)})"]
        for service in recipe.services:
            rules = ", ".join(service.rules) or "-"
            lines.append(f"    {plain(service.name):<16} order={plain(service.order):<22} "
                         f"failure_action={plain(service.failure_action):<18} monitor={plain(service.monitor):<14} {rules}")
        covered = sorted({f["rule"] for f in recipe.findings if f.get("covered")})
        if covered:
            lines.append(f"    covered by overlay: {', '.join(covered)}")
        hidden = sorted({f["rule"] for f in recipe.findings if f.get("hidden")})
        if hidden:
            lines.append(f"    hidden by a weakening overlay: {', '.join(hidden)}")
        if recipe.overlay is not None and recipe.overlay.weakening:
            lines.append(f"    overlay weakens failure detection ({recipe.overlay.weakening} entries): see the audit")
        if recipe.overlay is not None and recipe.overlay.introduced:
            lines.append(f"    introduced by overlay: {', '.join(sorted({f['rule'] for f in recipe.overlay.introduced}))}")
        lines += [f"    run {plain(line)}" for line in _run_lines(recipe)]
    if clean:
        shown = ", ".join(plain(n) for n in clean[:20]) + (f", and {len(clean) - 20} more" if len(clean) > 20 else "")
        lines += ["", f"clean ({len(clean)}): {shown}"]
    invalid = _invalid(report)
    if invalid:
        lines += ["", f"Invalid ({len(invalid)}): could not be graded"]
        lines += [f"  {plain(r.display)}: {plain(r.reason)}" for r in invalid]
    if report.audit:
        lines += ["", "Overlay audit:"] + [f"  {line}" for line in audit_lines(report.audit)]
    if summary["services_exposed"]:
        lines += ["", "Services an upgrade can silently revert or stall (high risk): "
                  + ", ".join(plain(s) for s in summary["services_exposed"])]
    if report.enrolled_missing:
        lines += ["", "Enrolled but not found: " + ", ".join(plain(n) for n in report.enrolled_missing)]
    if report.unreadable_verdicts:
        lines += ["", f"Verdicts not used ({len(report.unreadable_verdicts)}):"]
        lines += [f"  {plain(v['file'])}: {plain(v['why'])}" for v in report.unreadable_verdicts]
    return "\n".join(lines) + "\n"


def audit_lines(audits) -> List[str]:
    lines = []
    for overlay in audits:
        lines.append(f"{plain(overlay.overlay)} ({plain(overlay.recipe)})")
        if not overlay.header:
            lines.append("  missing-header [warning]: no header comment saying why this overlay exists")
        lines += [f"  problem [error]: {plain(p)}" for p in overlay.problems]
        for entry in overlay.entries:
            key = ".".join(entry.key) or "(service)"
            lines.append(f"  {entry.line}: {plain(entry.service)}.{plain(key)}: {entry.kind} "
                         f"[{entry.severity}]: {plain(entry.reason)}")
    return lines


# --- markdown ----------------------------------------------------------------------------

def render_markdown(report, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    """Compact markdown for a pull-request comment, never over ``limit`` characters."""
    for detail in (3, 2, 1, 0):
        text = _markdown(report, detail, rows=None)
        if len(text) <= limit:
            return text
    rows = len(report.recipes)
    while rows > 0:  # a fleet so large that even the tables do not fit: fewer rows
        rows //= 2
        text = _markdown(report, 0, rows=rows)
        if len(text) <= limit:
            return text
    return _shorten(_markdown(report, 0, rows=0), limit)


def _markdown(report, detail: int, rows) -> str:
    """detail 3: names of clean recipes; 2: of low ones too; 1: reasons of invalid ones; 0: counts only."""
    summary = report.summary()
    totals = summary["findings"]
    out = ["## compose-policy fleet report", "",
           f"{_count(summary['recipes'], 'recipe')}, {_count(totals['total'], 'finding')} ({totals['by_severity']['error']} error, "
           f"{totals['by_severity']['warning']} warning, {totals['by_severity']['info']} info)."
           + (f" Showing {report.min_risk} risk or worse." if report.min_risk else ""), "",
           "| risk | recipes | meaning |", "|---|---|---|"]
    for risk in SORT_ORDER:
        out.append(f"| {risk} | {summary['by_risk'][risk]} | {_RISK_TEXT[risk]} |")
    if "with_overlays" in summary:
        w = summary["with_overlays"]
        out += ["", overlay_summary(w) + "."]
    failed = [r for r in report.recipes if r.failed_runs]
    if failed:
        out += ["", "### Failed in CI runs", "", "| recipe | when | what |", "|---|---|---|"]
        for recipe in _cut(failed, rows, out):
            for run in recipe.failed_runs[:3]:
                what = "; ".join([f"{f['service']} {f['outcome']}" for f in run["failures"]]
                                 + (["HC1 failed"] if run.get("hc1_failed") else []))
                out.append(f"| {md(recipe.display)} | {md(run['when'])} | {md(_shorten(what, 160))} |")
    graded = [r for r in _graded(report)
              if r.deployed_risk in ("high", "medium", "invalid") or r.risk in ("high", "medium")]
    if graded:
        out += ["", "### At risk", "", "| recipe | risk | services (rules) | covered by overlay |", "|---|---|---|---|"]
        for recipe in _cut(graded, rows, out):
            services = "; ".join(f"{md(s.name)}: {', '.join(s.rules)}" for s in recipe.services if s.rules)
            loose = sorted({f["rule"] for f in recipe.findings if f["service"] is None})
            if loose:
                services += ("; " if services else "") + "stack: " + ", ".join(loose)
            covered = ", ".join(sorted({f["rule"] for f in recipe.findings if f.get("covered")})) or "-"
            out.append(f"| {md(recipe.display)} | {md(_risk_label(recipe))} | {_shorten(services, 300)} | {covered} |")
    if report.audit:
        problems = [(o, e) for o in report.audit for e in o.entries if e.kind != "justified"]
        headless = [o for o in report.audit if not o.header]
        broken = [(o, p) for o in report.audit for p in o.problems]
        out += ["", "### Overlay audit", "",
                ", ".join(f"{k} {v}" for k, v in summary["audit"]["by_class"].items()) + ".", ""]
        if problems or headless or broken:
            out += ["| overlay | entry | class | why |", "|---|---|---|---|"]
            out += [f"| {md(o.recipe)} | | missing-header | no header comment saying why |" for o in headless]
            out += [f"| {md(o.recipe)} | | problem | {md(_shorten(p, 200))} |" for o, p in broken]
            for overlay, entry in _cut(problems, rows, out):
                key = md(f"{entry.service}." + ".".join(entry.key))
                out.append(f"| {md(overlay.recipe)} | {key} | {entry.kind} | {md(_shorten(entry.reason, 200))} |")
    invalid = _invalid(report)
    if invalid:
        if detail >= 1:
            out += ["", f"### Invalid ({len(invalid)})", "", "| recipe | reason |", "|---|---|"]
            out += [f"| {md(r.display)} | {md(_shorten(r.reason or '', 160))} |" for r in _cut(invalid, rows, out)]
        else:
            out += ["", f"{len(invalid)} invalid recipes (see the JSON or HTML report)."]
    for risk, needed in (("low", 2), ("clean", 3)):
        names = [r.display for r in _graded(report) if r.deployed_risk == risk and r not in graded]
        if not names:
            continue
        if detail >= needed:
            out += ["", f"<details><summary>{len(names)} {risk}</summary>", "", ", ".join(md(n) for n in names), "",
                    "</details>"]
        else:
            out += ["", f"{len(names)} {risk} recipes (names in the JSON or HTML report)."]
    if summary["services_exposed"]:
        out += ["", "Services an upgrade can silently revert or stall (high risk): "
                + ", ".join(md(s) for s in summary["services_exposed"][:200])]
    if report.enrolled_missing:
        out += ["", "Enrolled but not found: " + ", ".join(md(n) for n in report.enrolled_missing)]
    out += ["", f"<sub>compose-policy {md(__version__)}</sub>"]
    return "\n".join(out) + "\n"


def _cut(items: List, rows, out: List[str]) -> List:
    if rows is None or len(items) <= rows:
        return items
    out.append(f"| ... and {len(items) - rows} more (see the JSON or HTML report) | | | |")
    return items[:rows]


# --- JSON --------------------------------------------------------------------------------

def render_json(report) -> str:
    return json.dumps({"version": __version__, **report.to_dict()}, indent=2) + "\n"


# --- HTML --------------------------------------------------------------------------------

def _badge(risk: str, text: str = None) -> str:
    colour = _RISK_COLOUR.get(risk) or _CLASS_COLOUR.get(risk, "#555")
    return f'<span class="badge" style="background:{colour}">{html.escape(text or risk)}</span>'


def _charts(report) -> str:
    from compose_policy.formats.fleet_chart import stacked_bars

    per_rule: Dict[str, Dict[str, int]] = {}
    for recipe in report.recipes:
        for finding in recipe.findings:
            counts = per_rule.setdefault(finding["rule"], {})
            counts[finding["risk"]] = counts.get(finding["risk"], 0) + 1
    order = ["invalid", "high", "medium", "low"]
    rules = sorted(per_rule.items(), key=lambda item: (-sum(item[1].values()), item[0]))
    recipes = []
    for recipe in report.recipes:
        counts: Dict[str, int] = {}
        for finding in recipe.findings:
            counts[finding["risk"]] = counts.get(finding["risk"], 0) + 1
        if counts and recipe.risk != "invalid":
            recipes.append((recipe.display, counts))
    recipes.sort(key=lambda item: tuple(-item[1].get(k, 0) for k in order) + (item[0],))
    return (stacked_bars("Findings per rule, by risk", rules, order, _RISK_COLOUR)
            + stacked_bars(f"Findings per recipe, by risk (top {min(15, len(recipes))} of {len(recipes)})",
                           recipes[:15], order, _RISK_COLOUR))


def _finding_item(finding: dict, root: str = "") -> str:
    """The rule and the message's first clause; the rest and the place unfold on a click."""
    e = html.escape
    covered = ' <span class="covered">covered by overlay</span>' if finding.get("covered") else ""
    if finding.get("hidden"):
        covered = ' <span class="weak">hidden by a weakening overlay</span>'
    message = plain(finding["message"])
    cut = message.find(": ", 25)
    head, rest = (message[:cut], message[cut + 2:]) if 0 < cut <= 110 else (_shorten(message, 90), message)
    where = finding["path"]
    if root and where.startswith(root.rstrip("/") + "/"):
        where = where[len(root.rstrip("/")) + 1:]
    return (f'<li><details><summary><code>{e(finding["rule"])}</code> {e(_shorten(head, 110))}{covered}</summary>'
            f'{e(rest)} <small>{e(plain(where))}:{int(finding["line"])}</small></details></li>')


def _recipe_rows(recipe) -> str:
    e = html.escape
    services = recipe.services or []
    span = max(1, len(services)) + (1 if _run_lines(recipe) or recipe.overlay else 0)
    risk_cell = _badge(recipe.risk)
    if recipe.overlay is not None and recipe.overlay.risk != recipe.risk:
        risk_cell += f'<br><small>with overlay</small><br>{_badge(recipe.overlay.risk)}'
    head = (f'<td rowspan="{span}"><b>{e(plain(recipe.display))}</b><br><small>{e(plain(recipe.path))}</small></td>'
            f'<td rowspan="{span}" class="nowrap">{risk_cell}</td>')
    rows = []
    loose = [f for f in recipe.findings if f["service"] is None or f["service"] not in {s.name for s in services}]
    for index, s in enumerate(services):
        own = [f for f in recipe.findings if f["service"] == s.name] + (loose if index == 0 else [])
        details = "".join(_finding_item(f, recipe.path) for f in own)
        rows.append(
            f"<tr>{head if index == 0 else ''}<td>{e(plain(s.name))}<br><small>{e(plain(s.image or ''))}</small></td>"
            f"<td>{e(plain(s.order))}</td><td>{e(plain(s.failure_action))}</td><td>{e(plain(s.monitor))}</td>"
            f"<td><ul>{details}</ul></td></tr>")
    if not services:
        rows.append(f"<tr>{head}<td colspan=4></td><td><ul>{''.join(_finding_item(f, recipe.path) for f in loose)}</ul></td></tr>")
    extra = []
    if recipe.overlay is not None:
        files = ", ".join(e(plain(f)) for f in recipe.overlay.files)
        introduced = "".join(_finding_item(f, recipe.path) for f in recipe.overlay.introduced)
        weak = (f' <span class="weak">{recipe.overlay.weakening} weakening '
                f'entr{"y" if recipe.overlay.weakening == 1 else "ies"}: see the audit</span>') if recipe.overlay.weakening else ""
        extra.append(f"<b>CI overlay</b> {files}{weak}" + (f"<br>introduced:<ul>{introduced}</ul>" if introduced else ""))
    runs = _run_lines(recipe)
    if runs:
        extra.append("<b>CI runs</b><ul>" + "".join(f"<li>{e(plain(line))}</li>" for line in runs) + "</ul>")
    if extra:
        rows.append(f'<tr class="extra"><td colspan="5">{"<br>".join(extra)}</td></tr>')
    return "".join(rows)


def _audit_html(report) -> str:
    e = html.escape
    rows = []
    for overlay in report.audit:
        if not overlay.header:
            rows.append(f"<tr><td>{e(plain(overlay.recipe))}</td><td>{e(plain(overlay.overlay))}</td><td></td>"
                        f"<td>{_badge('missing-header')}</td><td>no header comment saying why this overlay exists</td></tr>")
        for problem in overlay.problems:
            rows.append(f"<tr><td>{e(plain(overlay.recipe))}</td><td>{e(plain(overlay.overlay))}</td><td></td>"
                        f"<td>{_badge('weakening', 'invalid')}</td><td>{e(plain(problem))}</td></tr>")
        for entry in overlay.entries:
            key = e(plain(f"{entry.service}." + ".".join(entry.key)))
            rows.append(f"<tr><td>{e(plain(overlay.recipe))}</td><td>{e(plain(overlay.overlay))}:{entry.line}</td>"
                        f"<td><code>{key}</code></td><td class=\"nowrap\">{_badge(entry.kind)}</td>"
                        f"<td>{e(plain(entry.reason))}</td></tr>")
    return ("<h2>CI overlay audit</h2><table class=\"audit\"><thead><tr><th>recipe</th><th>overlay</th><th>entry</th>"
            f"<th>class</th><th>why</th></tr></thead><tbody>{''.join(rows)}</tbody></table>")


def render_html(report) -> str:
    e = html.escape
    summary = report.summary()
    totals = summary["findings"]
    cards = "".join(
        f'<div class="card" style="border-color:{_RISK_COLOUR[r]}"><b style="color:{_RISK_COLOUR[r]}">'
        f'{summary["by_risk"][r]}</b><span>{e(r)}</span><small>{e(_RISK_TEXT[r])}</small></div>'
        for r in SORT_ORDER)
    graded = [r for r in _graded(report) if not (r.deployed_risk == "clean" and r.risk == "clean" and not r.runs)]
    clean = [r for r in _graded(report) if r not in graded]
    rows = "".join(_recipe_rows(r) for r in graded)
    failed = [r for r in report.recipes if r.failed_runs]
    parts = [f"<p>{_count(summary['recipes'], 'recipe')}, {_count(totals['total'], 'finding')} "
             f"({totals['by_severity']['error']} error, "
             f"{totals['by_severity']['warning']} warning, {totals['by_severity']['info']} info); "
             f"compose-policy {e(__version__)}"
             + (f"; showing {e(report.min_risk)} risk or worse" if report.min_risk else "") + ".</p>",
             f'<div class="cards">{cards}</div>']
    if "with_overlays" in summary:
        w = summary["with_overlays"]
        parts.append(f"<p>{html.escape(overlay_summary(w))}.</p>")
    parts.append(f'<div class="charts">{_charts(report)}</div>')
    if failed:
        items = "".join(f"<li><b>{e(plain(r.display))}</b>: "
                        + "; ".join(e(plain(line)) for line in _run_lines(r, failed_only=True)) + "</li>"
                        for r in failed)
        parts.append(f'<h2>Failed in CI runs</h2><ul class="failed">{items}</ul>')
    parts.append('<h2>Recipes by risk</h2><table class="recipes"><thead><tr><th>recipe</th><th>risk</th><th>service</th>'
                 "<th>order</th><th>on failure</th><th>monitor</th><th>findings</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    if report.audit:
        parts.append(_audit_html(report))
    invalid = _invalid(report)
    if invalid:
        items = "".join(f"<tr><td>{e(plain(r.display))}</td><td>{e(plain(r.reason))}</td></tr>" for r in invalid)
        parts.append(f"<h2>Invalid ({len(invalid)}): could not be graded</h2>"
                     f'<table class="invalid"><tbody>{items}</tbody></table>')
    if clean:
        names = "".join(f"<li>{e(plain(r.display))}</li>" for r in clean)
        parts.append(f"<details><summary>{len(clean)} clean recipes</summary><ul class=\"names\">{names}</ul></details>")
    if summary["services_exposed"]:
        parts.append("<p><b>Services an upgrade can silently revert or stall (high risk):</b> "
                     + ", ".join(e(plain(s)) for s in summary["services_exposed"]) + "</p>")
    if report.enrolled_missing:
        parts.append("<p><b>Enrolled but not found:</b> " + ", ".join(e(plain(n)) for n in report.enrolled_missing) + "</p>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fleet rollout report</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#111;max-width:90rem}}
.cards{{display:flex;gap:1rem;margin:1rem 0;flex-wrap:wrap}}
.card{{border:2px solid;border-radius:8px;padding:.6rem 1rem;display:flex;flex-direction:column;flex:1 1 0;min-width:9rem}}
.card b{{font-size:1.8rem}} .card small{{color:#555}}
.charts{{display:flex;gap:2rem;flex-wrap:wrap;margin:1rem 0}}
table{{border-collapse:collapse;width:100%;table-layout:fixed;margin-bottom:1.5rem}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left;overflow-wrap:anywhere}}
table.recipes th:nth-child(1){{width:14%}} table.recipes th:nth-child(2){{width:7.5rem}}
table.recipes th:nth-child(3){{width:12%}} table.recipes th:nth-child(4),table.recipes th:nth-child(5),table.recipes th:nth-child(6){{width:7.5rem}}
summary{{cursor:pointer}} li details{{margin-bottom:.2rem}}
table.audit th:nth-child(4){{width:8rem}} table.invalid td:first-child{{width:25%}}
.badge{{color:#fff;border-radius:4px;padding:.1rem .5rem;white-space:nowrap;display:inline-block}}
.nowrap{{white-space:nowrap}} .weak{{color:#b91c1c;font-weight:600}} .covered{{color:#15803d;font-weight:600;white-space:nowrap}}
tr.extra td{{background:#f8fafc;font-size:.9rem}}
ul{{margin:0;padding-left:1rem}} small{{color:#666}} ul.names{{columns:4}}
</style></head><body>
<h1>Fleet rollout report</h1>
{''.join(parts)}
</body></html>
"""


RENDERERS: Dict[str, Callable] = {"text": render_text, "markdown": render_markdown, "json": render_json,
                                  "html": render_html}
