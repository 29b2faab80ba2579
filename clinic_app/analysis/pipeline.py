"""From a COP recording to sway metrics in one call, with every processing choice recorded."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.preprocess import preprocess
from clinic_app.analysis.sway import SwayMetrics, sway_metrics


def sway_from_cop(
    ap_cm: npt.ArrayLike,
    ml_cm: npt.ArrayLike,
    *,
    fs_hz: float,
    t_s: npt.ArrayLike | None = None,
    uniform: bool = True,
    lowpass_hz: float | None = None,
    filter_order: int = 4,
    trim_s: tuple[float, float] = (0.0, 0.0),
) -> SwayMetrics:
    """Preprocess a COP recording and compute its sway metrics.

    Parameters
    ----------
    ap_cm, ml_cm : array_like
        COP antero-posterior and medio-lateral (cm).
    fs_hz : float
        Sampling rate (Hz) of a uniform recording, or the rate to resample a non-uniform
        one to (window averaging, never interpolation).
    t_s : array_like, optional
        Sample times (s); needed when ``uniform`` is False.
    uniform : bool
        False to resample from ``t_s``.
    lowpass_hz : float or None
        Zero-lag Butterworth cut-off (Hz); None keeps the signal as recorded (the default
        for files, which are usually filtered at source; live trials pass the clinic's
        ``balance.lowpass_hz``, 10 Hz).
    filter_order : int
        Effective order of the zero-lag filter.
    trim_s : (float, float)
        Seconds dropped at the start and end.

    Returns
    -------
    SwayMetrics
        With ``processing`` and ``window_s`` (seconds from the start of the recording).
    """
    resample = not uniform and t_s is not None
    ap, ml, processing = preprocess(
        ap_cm,
        ml_cm,
        fs_hz=fs_hz,
        t_s=t_s if resample else None,
        resample_hz=fs_hz if resample else None,
        lowpass_hz=lowpass_hz,
        filter_order=filter_order,
        trim_s=trim_s,
    )
    start = trim_s[0]
    window = (start, start + ap.size / processing.fs_hz)
    return sway_metrics(
        np.asarray(ap), np.asarray(ml), processing.fs_hz, processing=processing, window_s=window
    )
