"""Horizontal bar charts as inline SVG, drawn on the server (no script, strict CSP, nothing to load).

A chart repeats a table that follows it on the page: the SVG is hidden from assistive technology
(`aria-hidden`) and the table is what a screen reader reads. Only presentation attributes are used
(no `style`), which the console's Content-Security-Policy allows. A suppressed value (bot/
service_report.py: "< 5") draws no bar and says so in its label, so a chart never shows more than
its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#14395f"  # the console's blue: 11:1 on white
TEXT = "#1a1a1a"
GRID = "#c9ced6"
ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_WIDTH = 420
VALUE_WIDTH = 80
MAX_LABEL = 38


def bars(rows: Sequence[tuple[str, str, float | None]]) -> str:
    """An SVG of one bar per row: (label, the value as shown, the number or None when suppressed)."""
    if not rows:
        return ""
    top = max((value for _, _, value in rows if value is not None), default=0.0) or 1.0
    height = ROW_HEIGHT * len(rows) + 8
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    parts = [
        f'<svg class="graphique" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="{GRID}" stroke-width="1"/>',
    ]
    for i, (label, shown, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        middle = y + ROW_HEIGHT / 2 + 4
        short = label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{middle:.0f}" text-anchor="end" font-size="13" fill="{TEXT}">'
            f"{escape(short)}</text>"
        )
        length = 0.0 if value is None else BAR_WIDTH * value / top
        if length > 0:
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{max(length, 2):.1f}" height="{ROW_HEIGHT - 6}" '
                f'fill="{BAR}" rx="2"/>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{middle:.0f}" font-size="13" fill="{TEXT}">'
            f"{escape(shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
