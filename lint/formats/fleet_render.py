"""Render a FleetReport as text, markdown, JSON or a self-contained HTML page."""

from __future__ import annotations

import html
import json

from compose_policy import __version__

_RISK_TEXT = {
    "invalid": "cannot be read: fix CP000/CP001 first",
    "high": "an upgrade can be silently rolled back, paused or stuck",
    "medium": "failure detection is weakened",
    "low": "advice only",
    "clean": "nothing found",
}
_RISK_COLOUR = {"invalid": "#6b21a8", "high": "#b91c1c", "medium": "#b45309", "low": "#0e7490", "clean": "#15803d"}


def render_text(report) -> str:
    summary = report.summary()
    lines = [f"Fleet: {summary['recipes']} recipes"]
    for risk, count in summary["by_risk"].items():
        if count:
            lines.append(f"  {risk:<8} {count:4d}  {_RISK_TEXT[risk]}")
    lines.append("")
    for recipe in report.recipes:
        lines.append(f"[{recipe.risk}] {recipe.name}  ({recipe.counts['error']} error, "
                     f"{recipe.counts['warning']} warning, {recipe.counts['info']} info)")
        for service in recipe.services:
            rules = ", ".join(service.rules) or "-"
            lines.append(f"    {service.name:<16} order={service.order:<22} "
                         f"failure_action={service.failure_action:<18} monitor={service.monitor:<14} {rules}")
    if summary["services_exposed"]:
        lines += ["", "Services an upgrade can silently revert or stall: " + ", ".join(summary["services_exposed"])]
    return "\n".join(lines) + "\n"


def render_markdown(report) -> str:
    summary = report.summary()
    out = ["# Fleet rollout report", "", f"{summary['recipes']} recipes.", "",
           "| risk | recipes | meaning |", "|---|---|---|"]
    for risk, count in summary["by_risk"].items():
        out.append(f"| {risk} | {count} | {_RISK_TEXT[risk]} |")
    out += ["", "| recipe | risk | service | order | failure_action | monitor | rules |",
            "|---|---|---|---|---|---|---|"]
    for recipe in report.recipes:
        for service in recipe.services or [None]:
            if service is None:
                out.append(f"| {recipe.name} | {recipe.risk} | | | | | |")
                continue
            out.append(f"| {recipe.name} | {recipe.risk} | {service.name} | {service.order} | "
                       f"{service.failure_action} | {service.monitor} | {', '.join(service.rules)} |")
    return "\n".join(out) + "\n"


def render_json(report) -> str:
    return json.dumps({"version": __version__, **report.to_dict()}, indent=2) + "\n"


def render_html(report) -> str:
    e = html.escape
    summary = report.summary()
    cards = "".join(
        f'<div class="card" style="border-color:{_RISK_COLOUR[r]}"><b style="color:{_RISK_COLOUR[r]}">{c}</b>'
        f"<span>{e(r)}</span><small>{e(_RISK_TEXT[r])}</small></div>"
        for r, c in summary["by_risk"].items())
    rows = []
    for recipe in report.recipes:
        services = recipe.services or []
        span = max(1, len(services))
        head = (f'<td rowspan="{span}"><b>{e(recipe.name)}</b><br><small>{e(recipe.path)}</small></td>'
                f'<td rowspan="{span}"><span class="risk" style="background:{_RISK_COLOUR[recipe.risk]}">'
                f"{e(recipe.risk)}</span></td>")
        if not services:
            rows.append(f"<tr>{head}<td colspan=5></td></tr>")
        for index, s in enumerate(services):
            details = "".join(
                f'<li><code>{e(f["rule"])}</code> {e(f["message"])} <small>{e(f["path"])}:{f["line"]}</small></li>'
                for f in recipe.findings if f["service"] == s.name)
            rows.append(
                f"<tr>{head if index == 0 else ''}<td>{e(s.name)}<br><small>{e(s.image or '')}</small></td>"
                f"<td>{e(s.order)}</td><td>{e(s.failure_action)}</td><td>{e(s.monitor)}</td>"
                f"<td><ul>{details}</ul></td></tr>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Fleet rollout report</title>
<style>
body{{font-family:system-ui,sans-serif;margin:2rem;color:#111}}
.cards{{display:flex;gap:1rem;margin:1rem 0 2rem}}
.card{{border:2px solid;border-radius:8px;padding:.6rem 1rem;display:flex;flex-direction:column;min-width:9rem}}
.card b{{font-size:1.8rem}} .card small{{color:#555}}
table{{border-collapse:collapse;width:100%;table-layout:fixed}}
td,th{{border-bottom:1px solid #ddd;padding:.4rem;vertical-align:top;text-align:left;overflow-wrap:anywhere}}
th:nth-child(1){{width:16%}} th:nth-child(2){{width:6%}} th:nth-child(3){{width:14%}} th:nth-child(4),th:nth-child(5),th:nth-child(6){{width:9%}}
.risk{{color:#fff;border-radius:4px;padding:.1rem .5rem}} ul{{margin:0;padding-left:1rem}} small{{color:#666}}
</style></head><body>
<h1>Fleet rollout report</h1>
<p>{summary['recipes']} recipes, compose-policy {e(__version__)}.</p>
<div class="cards">{cards}</div>
<table><thead><tr><th>recipe</th><th>risk</th><th>service</th><th>order</th><th>on failure</th><th>monitor</th><th>findings</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table>
</body></html>
"""


RENDERERS = {"text": render_text, "markdown": render_markdown, "json": render_json, "html": render_html}
