"""Horizontal bar charts as inline SVG, drawn on the server (no script, strict CSP, nothing to load):
the geometry here, the SVG in console/templates/_chart.html.

A chart repeats a table that follows it on the page: the SVG is hidden from assistive technology
(`aria-hidden`) and the table is what a screen reader reads. Only presentation attributes are used
(no `style`), which the console's Content-Security-Policy allows. A suppressed value (bot/
service_report.py: "< 5") draws no bar and says so in its label, so a chart never shows more than
its table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

BAR = "#14395f"  # the console's blue: 11:1 on white
TEXT = "#1a1a1a"
GRID = "#c9ced6"
ROW_HEIGHT = 22
LABEL_WIDTH = 260
BAR_WIDTH = 420
VALUE_WIDTH = 80
MAX_LABEL = 38


@dataclass(frozen=True)
class Bar:
    """One row of a chart, its numbers already as the SVG writes them."""

    label: str
    shown: str
    top: int
    middle: str
    width: str  # "" when the value is 0 or suppressed: no bar
    height: int
    value_x: str


@dataclass(frozen=True)
class Chart:
    """What console/templates/_chart.html draws."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    axis: int = LABEL_WIDTH
    fill: str = BAR
    text: str = TEXT
    grid: str = GRID


def bars(rows: Sequence[tuple[str, str, float | None]]) -> Chart | None:
    """A chart of one bar per row: (label, the value as shown, the number or None when suppressed)."""
    if not rows:
        return None
    top = max((value for _, _, value in rows if value is not None), default=0.0) or 1.0
    drawn = []
    for i, (label, shown, value) in enumerate(rows):
        y = 4 + i * ROW_HEIGHT
        length = 0.0 if value is None else BAR_WIDTH * value / top
        drawn.append(
            Bar(
                label=label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…",
                shown=shown,
                top=y + 3,
                middle=f"{y + ROW_HEIGHT / 2 + 4:.0f}",
                width=f"{max(length, 2):.1f}" if length > 0 else "",
                height=ROW_HEIGHT - 6,
                value_x=f"{LABEL_WIDTH + length + 6:.1f}",
            )
        )
    return Chart(LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH, ROW_HEIGHT * len(rows) + 8, tuple(drawn))
