"""COP preprocessing before sway metrics: resampling, low-pass filtering, trimming, centring.

Every choice is recorded in a :class:`Processing` record stored with the result, because
path length and velocity depend on the filter (clinical reference §2.2: choose one value
and keep it fixed).

- **Resampling** of non-uniform streams (Wii Balance Board) averages the signal over a
  window around each output instant, treating the input as held between samples (the
  SWARII idea, Audiffren & Contal 2016). Interpolation is not used: it inflates velocity.
- **Low-pass**: zero-lag Butterworth (``scipy.signal.sosfiltfilt``), 10 Hz by default
  [C, Ruhe 2010]; ``order`` is the effective order after the forward-backward pass.
- **Trimming** drops whole seconds at the start and end.
- **Mean-centring** subtracts each axis's mean (Prieto's measures use de-meaned series).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

MIN_SAMPLES = 16
"""Fewest samples for which sway metrics are computed (mathematical floor, not clinical)."""


class SignalError(ValueError):
    """A signal cannot be analysed (non-finite values, too short, no load); says why."""


@dataclass(frozen=True)
class Processing:
    """How a COP series was prepared before its metrics were computed.

    Attributes
    ----------
    fs_hz : float
        Sampling rate the metrics were computed at (Hz).
    source_fs_hz : float or None
        Mean input rate when the input was resampled (Hz), else None.
    resampled : bool
        True when a non-uniform stream was window-averaged onto a uniform grid.
    lowpass_hz : float or None
        Cut-off of the zero-lag Butterworth low-pass (Hz); None = not filtered here.
    filter_order : int or None
        Effective order of the zero-lag filter.
    trim_s : tuple of float
        Seconds dropped at the start and at the end.
    mean_centred : bool
    """

    fs_hz: float
    source_fs_hz: float | None = None
    resampled: bool = False
    lowpass_hz: float | None = None
    filter_order: int | None = None
    trim_s: tuple[float, float] = (0.0, 0.0)
    mean_centred: bool = True

    @property
    def filter_text(self) -> str:
        """E.g. ``"butterworth zero-lag 4th order 10 Hz"`` or ``"none (as recorded)"``."""
        if self.lowpass_hz is None:
            return "none (as recorded)"
        order = self.filter_order or 0
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(order if order < 20 else order % 10, "th")
        return f"butterworth zero-lag {order}{suffix} order {self.lowpass_hz:g} Hz"

    def to_dict(self) -> dict[str, Any]:
        """The ``processing`` JSON of a balance trial result (``docs/data-model.md``)."""
        return {
            "filter": self.filter_text,
            "fs_hz": self.fs_hz,
            "trim_s": [self.trim_s[0], self.trim_s[1]],
            "resampled": self.resampled,
            "source_fs_hz": self.source_fs_hz,
            "lowpass_hz": self.lowpass_hz,
            "filter_order": self.filter_order,
            "mean_centred": self.mean_centred,
        }


UNIFORM_TOLERANCE = 0.05
"""Relative spread of sampling intervals above which a stream counts as non-uniform."""


def is_uniform(t_s: npt.ArrayLike) -> bool:
    """True when every sampling interval is within 5 % of the median interval."""
    t = np.asarray(t_s, dtype=np.float64)
    if t.size < 3:
        return True
    dt = np.diff(t)
    median = float(np.median(dt))
    return median > 0 and bool(np.all(np.abs(dt - median) <= UNIFORM_TOLERANCE * median))


def check_finite(name: str, values: FloatArray) -> None:
    """Raise :class:`SignalError` naming the first non-finite sample of ``values``."""
    bad = ~np.isfinite(values)
    if bad.any():
        index = int(np.argmax(bad))
        raise SignalError(
            f"{name} has a missing or infinite value at sample {index + 1} of {values.size}"
        )


def resample_window_average(
    t_s: npt.ArrayLike, values: npt.ArrayLike, fs_hz: float
) -> tuple[FloatArray, FloatArray]:
    """Resample a non-uniform stream onto a uniform grid by window averaging.

    The input is treated as held constant from each sample to the next (zero-order hold);
    output sample k is the time average of that signal over ``[t_k − T/2, t_k + T/2]``
    with ``T = 1/fs_hz`` and ``t_k = t_0 + k·T`` (clipped to the recording). Fully
    vectorised through the running integral.

    Parameters
    ----------
    t_s : array_like
        Sample times (s), strictly increasing.
    values : array_like
        Samples; shape (n,) or (n, m) for m channels.
    fs_hz : float
        Output rate (Hz).

    Returns
    -------
    t_out : ndarray
        Uniform times (s).
    v_out : ndarray
        Averages, shape (k,) or (k, m).
    """
    t = np.asarray(t_s, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    check_finite("time", t)
    check_finite("signal", v.ravel())
    if t.size < 2 or v.shape[0] != t.size:
        raise SignalError("resampling needs at least two samples with one time each")
    if np.any(np.diff(t) <= 0):
        index = int(np.argmax(np.diff(t) <= 0)) + 2
        raise SignalError(f"sample times must increase (sample {index} does not)")
    if not fs_hz > 0:
        raise SignalError(f"output rate must be positive, got {fs_hz}")
    period = 1.0 / fs_hz
    n_out = math.floor((t[-1] - t[0]) * fs_hz + 1e-9) + 1
    grid = t[0] + np.arange(n_out) * period
    lo = np.clip(grid - period / 2, t[0], t[-1])
    hi = np.clip(grid + period / 2, t[0], t[-1])
    v2 = v.reshape(t.size, -1)
    steps = np.diff(t)[:, None] * v2[:-1]
    integral = np.vstack([np.zeros((1, v2.shape[1])), np.cumsum(steps, axis=0)])

    def _running(at: FloatArray) -> FloatArray:
        idx = np.clip(np.searchsorted(t, at, side="right") - 1, 0, t.size - 1)
        return np.asarray(integral[idx] + (at - t[idx])[:, None] * v2[idx], dtype=np.float64)

    width = (hi - lo)[:, None]
    averaged = np.where(
        width > 0, (_running(hi) - _running(lo)) / np.where(width > 0, width, 1), 0
    )
    # A zero-width window (only possible at a single-sample edge) takes the held value.
    held = v2[np.clip(np.searchsorted(t, grid, side="right") - 1, 0, t.size - 1)]
    out = np.where(width > 0, averaged, held)
    return grid, out.reshape((n_out, *v.shape[1:]))


def lowpass(values: npt.ArrayLike, fs_hz: float, cutoff_hz: float, order: int = 4) -> FloatArray:
    """Zero-lag Butterworth low-pass (forward-backward, ``scipy.signal.sosfiltfilt``).

    Parameters
    ----------
    values : array_like
        Signal, shape (n,) or (n, m) (filtered along axis 0).
    fs_hz, cutoff_hz : float
        Sampling rate and −6 dB cut-off of the combined pass (Hz); cut-off < fs/2.
    order : int
        Effective order (even, ≥ 2): a design of order/2 run forwards and backwards.

    Raises
    ------
    SignalError
        For a cut-off at or above Nyquist, an odd order, or a signal too short to filter.
    """
    x = np.asarray(values, dtype=np.float64)
    if not 0 < cutoff_hz < fs_hz / 2:
        raise SignalError(
            f"low-pass cut-off {cutoff_hz:g} Hz must be between 0 and half the sampling rate "
            f"({fs_hz / 2:g} Hz)"
        )
    if order < 2 or order % 2:
        raise SignalError(f"zero-lag filter order must be even and ≥ 2, got {order}")
    from scipy import signal  # lazy: scipy.signal takes ~0.8 s to import

    sos = signal.butter(order // 2, cutoff_hz, btype="low", fs=fs_hz, output="sos")
    padlen = 3 * (2 * len(sos) + 1)
    if x.shape[0] <= padlen:
        raise SignalError(f"signal too short to filter ({x.shape[0]} samples, need > {padlen})")
    return np.asarray(signal.sosfiltfilt(sos, x, axis=0), dtype=np.float64)


def preprocess(
    ap: npt.ArrayLike,
    ml: npt.ArrayLike,
    *,
    fs_hz: float | None = None,
    t_s: npt.ArrayLike | None = None,
    resample_hz: float | None = None,
    lowpass_hz: float | None = 10.0,
    filter_order: int = 4,
    trim_s: tuple[float, float] = (0.0, 0.0),
    mean_centre: bool = True,
) -> tuple[FloatArray, FloatArray, Processing]:
    """Prepare a COP series for :func:`clinic_app.analysis.sway.sway_metrics`.

    Order: resample (only with ``t_s`` and ``resample_hz``) → low-pass → trim → centre.
    Filtering before trimming keeps the filter's edge effects out of the analysed window.

    Parameters
    ----------
    ap, ml : array_like
        COP antero-posterior and medio-lateral (any length unit; it is kept).
    fs_hz : float, optional
        Rate of a uniformly sampled input (Hz). Required unless resampling.
    t_s : array_like, optional
        Sample times (s) of a non-uniform input; needs ``resample_hz``.
    resample_hz : float, optional
        Uniform output rate (Hz) for a non-uniform input.
    lowpass_hz : float or None
        Zero-lag Butterworth cut-off (Hz); None to keep the signal as recorded.
    filter_order : int
    trim_s : (float, float)
        Seconds to drop at the start and end.
    mean_centre : bool

    Returns
    -------
    ap, ml : ndarray
    processing : Processing
    """
    a = np.asarray(ap, dtype=np.float64)
    m = np.asarray(ml, dtype=np.float64)
    if a.shape != m.shape or a.ndim != 1:
        raise SignalError("AP and ML must be one-dimensional and of equal length")
    check_finite("COP AP", a)
    check_finite("COP ML", m)
    source_fs: float | None = None
    if t_s is not None and resample_hz is not None:
        t = np.asarray(t_s, dtype=np.float64)
        source_fs = (t.size - 1) / (t[-1] - t[0]) if t.size > 1 and t[-1] > t[0] else None
        _, both = resample_window_average(t, np.column_stack([a, m]), resample_hz)
        a, m = both[:, 0].copy(), both[:, 1].copy()
        fs = float(resample_hz)
    elif fs_hz is not None and fs_hz > 0:
        fs = float(fs_hz)
    else:
        raise SignalError("give the sampling rate, or sample times with a resampling rate")
    if lowpass_hz is not None:
        both = lowpass(np.column_stack([a, m]), fs, lowpass_hz, filter_order)
        a, m = both[:, 0], both[:, 1]
    start = round(trim_s[0] * fs)
    stop = a.size - round(trim_s[1] * fs)
    if trim_s[0] < 0 or trim_s[1] < 0 or stop - start < MIN_SAMPLES:
        raise SignalError(
            f"trimming {trim_s[0]:g} s and {trim_s[1]:g} s leaves too little of a "
            f"{a.size / fs:.2f} s recording"
        )
    a, m = a[start:stop], m[start:stop]
    if mean_centre:
        a = a - a.mean()
        m = m - m.mean()
    processing = Processing(
        fs_hz=fs,
        source_fs_hz=source_fs,
        resampled=source_fs is not None,
        lowpass_hz=lowpass_hz,
        filter_order=filter_order if lowpass_hz is not None else None,
        trim_s=(float(trim_s[0]), float(trim_s[1])),
        mean_centred=mean_centre,
    )
    return a, m, processing
