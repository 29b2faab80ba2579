"""Trend chart of one measure over the visits (reportlab.graphics, vector).

Left and right keep their two colour-blind-safe hues and differ in line style and marker
too (solid with circles, dashed with squares), so a greyscale print tells them apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Group, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic_app.reports.charts import Axes, nice_ticks
from clinic_app.reports.fonts import FONT, FONT_BOLD, register_fonts
from clinic_app.reports.styles import INK, MUTED, SIDE_COLOURS, SIDE_TINTS


@dataclass(frozen=True)
class TrendPoint:
    """One visit's value of a measure for one side.

    ``mdc`` is the MDC of the comparison of this visit with the first one (same examiner or
    not, §3.7), None when the measure has none; ``real`` is True when that change exceeds it.
    """

    day: float
    value: float
    real: bool
    mdc: float | None = None


SIDE_MARKERS = {"left": "circle", "right": "square"}
SIDE_DASHES: dict[str, tuple[float, ...] | None] = {"left": None, "right": (3.5, 2.0)}
"""Left and right told apart without colour: solid line with circles, dashed with squares."""


def _marker(side: str, x: float, y: float, filled: bool) -> Circle | Rect:
    colour = SIDE_COLOURS[side]
    fill = colour if filled else colors.white
    if SIDE_MARKERS.get(side) == "square":
        return Rect(x - 2.4, y - 2.4, 4.8, 4.8, fillColor=fill, strokeColor=colour,
                    strokeWidth=1.1)  # fmt: skip
    return Circle(x, y, 2.6, fillColor=fill, strokeColor=colour, strokeWidth=1.1)


def _band(g: Group, ax: Axes, side: str, pts: Sequence[TrendPoint]) -> None:
    """The MDC band around the first visit, as steps: each visit's own comparison MDC.

    Neighbouring visits judged with the same MDC share one rectangle (a long history with
    one examiner is one band, not one shape per visit).
    """
    base = pts[0].value
    xs = [p.day for p in pts]
    spans: list[tuple[float, float, float]] = []  # (left, right, mdc)
    for k, p in enumerate(pts):
        mdc = p.mdc if k else (pts[1].mdc if len(pts) > 1 else None)
        if mdc is None:
            continue
        left = ax.xlim[0] if k == 0 else (xs[k - 1] + xs[k]) / 2
        right = ax.xlim[1] if k == len(pts) - 1 else (xs[k] + xs[k + 1]) / 2
        if spans and spans[-1][2] == mdc and abs(spans[-1][1] - left) < 1e-9:
            spans[-1] = (spans[-1][0], right, mdc)
        else:
            spans.append((left, right, mdc))
    for left, right, mdc in spans:
        y0, y1 = ax.y(base - mdc), ax.y(base + mdc)
        g.add(Rect(ax.x(left), y0, ax.x(right) - ax.x(left), y1 - y0,
                   fillColor=SIDE_TINTS[side], strokeColor=None, fillOpacity=0.45))  # fmt: skip


def trend_chart(
    title: str,
    units: str,
    series: Mapping[str, Sequence[TrendPoint]],
    width: float,
    height: float,
    day_labels: Sequence[tuple[float, str]] = (),
) -> Drawing:
    """Measure per visit for each side; MDC band around each side's first visit.

    The band follows the MDC of each comparison with the first visit (wider where another
    examiner measured); a filled marker is a change from the first visit beyond that MDC.
    """
    register_fonts()  # widths are measured in the embedded font
    d = Drawing(width, height)
    g = Group()
    d.add(g)
    d.add(String(34, height - 9, title, fontName=FONT_BOLD, fontSize=7.5, fillColor=INK))
    values = [p.value for pts in series.values() for p in pts]
    days = [p.day for pts in series.values() for p in pts]
    if not values:
        return d
    lo, hi = min(values), max(values)
    for pts in series.values():
        for p in pts[1:]:
            if p.mdc is not None:
                lo, hi = min(lo, pts[0].value - p.mdc), max(hi, pts[0].value + p.mdc)
    pad = (hi - lo) * 0.08 or 1.0
    yt = nice_ticks(lo - pad, hi + pad, 5)
    span = max(days) - min(days) or 1.0
    xlim = (min(days) - span * 0.06, max(days) + span * 0.06)
    ax = Axes(34, 26, width - 44, height - 52, xlim, (yt[0], yt[-1]))
    for side, pts in series.items():
        if pts:
            _band(g, ax, side, pts)
    ax.draw(g, [], yt, "weeks since first visit", units)
    for day, label in day_labels:
        g.add(String(ax.x(day), ax.y0 - 9, label, fontName=FONT, fontSize=6.5, fillColor=MUTED,
                     textAnchor="middle"))  # fmt: skip
    for side, pts in series.items():
        colour = SIDE_COLOURS[side]
        if len(pts) > 1:
            g.add(PolyLine([c for p in pts for c in (ax.x(p.day), ax.y(p.value))],
                           strokeColor=colour, strokeWidth=1.2,
                           strokeDashArray=SIDE_DASHES.get(side)))  # fmt: skip
        for p in pts:
            g.add(_marker(side, ax.x(p.day), ax.y(p.value), p.real))
    lx = ax.x0
    for side in series:
        colour = SIDE_COLOURS[side]
        g.add(Line(lx, height - 19, lx + 14, height - 19, strokeColor=colour, strokeWidth=1.2,
                   strokeDashArray=SIDE_DASHES.get(side)))  # fmt: skip
        g.add(_marker(side, lx + 7, height - 19, False))
        g.add(String(lx + 17, height - 21, side, fontName=FONT, fontSize=6, fillColor=INK))
        lx += 17 + stringWidth(side, FONT, 6) + 10
    return d


__all__ = ["SIDE_DASHES", "SIDE_MARKERS", "TrendPoint", "trend_chart"]
