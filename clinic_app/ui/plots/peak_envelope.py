"""Min/max decimation of a live trace, done as the samples arrive (numpy only, no Qt).

A 30 s window of a 1 kHz plate is 30,000 samples for a plot a few hundred pixels wide.
Drawing every sample costs the paint engine per segment, and letting pyqtgraph downsample
re-reads the whole window every frame. :class:`PeakEnvelope` instead reduces each new
batch once: every bin of ``samples_per_bin`` samples becomes two points, its minimum and
its maximum in time order, so a spike of a single sample still reaches the screen (the
same rule as pyqtgraph's ``"peak"`` downsampling). The bin still filling is drawn too, so
the newest sample is on screen in the next frame: its points are provisional, replaced at
the next batch, and :meth:`PeakEnvelope.view` is always a view, never a copy.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from clinic_app.ui.plots.rolling_series import RollingSeries

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
        self._provisional = 0  # points of the bin still filling, at the end of _points

    def clear(self) -> None:
        """Forget every sample."""
        self._points.clear()
        self._pending_t = np.zeros(0)
        self._pending_y = np.zeros(0)
        self._provisional = 0

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
        self._points.drop_last(self._provisional)
        if len(self._pending_t):
            t = np.concatenate((self._pending_t, t))
            y = np.concatenate((self._pending_y, y))
        full = len(t) // k * k
        self._pending_t, self._pending_y = t[full:].copy(), y[full:].copy()
        partial_t, partial_y = _partial_bin_points(self._pending_t, self._pending_y)
        if full:
            bins_t, bins_y = _min_max_points(t[:full], y[:full], k)
            self._points.extend(np.append(bins_t, partial_t), np.append(bins_y, partial_y))
        else:
            self._points.extend(partial_t, partial_y)
        self._provisional = len(partial_t)

    def view(self) -> tuple[FloatArray, FloatArray]:
        """Points to draw: the finished bins, then the bin still filling (time order).

        Views into the window's storage, valid until the next :meth:`extend`.
        """
        return self._points.view()

    @property
    def last_t(self) -> float:
        """Time of the newest sample (NaN when empty)."""
        if len(self._pending_t):
            return float(self._pending_t[-1])
        return self._points.last_t


def _partial_bin_points(t: FloatArray, y: FloatArray) -> tuple[list[float], list[float]]:
    """The (min, max) points of the bin still filling, in time order (fewer than a bin of
    samples: plain Python is cheaper than a dozen numpy calls here)."""
    values = y.tolist()
    finite = [(v, i) for i, v in enumerate(values) if v == v]  # NaN != NaN
    if not finite:
        return ([float(t[0])] * 2, [math.nan] * 2) if values else ([], [])
    low = min(finite)[1]  # the first of equal values, as numpy's argmin and argmax
    high = max(finite, key=lambda pair: (pair[0], -pair[1]))[1]
    first, second = sorted((low, high))
    times = t.tolist()
    return [times[first], times[second]], [values[first], values[second]]


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
