"""Live plots of the assessment: tibial angle, stabilogram with its 95 % ellipse, Fz.

Performance rules (DESIGN.md, 1 kHz with a 30 s window at 60 frames/s, ≤ 25 % of a core):

- every curve is a bare ``PlotCurveItem`` created once and updated with ``setData`` (a
  ``PlotDataItem`` re-scans the whole window for its bounds and downsampling each frame);
- time plots draw a min/max envelope reduced once as the samples arrive
  (:class:`~clinic_app.ui.plots.peak_envelope.PeakEnvelope`, about :data:`TRACE_BINS` bins per
  window), the stabilogram a decimated path: a frame draws about two thousand points, not
  thirty thousand, and a one-sample spike still shows;
- traces use a one-pixel pen: Qt strokes wider lines segment by segment, which doubled the
  cost of a frame; the big numbers, not the trace width, are what reads from two metres;
- the axes move in steps (:data:`SCROLL_STEP_S`), and nothing is redrawn when no sample
  arrived.

Left and right use the theme's two colour-blind-safe hues.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QGraphicsView

from clinic_app.analysis.sway import prediction_ellipse_q
from clinic_app.ui import theme
from clinic_app.ui.plots.peak_envelope import PeakEnvelope

FloatArray = npt.NDArray[np.float64]

WINDOW_S = 30.0
"""Time span shown by the time plots (s)."""

TRACE_BINS = 500
"""Min/max bins per :data:`WINDOW_S` (60 ms each): two points per bin, at least one per
pixel column of the widest time plot (about 700 px on a 1920-pixel screen), so a
one-sample spike still shows; more points only cost paint time."""

EDGE_PADDING = 0.03
"""Share of a time plot's range left empty on each side, so that the window's start, its
newest sample and zero load are drawn clear of the edge band :class:`_Trace` leaves out
of its repaint region."""

TRACE_PEN_PX = 1
"""Width of the live traces (px); see the module docstring."""

SCROLL_STEP_S = 5.0
"""The time axis jumps by this much when the trace reaches its right edge, instead of
scrolling every frame: the axes then redraw every few seconds, not 60 times a second
(axis painting was most of a frame's cost)."""

pg.setConfigOptions(antialias=False, background=theme.SURFACE, foreground=theme.INK)


def side_colour(side: str) -> str:
    """The theme hue of a side."""
    return theme.LEFT if side == "left" else theme.RIGHT


class _Trace(pg.PlotCurveItem):  # type: ignore[misc]
    """A curve whose repaint region stays 4 px inside its view.

    The view box clips what a curve paints, but Qt marks the curve's whole bounding rect
    dirty on every ``setData``, rounded out to whole pixels. A trace touching the left edge
    (the start of the window), the bottom (no load on the plate) or beyond (an off-scale
    value) therefore touched the axis beside the view, which repainted with it every frame
    (a third of a frame's cost); Qt also widens the region by 1 px when it looks for the
    items to repaint. The 4 px band left out only changes when the view moves,
    and then the whole plot is repainted anyway.
    """

    MARGIN_PX = 4.0

    _clipped: QRectF | None = None

    def invalidateBounds(self) -> None:  # pyqtgraph calls it on new data or a new view
        self._clipped = None
        super().invalidateBounds()

    def boundingRect(self) -> QRectF:
        if self._clipped is not None:  # Qt asks several times per frame
            return self._clipped
        rect: QRectF = super().boundingRect()
        view = self.getViewBox()
        if view is None:
            return rect
        px, py = view.viewPixelSize()
        margin_x, margin_y = self.MARGIN_PX * px, self.MARGIN_PX * py
        inner = view.viewRect().adjusted(margin_x, margin_y, -margin_x, -margin_y)
        self._clipped = rect.intersected(inner)
        return self._clipped


def _trace(colour: str) -> pg.PlotCurveItem:
    return _Trace(pen=pg.mkPen(colour, width=TRACE_PEN_PX), skipFiniteCheck=True)


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
    # Lines are drawn without antialiasing, so the 2 px Qt adds around every repainted
    # region is not needed; with it, each trace update also repainted the axis beside it.
    widget.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
    font = QFont()
    font.setPointSizeF(theme.SMALL_PT)
    for axis in ("left", "bottom"):
        item.getAxis(axis).setTickFont(font)
        # Ticks point outwards: inward ticks put the axis's bounding rect 5 px inside the
        # view, so every repaint of a trace near that edge repainted the axis too.
        item.getAxis(axis).setStyle(tickLength=6)
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
        per_bin = max(1, round(WINDOW_S * rate_hz / TRACE_BINS))
        bins = int(WINDOW_S * rate_hz * 1.25 / per_bin) + 16
        self.envelope = PeakEnvelope(per_bin, bins)
        self.curve = _trace(theme.LEFT)
        self.widget.addItem(self.curve)
        self.t0: float | None = None
        self._show_until(WINDOW_S)

    def set_side(self, side: str) -> None:
        """Draw in the side's hue."""
        self.curve.setPen(pg.mkPen(side_colour(side), width=TRACE_PEN_PX))

    def clear(self, t0: float | None = None) -> None:
        """Empty the trace; times are shown from ``t0`` (s)."""
        self.envelope.clear()
        self.t0 = t0
        self.curve.setData([], [])
        self._show_until(WINDOW_S)

    def _show_until(self, x_end: float) -> None:
        # The padding keeps the trace off the view's edges (see _Trace).
        self._x_end = x_end
        self.widget.setXRange(x_end - WINDOW_S, x_end, padding=EDGE_PADDING)

    def extend(self, t: FloatArray, y: FloatArray) -> None:
        """Append new samples (host-clock times) and redraw."""
        if not len(t):
            return
        if self.t0 is None:
            self.t0 = float(t[0])
        self.envelope.extend(t - self.t0, y)
        tv, yv = self.envelope.view()
        end = float(tv[-1])
        if end > self._x_end:
            self._show_until(end + SCROLL_STEP_S)
        # Points scrolled out of the view are not handed to the paint engine.
        first = int(np.searchsorted(tv, self._x_end - WINDOW_S))
        tv, yv = tv[first:], yv[first:]
        if np.isnan(yv).any():  # gaps (no reading) stay gaps
            self.curve.setData(tv, yv, connect="finite")
        else:
            self.curve.setData(tv, yv, connect="all")


class AnglePlot(TimePlot):
    """Tibial angle with the capture band (the range the hold must stay within)."""

    def __init__(self, rate_hz: float = 200.0) -> None:
        super().__init__("Tibial angle", "angle (°)", rate_hz)
        self.widget.setYRange(0, 60, padding=EDGE_PADDING)
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
        self.widget.setYRange(0, 1000, padding=EDGE_PADDING)
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
        self.widget.setYRange(0, 1.3 * weight_n, padding=EDGE_PADDING)


class Stabilogram:
    """COP path of the trial in progress (mm, medio-lateral × antero-posterior) and,
    at the end, the 95 % prediction ellipse (same definition as the sway metrics)."""

    DECIMATE = 20
    """Plot every 20th sample: 50 Hz from a 1 kHz plate, five times the highest sway
    frequency of interest (10 Hz), so the path looks the same and costs a twentieth to
    draw. The metrics are computed from every sample, not from this path."""

    def __init__(self, max_s: float = 40.0, rate_hz: float = 1000.0) -> None:
        self.widget = _plot("Stabilogram (COP)", "AP (mm)", "ML (mm)")
        self.widget.getPlotItem().setAspectLocked(True)
        self.capacity = int(max_s * rate_hz / self.DECIMATE) + 16
        self._x = np.zeros(self.capacity)
        self._y = np.zeros(self.capacity)
        self._n = 0
        self._skip = 0
        self.curve = _trace(theme.LEFT)
        self.widget.addItem(self.curve)
        self.ellipse = self.widget.plot(pen=pg.mkPen(theme.INK, width=2.5))
        self.centre = pg.ScatterPlotItem(size=10, brush=pg.mkBrush(theme.INK))
        self.centre.hide()  # shown with the ellipse; an empty scatter still costs a paint
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
        self.curve.setPen(pg.mkPen(side_colour(side), width=TRACE_PEN_PX))

    def clear(self) -> None:
        """Start a new trial's path."""
        self._n = 0
        self._skip = 0
        self.curve.setData([], [])
        self.ellipse.setData([], [])
        self.centre.setData([], [])
        self.centre.hide()
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
        self.centre.show()
        reach = float(np.abs(points).max()) * 1.1
        if reach > self._range[2] or abs(cx - self._range[0]) + abs(cy - self._range[1]) > 5:
            half = max(reach, self._range[2])
            self._range = (cx, cy, half)
            self._show(cx, cy, half)
        self.area_cm2 = float(np.pi * q * np.sqrt(values.prod())) / 100.0
        return self.area_cm2
