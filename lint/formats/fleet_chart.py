"""Inline SVG bar charts for the HTML fleet report: no script, no network, labels escaped."""

from __future__ import annotations

import html
from typing import Dict, List, Sequence, Tuple

ROW = 20
LABEL_WIDTH = 230
BAR_WIDTH = 300


def _label(text: str, limit: int = 34) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else "…" + text[-(limit - 1):]


def stacked_bars(title: str, rows: Sequence[Tuple[str, Dict[str, int]]], order: Sequence[str],
                 colours: Dict[str, str]) -> str:
    """One horizontal bar per row, split by ``order`` (e.g. risks), scaled to the largest row."""
    e = html.escape
    largest = max((sum(counts.values()) for _, counts in rows), default=0) or 1
    height = ROW * len(rows) + 30
    width = LABEL_WIDTH + BAR_WIDTH + 50
    parts: List[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui,sans-serif" font-size="12">',
        f"<title>{e(title)}</title>",
        f'<text x="0" y="14" font-weight="bold">{e(title)}</text>',
    ]
    for index, (label, counts) in enumerate(rows):
        y = 24 + index * ROW
        parts.append(f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end"><title>{e(label)}</title>'
                     f"{e(_label(label))}</text>")
        x = float(LABEL_WIDTH)
        for key in order:
            count = counts.get(key, 0)
            if not count:
                continue
            w = BAR_WIDTH * count / largest
            parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 1):.1f}" height="{ROW - 6}" '
                         f'fill="{colours[key]}"><title>{e(label)}: {count} {e(key)}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + 13}">{sum(counts.values())}</text>')
    parts.append("</svg>")
    return "".join(parts)
