"""Live plots of the assessment: tibial angle, stabilogram with its 95 % ellipse, Fz.

Performance rules (DESIGN.md, 1 kHz with a 30 s window at 60 frames/s): every curve is
created once and updated with ``setData`` on *views* of preallocated arrays
(:class:`RollingSeries` keeps each window contiguous without copying), time plots use
``setDownsampling(mode="peak")`` and ``setClipToView(True)``, and nothing is redrawn when
no sample arrived. Left and right use the theme's two colour-blind-safe hues.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from clinic_app.analysis.sway import prediction_ellipse_q
from clinic_app.ui import theme

FloatArray = npt.NDArray[np.float64]

WINDOW_S = 30.0
"""Time span shown by the time plots (s)."""

SCROLL_STEP_S = 5.0
"""The time axis jumps by this much when the trace reaches its right edge, instead of
scrolling every frame: the axes then redraw every few seconds, not 60 times a second
(axis painting was most of a frame's cost)."""

pg.setConfigOptions(antialias=False, background=theme.SURFACE, foreground=theme.INK)


def side_colour(side: str) -> str:
    """The theme hue of a side."""
    return theme.LEFT if side == "left" else theme.RIGHT


class RollingSeries:
    """A fixed window of (t, y) samples kept contiguous for zero-copy plotting.

    Each sample is written twice (at ``i`` and ``i + capacity``), so the last ``capacity``
    samples are always the slice ``[head, head + capacity)``: no copy, no reallocation.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._t = np.zeros(2 * self.capacity)
        self._y = np.zeros(2 * self.capacity)
        self._head = 0
        self.count = 0

    def clear(self) -> None:
        """Forget every sample."""
        self._head = 0
        self.count = 0

    def extend(self, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Append samples (older ones fall out of the window)."""
        t = np.asarray(t, dtype=np.float64)[-self.capacity :]
        y = np.asarray(y, dtype=np.float64)[-self.capacity :]
        n = len(t)
        if n == 0:
            return
        cap = self.capacity
        pos = (self._head + min(self.count, cap)) % cap
        first = min(n, cap - pos)
        for buf, v in ((self._t, t), (self._y, y)):
            buf[pos : pos + first] = v[:first]
            buf[pos + cap : pos + cap + first] = v[:first]
            if n > first:
                buf[: n - first] = v[first:]
                buf[cap : cap + n - first] = v[first:]
        total = min(self.count, cap) + n
        if total > cap:
            self._head = (self._head + total - cap) % cap
        self.count = min(total, cap)

    def view(self) -> tuple[FloatArray, FloatArray]:
        """The window's (t, y) as views (valid until the next :meth:`extend`)."""
        h, n = self._head, self.count
        return self._t[h : h + n], self._y[h : h + n]

    @property
    def last_t(self) -> float:
        """Time of the newest sample (NaN when empty)."""
        if not self.count:
            return math.nan
        return float(self._t[self._head + self.count - 1])


def _plot(title: str, left: str, bottom: str) -> pg.PlotWidget:
    widget = pg.PlotWidget()
    item = widget.getPlotItem()
    item.setTitle(title, color=theme.INK, size="13pt")
    item.setLabel("left", left)
    item.setLabel("bottom", bottom)
    item.showGrid(x=False, y=False)
    item.setMenuEnabled(False)
    item.hideButtons()
    widget.setMouseEnabled(x=False, y=False)
    font = QFont()
    font.setPointSizeF(theme.SMALL_PT)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setTickFont(font)
    return widget


class TimePlot:
    """A scrolling trace over the last :data:`WINDOW_S` (angle or Fz).

    Parameters
    ----------
    title, units : str
    rate_hz : float
        Expected sample rate (sizes the preallocated window).
    """

    def __init__(self, title: str, units: str, rate_hz: float) -> None:
        self.widget = _plot(title, units, "time (s)")
        self.series = RollingSeries(int(WINDOW_S * rate_hz * 1.25) + 16)
        self.curve = self.widget.plot(pen=pg.mkPen(theme.LEFT, width=2))
        self.curve.setDownsampling(auto=True, method="peak")
        self.curve.setClipToView(True)
        self.curve.setSkipFiniteCheck(True)
        self.t0: float | None = None
        self._x_end = WINDOW_S
        self.widget.setXRange(0, WINDOW_S, padding=0)

    def set_side(self, side: str) -> None:
        """Draw in the side's hue."""
        self.curve.setPen(pg.mkPen(side_colour(side), width=2))

    def clear(self, t0: float | None = None) -> None:
        """Empty the trace; times are shown from ``t0`` (s)."""
        self.series.clear()
        self.t0 = t0
        self.curve.setData([], [])
        self._x_end = WINDOW_S
        self.widget.setXRange(0, WINDOW_S, padding=0)

    def extend(self, t: FloatArray, y: FloatArray) -> None:
        """Append new samples (host-clock times) and redraw."""
        if not len(t):
            return
        if self.t0 is None:
            self.t0 = float(t[0])
        self.series.extend(t - self.t0, y)
        tv, yv = self.series.view()
        finite = np.isfinite(yv)
        if not finite.all():  # gaps (no reading) stay gaps
            self.curve.setData(tv, np.where(finite, yv, np.nan), connect="finite")
        else:
            self.curve.setData(tv, yv)
        end = float(tv[-1])
        if end > self._x_end:
            self._x_end = end + SCROLL_STEP_S
            self.widget.setXRange(self._x_end - WINDOW_S, self._x_end, padding=0)


class AnglePlot(TimePlot):
    """Tibial angle with the capture band (the range the hold must stay within)."""

    def __init__(self, rate_hz: float = 200.0) -> None:
        super().__init__("Tibial angle", "angle (°)", rate_hz)
        self.widget.setYRange(0, 60)
        self.band = pg.LinearRegionItem(
            orientation="horizontal", movable=False, brush=pg.mkBrush(30, 123, 52, 50)
        )
        self.band.setZValue(-10)
        self.band.hide()
        self.widget.addItem(self.band)
        self.capture_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(theme.GOOD, width=2, style=Qt.PenStyle.DashLine)
        )
        self.capture_line.hide()
        self.widget.addItem(self.capture_line)

    def set_band(self, band: tuple[float, float] | None) -> None:
        """Show the capture band (deg) or hide it."""
        if band is None:
            self.band.hide()
            return
        self.band.setRegion(band)
        self.band.show()

    def mark_capture(self, angle_deg: float | None) -> None:
        """A dashed line at the captured angle (None hides it)."""
        if angle_deg is None:
            self.capture_line.hide()
            return
        self.capture_line.setValue(angle_deg)
        self.capture_line.show()


class ForcePlot(TimePlot):
    """Vertical load with a body-weight reference line."""

    def __init__(self, rate_hz: float = 1000.0) -> None:
        super().__init__("Vertical load Fz", "Fz (N)", rate_hz)
        self.widget.setYRange(0, 1000)
        self.weight_line = pg.InfiniteLine(
            angle=0, pen=pg.mkPen(theme.MUTED, width=1, style=Qt.PenStyle.DashLine)
        )
        self.weight_line.hide()
        self.widget.addItem(self.weight_line)

    def set_weight(self, weight_n: float | None) -> None:
        """Dashed line at body weight (N); scales the axis to 1.3 × it."""
        if not weight_n:
            self.weight_line.hide()
            return
        self.weight_line.setValue(weight_n)
        self.weight_line.show()
        self.widget.setYRange(0, 1.3 * weight_n)


class Stabilogram:
    """COP path of the trial in progress (mm, medio-lateral × antero-posterior) and,
    at the end, the 95 % prediction ellipse (same definition as the sway metrics)."""

    DECIMATE = 8
    """Plot every 8th sample (125 Hz from a 1 kHz plate: sway is below 10 Hz, the path
    looks the same and costs an eighth to draw)."""

    def __init__(self, max_s: float = 40.0, rate_hz: float = 1000.0) -> None:
        self.widget = _plot("Stabilogram (COP)", "AP (mm)", "ML (mm)")
        self.widget.getPlotItem().setAspectLocked(True)
        self.capacity = int(max_s * rate_hz / self.DECIMATE) + 16
        self._x = np.zeros(self.capacity)
        self._y = np.zeros(self.capacity)
        self._n = 0
        self._skip = 0
        self.curve = self.widget.plot(pen=pg.mkPen(theme.LEFT, width=1.5))
        self.curve.setSkipFiniteCheck(True)
        self.ellipse = self.widget.plot(pen=pg.mkPen(theme.INK, width=2.5))
        self.centre = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(theme.INK))
        self.widget.addItem(self.centre)
        self.area_cm2: float | None = None
        self._range = (0.0, 0.0, 40.0)  # centre x, centre y, half-span (mm)
        self._show(0.0, 0.0, 40.0)

    def _show(self, cx: float, cy: float, half: float) -> None:
        # One call for both axes: with the aspect locked, two calls let the second one
        # undo the first and part of the path (and the ellipse) fell outside the view.
        self.widget.getPlotItem().getViewBox().setRange(
            xRange=(cx - half, cx + half), yRange=(cy - half, cy + half), padding=0.02
        )

    def set_side(self, side: str) -> None:
        """Draw in the side's hue."""
        self.curve.setPen(pg.mkPen(side_colour(side), width=1.5))

    def clear(self) -> None:
        """Start a new trial's path."""
        self._n = 0
        self._skip = 0
        self.curve.setData([], [])
        self.ellipse.setData([], [])
        self.centre.setData([], [])
        self.area_cm2 = None

    def extend(self, ml_mm: FloatArray, ap_mm: FloatArray) -> None:
        """Append COP samples (NaN = no load: skipped)."""
        ml = ml_mm[self._skip :: self.DECIMATE]
        ap = ap_mm[self._skip :: self.DECIMATE]
        self._skip = (self._skip - len(ml_mm)) % self.DECIMATE
        ok = np.isfinite(ml) & np.isfinite(ap)
        ml, ap = ml[ok], ap[ok]
        n = min(len(ml), self.capacity - self._n)
        if n <= 0:
            return
        self._x[self._n : self._n + n] = ml[:n]
        self._y[self._n : self._n + n] = ap[:n]
        self._n += n
        x, y = self._x[: self._n], self._y[: self._n]
        self.curve.setData(x, y)
        self._keep_in_view(ml[:n], ap[:n])

    def _keep_in_view(self, ml: FloatArray, ap: FloatArray) -> None:
        """Re-centre only when the new points leave the view (axes redraw rarely)."""
        cx, cy, half = self._range
        inside = (np.abs(ml - cx) < half * 0.9).all() and (np.abs(ap - cy) < half * 0.9).all()
        if inside and self._n > len(ml):
            return
        x, y = self._x[: self._n], self._y[: self._n]
        cx, cy = float(x.mean()), float(y.mean())
        half = max(40.0, float(np.abs(x - cx).max()) * 1.5, float(np.abs(y - cy).max()) * 1.5)
        self._range = (cx, cy, half)
        self._show(cx, cy, half)

    def draw_ellipse(self, probability: float = 0.95) -> float | None:
        """Draw the prediction ellipse of the path so far; return its area (cm²)."""
        if self._n < 10:
            return None
        x, y = self._x[: self._n], self._y[: self._n]
        cov = np.cov(np.vstack([x, y]))
        q = prediction_ellipse_q(self._n, probability)
        values, vectors = np.linalg.eigh(cov)
        values = np.clip(values, 0.0, None)
        angle = np.linspace(0, 2 * np.pi, 121)
        circle = np.vstack([np.cos(angle), np.sin(angle)])
        points = vectors @ (np.sqrt(q * values)[:, None] * circle)
        cx, cy = float(x.mean()), float(y.mean())
        self.ellipse.setData(points[0] + cx, points[1] + cy)
        self.centre.setData([cx], [cy])
        reach = float(np.abs(points).max()) * 1.1
        if reach > self._range[2] or abs(cx - self._range[0]) + abs(cy - self._range[1]) > 5:
            half = max(reach, self._range[2])
            self._range = (cx, cy, half)
            self._show(cx, cy, half)
        self.area_cm2 = float(np.pi * q * np.sqrt(values.prod())) / 100.0
        return self.area_cm2
