"""Vector charts for the clinician report (reportlab.graphics, no raster images).

- :func:`trace_chart`: tibial angle against time for each lunge trial of one side;
- :func:`stabilogram`: COP path (ML × AP, equal axes) with its 95 % prediction ellipse;
- :func:`~clinic_app.reports.trend_chart.trend_chart` (its own module): one measure per
  visit, left and right, with the MDC band around the first visit and filled markers where
  the change from it is real (> MDC).

Left and right keep their two colour-blind-safe hues and differ in line style and marker too,
so a greyscale print still tells them apart.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from reportlab.graphics.shapes import Drawing, Group, Line, Polygon, PolyLine, Rect, String
from reportlab.pdfbase.pdfmetrics import stringWidth

from clinic_app.reports.fonts import FONT, FONT_BOLD, register_fonts
from clinic_app.reports.styles import INK, MUTED, RULE, SIDE_COLOURS

FloatArray = npt.NDArray[np.float64]
_DASHES: tuple[tuple[float, ...] | None, ...] = (None, (3, 1.5), (1, 1.2), (5, 1.5, 1, 1.5))


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """About ``count`` round tick values; the first ≤ ``lo`` and the last ≥ ``hi``.

    The axes of every chart run from the first to the last tick, so the data always lie
    inside them (a hold at 43.7° is never cut off by a top tick at 40°).
    """
    if not math.isfinite(lo) or not math.isfinite(hi) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(count - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    value = math.floor(lo / step) * step
    ticks = [round(value, 10)]
    while ticks[-1] < hi - 1e-9:
        value += step
        ticks.append(round(value, 10))
    return ticks


@dataclass
class Axes:
    """Maps data to drawing coordinates inside a frame and draws the frame and ticks."""

    x0: float
    y0: float
    w: float
    h: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def x(self, v: float) -> float:
        lo, hi = self.xlim
        return self.x0 + (v - lo) / (hi - lo) * self.w

    def y(self, v: float) -> float:
        lo, hi = self.ylim
        return self.y0 + (v - lo) / (hi - lo) * self.h

    def draw(
        self,
        g: Group,
        xticks: Sequence[float],
        yticks: Sequence[float],
        xlabel: str,
        ylabel: str,
        xfmt: str = "{:g}",
        yfmt: str = "{:g}",
    ) -> None:
        for t in yticks:
            if self.ylim[0] <= t <= self.ylim[1]:
                yy = self.y(t)
                g.add(Line(self.x0, yy, self.x0 + self.w, yy, strokeColor=RULE, strokeWidth=0.4))
                g.add(
                    String(
                        self.x0 - 3,
                        yy - 2.5,
                        yfmt.format(t),
                        fontName=FONT,
                        fontSize=6.5,
                        fillColor=MUTED,
                        textAnchor="end",
                    )
                )
        for t in xticks:
            if self.xlim[0] <= t <= self.xlim[1]:
                xx = self.x(t)
                g.add(Line(xx, self.y0, xx, self.y0 - 2, strokeColor=MUTED, strokeWidth=0.5))
                g.add(
                    String(
                        xx,
                        self.y0 - 9,
                        xfmt.format(t),
                        fontName=FONT,
                        fontSize=6.5,
                        fillColor=MUTED,
                        textAnchor="middle",
                    )
                )
        g.add(
            Rect(
                self.x0,
                self.y0,
                self.w,
                self.h,
                fillColor=None,
                strokeColor=MUTED,
                strokeWidth=0.6,
            )
        )
        g.add(
            String(
                self.x0 + self.w / 2,
                self.y0 - 18,
                xlabel,
                fontName=FONT,
                fontSize=7,
                fillColor=INK,
                textAnchor="middle",
            )
        )
        label = String(0, 0, ylabel, fontName=FONT, fontSize=7, fillColor=INK, textAnchor="middle")
        rotated = Group(label)
        rotated.rotate(90)
        rotated.translate(self.y0 + self.h / 2, -(self.x0 - 22))
        g.add(rotated)


def _points(ax: Axes, xs: FloatArray, ys: FloatArray) -> list[float]:
    pts: list[float] = []
    for a, b in zip(xs.tolist(), ys.tolist()):
        if math.isfinite(a) and math.isfinite(b):
            pts.extend((ax.x(a), ax.y(b)))
    return pts


def decimate(values: FloatArray, max_points: int) -> FloatArray:
    """Every k-th sample so that at most ``max_points`` remain (for vector paths)."""
    step = max(1, math.ceil(values.size / max_points))
    return values[::step]


@dataclass(frozen=True)
class TraceSeries:
    """One lunge trial's tibial-angle trace (seconds from trial start, degrees)."""

    label: str
    t_s: FloatArray
    angle_deg: FloatArray
    captured_deg: float | None = None


def legend_rows(labels: Sequence[str], width: float, sample: float = 14.0) -> list[list[int]]:
    """Indexes of legend entries per row so that no entry overlaps another (6 pt text)."""
    register_fonts()  # widths are measured in the embedded font
    rows: list[list[int]] = [[]]
    x = 0.0
    for i, label in enumerate(labels):
        entry = sample + 3 + stringWidth(label, FONT, 6) + 8
        if rows[-1] and x + entry > width:
            rows.append([])
            x = 0.0
        rows[-1].append(i)
        x += entry
    return rows


def trace_chart(series: Sequence[TraceSeries], side: str, width: float, height: float) -> Drawing:
    """Tibial angle over time for each trial of one side, with the captured angles marked.

    Each trial has its own line style (trials are told apart without colour); the legend sits
    above the plot in as many rows as its labels need, so labels never overlap each other or
    the traces. The y axis runs to a round value above the highest angle or capture.
    """
    register_fonts()  # widths are measured in the embedded font
    d = Drawing(width, height)
    colour = SIDE_COLOURS[side]
    g = Group()
    d.add(g)
    d.add(
        String(
            34,
            height - 9,
            f"{side.capitalize()}: tibial angle during each trial",
            fontName=FONT_BOLD,
            fontSize=7.5,
            fillColor=colour,
        )
    )
    finite = [s for s in series if s.t_s.size > 1]
    if not finite:
        d.add(
            String(
                width / 2,
                height / 2,
                "no inclinometer recording",
                fontName=FONT,
                fontSize=7,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return d
    rows = legend_rows([s.label for s in finite], width - 44)
    legend_h = 9.0 * len(rows)
    tmax = max(float(np.nanmax(s.t_s)) for s in finite)
    amin = min(float(np.nanmin(s.angle_deg)) for s in finite)
    captured = [s.captured_deg for s in finite if s.captured_deg is not None]
    amax = max([float(np.nanmax(s.angle_deg)) for s in finite] + captured)
    yt = nice_ticks(0.0 if amin > -3.0 else max(amin, -10.0), amax + 1.0, 6)
    xt = nice_ticks(0.0, tmax, 5)
    ax = Axes(34, 26, width - 44, height - 50 - legend_h, (0.0, xt[-1]), (yt[0], yt[-1]))
    ax.draw(g, xt, yt, "time (s)", "tibial angle (°)")
    for i, s in enumerate(finite):
        dash = _DASHES[i % len(_DASHES)]
        pts = _points(ax, decimate(s.t_s, 250), decimate(s.angle_deg, 250))
        g.add(PolyLine(pts, strokeColor=colour, strokeWidth=0.9, strokeDashArray=dash))
        if s.captured_deg is not None:
            yy = ax.y(s.captured_deg)
            g.add(
                Line(ax.x0 + ax.w - 6, yy, ax.x0 + ax.w, yy, strokeColor=colour, strokeWidth=1.2)
            )
    for r, row in enumerate(rows):
        lx = ax.x0
        ly = height - 20 - r * 9.0
        for i in row:
            dash = _DASHES[i % len(_DASHES)]
            g.add(Line(lx, ly + 2, lx + 14, ly + 2, strokeColor=colour, strokeWidth=0.9,
                       strokeDashArray=dash))  # fmt: skip
            label = finite[i].label
            g.add(String(lx + 17, ly, label, fontName=FONT, fontSize=6, fillColor=INK))
            lx += 14 + 3 + stringWidth(label, FONT, 6) + 8
    return d


@dataclass(frozen=True)
class CopPath:
    """A COP path in centimetres (mean-centred), with its 95 % prediction ellipse.

    ``ellipse`` is (semi-axis 1, semi-axis 2, angle of axis 1 from +ML in radians), cm.
    ``area_cm2`` is the area printed on the plot: the trial's stored 95 % ellipse area, the
    number the balance table lists for the same ``trial_label``.
    """

    ml_cm: FloatArray
    ap_cm: FloatArray
    ellipse: tuple[float, float, float] | None
    area_cm2: float | None = None
    trial_label: str = ""


def ellipse_points(a: float, b: float, theta: float, n: int = 72) -> list[tuple[float, float]]:
    """Outline of an ellipse centred at the origin."""
    out = []
    for k in range(n):
        t = 2 * math.pi * k / n
        x, y = a * math.cos(t), b * math.sin(t)
        out.append(
            (x * math.cos(theta) - y * math.sin(theta), x * math.sin(theta) + y * math.cos(theta))
        )
    return out


def stabilogram(
    path: CopPath | None, side: str, title: str, size: float, half_range_cm: float
) -> Drawing:
    """Square COP plot (ML horizontal, AP vertical, equal scales) with the ellipse."""
    d = Drawing(size, size + 12)
    g = Group()
    d.add(g)
    colour = SIDE_COLOURS[side]
    d.add(
        String(
            size / 2 + 8,
            size + 3,
            title,
            fontName=FONT_BOLD,
            fontSize=7,
            fillColor=colour,
            textAnchor="middle",
        )
    )
    lim = (-half_range_cm, half_range_cm)
    ax = Axes(26, 24, size - 30, size - 30, lim, lim)
    ticks = nice_ticks(-half_range_cm, half_range_cm, 5)
    ax.draw(g, ticks, ticks, "ML (cm)", "AP (cm)")
    if path is None:
        g.add(
            String(
                ax.x0 + ax.w / 2,
                ax.y0 + ax.h / 2,
                "no valid trial",
                fontName=FONT,
                fontSize=7,
                fillColor=MUTED,
                textAnchor="middle",
            )
        )
        return d
    ml = np.clip(decimate(path.ml_cm, 400), *lim)
    ap = np.clip(decimate(path.ap_cm, 400), *lim)
    g.add(PolyLine(_points(ax, ml, ap), strokeColor=colour, strokeWidth=0.5))
    if path.ellipse is not None:
        pts = ellipse_points(*path.ellipse)
        flat = [
            c
            for x, y in pts
            for c in (ax.x(max(min(x, lim[1]), lim[0])), ax.y(max(min(y, lim[1]), lim[0])))
        ]
        g.add(Polygon(flat, fillColor=None, strokeColor=INK, strokeWidth=1.0))
    if path.area_cm2 is not None:
        label = f"{path.trial_label}: " if path.trial_label else ""
        g.add(
            String(
                ax.x0 + 3,
                ax.y0 + ax.h - 8,
                f"{label}ellipse {path.area_cm2:.1f} cm²",
                fontName=FONT,
                fontSize=6,
                fillColor=INK,
            )
        )
    return d
