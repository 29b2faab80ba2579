"""Min/max decimation of a live trace, done as the samples arrive (numpy only, no Qt).

A 30 s window of a 1 kHz plate is 30,000 samples for a plot a few hundred pixels wide.
Drawing every sample costs the paint engine per segment, and letting pyqtgraph downsample
re-reads the whole window every frame. :class:`PeakEnvelope` instead reduces each new
batch once: every bin of ``samples_per_bin`` samples becomes two points, its minimum and
its maximum in time order, so a spike of a single sample still reaches the screen (the
same rule as pyqtgraph's ``"peak"`` downsampling). The bin still filling is drawn too, so
the newest sample is on screen in the next frame.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clinic_app.ui.rolling_series import RollingSeries

FloatArray = npt.NDArray[np.float64]


class PeakEnvelope:
    """The drawable points of the last ``capacity_bins`` bins of a trace.

    Parameters
    ----------
    samples_per_bin : int
        Samples reduced to one (min, max) pair; 1 keeps every sample as it is.
    capacity_bins : int
        Bins kept (older ones fall out of the window).

    Notes
    -----
    A bin whose samples are all NaN (no reading) gives two NaN points, so gaps stay gaps
    when the curve is drawn with ``connect="finite"``; NaN samples inside a bin are ignored.
    """

    def __init__(self, samples_per_bin: int, capacity_bins: int) -> None:
        if samples_per_bin < 1 or capacity_bins < 1:
            raise ValueError("samples_per_bin and capacity_bins must be at least 1")
        self.samples_per_bin = int(samples_per_bin)
        points_per_bin = 1 if self.samples_per_bin == 1 else 2
        self._points = RollingSeries(points_per_bin * int(capacity_bins))
        self._pending_t = np.zeros(0)
        self._pending_y = np.zeros(0)

    def clear(self) -> None:
        """Forget every sample."""
        self._points.clear()
        self._pending_t = np.zeros(0)
        self._pending_y = np.zeros(0)

    def extend(self, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Add samples (time order; ``t`` in s, any units for ``y``)."""
        t = np.asarray(t, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if len(t) == 0:
            return
        k = self.samples_per_bin
        if k == 1:
            self._points.extend(t, y)
            return
        if len(self._pending_t):
            t = np.concatenate((self._pending_t, t))
            y = np.concatenate((self._pending_y, y))
        full = len(t) // k * k
        if full:
            self._points.extend(*_min_max_points(t[:full], y[:full], k))
        self._pending_t, self._pending_y = t[full:].copy(), y[full:].copy()

    def view(self) -> tuple[FloatArray, FloatArray]:
        """Points to draw: the finished bins, then the bin still filling (time order).

        The arrays are views into the window's storage when no bin is filling, and a
        fresh copy of ``2 × capacity_bins`` points at most otherwise.
        """
        t, y = self._points.view()
        if not len(self._pending_t):
            return t, y
        pt, py = _min_max_points(self._pending_t, self._pending_y, len(self._pending_t))
        return np.concatenate((t, pt)), np.concatenate((y, py))

    @property
    def last_t(self) -> float:
        """Time of the newest sample (NaN when empty)."""
        if len(self._pending_t):
            return float(self._pending_t[-1])
        return self._points.last_t


def _min_max_points(t: FloatArray, y: FloatArray, k: int) -> tuple[FloatArray, FloatArray]:
    """Two points per bin of ``k`` samples (``len(t)`` is a multiple of ``k``)."""
    rows_t = t.reshape(-1, k)
    rows_y = y.reshape(-1, k)
    missing = np.isnan(rows_y)
    low = np.where(missing, np.inf, rows_y).argmin(axis=1)
    high = np.where(missing, -np.inf, rows_y).argmax(axis=1)
    order = np.stack((np.minimum(low, high), np.maximum(low, high)), axis=1)
    out_t = np.take_along_axis(rows_t, order, axis=1).ravel()
    out_y = np.take_along_axis(rows_y, order, axis=1).ravel()
    return out_t, out_y
