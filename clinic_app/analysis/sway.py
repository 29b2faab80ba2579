"""Sway metrics of a centre-of-pressure series: the Prieto et al. (1996) set.

Conventions (clinical reference §2.5; balance data set README):

- Input: COP antero-posterior (AP) and medio-lateral (ML) in **cm**, uniformly sampled at
  ``fs_hz``; N samples; T = N / fs (not (N − 1) / fs). Distances use the de-meaned series.
- Mean velocity = path length / T. Path length = Σ √(ΔAP² + ΔML²).
- 95 % **prediction** ellipse with the F distribution:
  area = π · q · √(λ₁ λ₂), semi-axes √(q λᵢ), λ = eigenvalues of the sample covariance
  (ddof = 1), q = F⁻¹(0.95; 2, N−2) · (N−1) · 2 · (N+1) / (N · (N−2)).
  Orientation: angle of the major axis from +ML towards +AP, degrees in (−90, 90].
- Mean power frequency: Welch PSD per axis (Hann, nperseg = nfft = N // 2,
  noverlap = N // 4, constant detrend), per axis ∫f·P df / ∫P df (trapezoid rule), the
  two axes combined weighted by each axis's summed PSD.
- Other spectral measures (total power, median and 95 % power frequency, centroid
  frequency, frequency dispersion) use the planar PSD P_AP + P_ML of the same Welch run.

These reproduce the published metrics of the public balance data set (Santos & Duarte
2016) to a relative 1e-6 on the unprocessed 60 s recordings.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.preprocess import MIN_SAMPLES, Processing, SignalError, check_finite

FloatArray = npt.NDArray[np.float64]

JSON_KEYS = (
    "n",
    "fs_hz",
    "duration_s",
    "path_length_cm",
    "mean_velocity_cm_s",
    "mean_velocity_ap_cm_s",
    "mean_velocity_ml_cm_s",
    "mean_distance_cm",
    "rms_distance_cm",
    "range_ap_cm",
    "range_ml_cm",
    "ellipse_area_95_cm2",
    "sway_area_cm2_s",
    "mean_frequency_hz",
    "mean_power_frequency_hz",
)
"""The keys of ``clinic-app analyze --json`` fixed by the design (more follow them)."""


@dataclass(frozen=True)
class SwayMetrics:
    """Prieto sway metrics of one COP series (lengths in cm, times in s, rates in Hz).

    ``n``, ``fs_hz`` and ``duration_s`` (= n / fs) describe the analysed window; ranges
    are max − min; the ``*_ap``/``*_ml`` fields are per axis; ``range_cm`` is the largest
    distance between any two COP points (Prieto's resultant range). See the module
    docstring for the ellipse and spectral conventions. ``processing`` records how the
    series was prepared and ``window_s`` which part of the recording was analysed.
    """

    n: int
    fs_hz: float
    duration_s: float
    path_length_cm: float
    path_length_ap_cm: float
    path_length_ml_cm: float
    mean_velocity_cm_s: float
    mean_velocity_ap_cm_s: float
    mean_velocity_ml_cm_s: float
    mean_distance_cm: float
    mean_distance_ap_cm: float
    mean_distance_ml_cm: float
    rms_distance_cm: float
    rms_ap_cm: float
    rms_ml_cm: float
    range_ap_cm: float
    range_ml_cm: float
    range_cm: float
    ellipse_area_95_cm2: float
    ellipse_semi_major_cm: float
    ellipse_semi_minor_cm: float
    ellipse_angle_deg: float
    confidence_circle_area_95_cm2: float
    sway_area_cm2_s: float
    mean_frequency_hz: float
    mean_frequency_ap_hz: float
    mean_frequency_ml_hz: float
    total_power_cm2: float
    median_power_frequency_hz: float
    power_frequency_95_hz: float
    centroid_frequency_hz: float
    frequency_dispersion: float
    mean_power_frequency_hz: float
    mean_power_frequency_ap_hz: float
    mean_power_frequency_ml_hz: float
    processing: Processing | None = field(default=None, compare=False)
    window_s: tuple[float, float] | None = field(default=None, compare=False)

    def to_json(self) -> dict[str, float | int]:
        """The metrics as the ``analyze --json`` object: design keys first, then the rest."""
        data = asdict(self)
        data.pop("processing")
        data.pop("window_s")
        ordered = {key: data.pop(key) for key in JSON_KEYS}
        ordered.update(data)
        return ordered

    def result_metrics(self) -> dict[str, Any]:
        """Alias of :meth:`to_json` for a balance trial's ``result["metrics"]``."""
        return self.to_json()


def _norm(x: FloatArray, y: FloatArray, out: FloatArray) -> FloatArray:
    """√(x² + y²) into ``out`` (several times faster than ``np.hypot``; no overflow risk at
    COP magnitudes)."""
    np.square(x, out=out)
    out += np.square(y)
    return np.sqrt(out, out=out)


def prediction_ellipse_q(n: int, probability: float = 0.95) -> float:
    """Scale factor q of the F-based prediction ellipse for ``n`` samples (2-D).

    q = F⁻¹(p; 2, n−2) · (n−1) · 2 · (n+1) / (n · (n−2)).
    """
    if n < 3:
        raise SignalError("a prediction ellipse needs at least 3 samples")
    from scipy.special import fdtri  # lazy: scipy is slow to import, keep it off start-up

    f_quantile = float(fdtri(2, n - 2, probability))
    return f_quantile * (n - 1) * 2 * (n + 1) / (n * (n - 2))


def _outside_octagon(
    ml: FloatArray, ap: FloatArray, buf: FloatArray, buf2: FloatArray
) -> npt.NDArray[np.bool_]:
    """Mask of the points not strictly inside the octagon of extreme points.

    Points strictly inside a polygon whose corners are data points cannot be vertices of
    the convex hull (Akl–Toussaint), so the hull is built from far fewer points.
    """
    corners: list[int] = []
    for cos_a, sin_a in ((1, 0), (1, 1), (0, 1), (-1, 1), (-1, 0), (-1, -1), (0, -1), (1, -1)):
        np.multiply(ml, cos_a, out=buf)
        buf += np.multiply(ap, sin_a, out=buf2)
        index = int(np.argmax(buf))
        if not corners or corners[-1] != index:
            corners.append(index)
    if len(corners) > 1 and corners[0] == corners[-1]:
        corners.pop()
    if len(corners) < 3:  # all points on a line: keep them all
        return np.ones(ml.size, dtype=bool)
    inside = np.ones(ml.size, dtype=bool)
    for j in range(len(corners)):
        x0, y0 = ml[corners[j - 1]], ap[corners[j - 1]]
        x1, y1 = ml[corners[j]], ap[corners[j]]
        # Left of the counter-clockwise edge (x0, y0) → (x1, y1): strictly inside.
        np.multiply(ap, x1 - x0, out=buf)
        buf -= np.multiply(ml, y1 - y0, out=buf2)
        inside &= buf > (x1 - x0) * y0 - (y1 - y0) * x0
    return ~inside


def _resultant_range(ml: FloatArray, ap: FloatArray, buf: FloatArray, buf2: FloatArray) -> float:
    from scipy.spatial import ConvexHull, QhullError
    from scipy.spatial.distance import pdist

    keep = _outside_octagon(ml, ap, buf, buf2)
    points = np.column_stack([ml[keep], ap[keep]])
    if points.shape[0] < 3:
        return float(pdist(points).max()) if points.shape[0] == 2 else 0.0
    try:
        hull = points[ConvexHull(points).vertices]
    except QhullError:  # collinear or repeated points: the extremes lie on one line
        hull = points[ConvexHull(points, qhull_options="QJ").vertices]
    return float(pdist(hull).max())


def welch_psd(
    x: FloatArray, fs: float, work: FloatArray | None = None
) -> tuple[FloatArray, FloatArray]:
    """One-sided Welch PSD with the balance data set's settings, for one or more rows.

    Hann window, nperseg = nfft = N // 2, noverlap = N // 4, constant detrend per segment,
    density scaling: the same numbers as ``scipy.signal.welch`` with these settings (a test
    checks it), computed directly with one batched real FFT because the generic routine's
    set-up costs more than the transform at 60 s × 1 kHz.

    Parameters
    ----------
    x : ndarray
        Shape (n,) or (k, n): the series along the last axis (units u).
    fs : float
        Sampling rate (Hz).
    work : ndarray, optional
        Scratch memory of at least ``1.5 · x.size`` floats (overwritten), so that the
        segments need no fresh allocation.

    Returns
    -------
    f : ndarray
        Frequencies (Hz).
    p : ndarray
        PSD (u²/Hz), shape (n // 4 + 1,) or (k, ...).
    """
    from scipy.signal import get_window

    n = x.shape[-1]
    nperseg = n // 2
    step = nperseg - n // 4
    window = get_window("hann", nperseg)
    # Segments start at 0, step, 2·step, … (a strided view: no copy).
    segments = np.lib.stride_tricks.sliding_window_view(x, nperseg, axis=-1)[
        ..., 0 : n - nperseg + 1 : step, :
    ]
    size = segments.size
    if work is not None and work.size >= size:
        frames = work.reshape(-1)[:size].reshape(segments.shape)
    else:
        frames = np.empty(segments.shape)
    np.subtract(segments, segments.mean(axis=-1, keepdims=True), out=frames)
    frames *= window
    spectrum = np.fft.rfft(frames, axis=-1)
    magnitude = np.abs(spectrum, out=frames.reshape(-1)[: spectrum.size].reshape(spectrum.shape))
    magnitude *= magnitude
    power = magnitude.mean(axis=-2) / (fs * float(window @ window))
    last = -1 if nperseg % 2 == 0 else None
    power[..., 1:last] *= 2.0
    freqs = np.asarray(np.fft.rfftfreq(nperseg, 1.0 / fs), dtype=np.float64)
    return freqs, np.asarray(power, dtype=np.float64)


def _mean_power_frequency(f: FloatArray, p: FloatArray) -> float:
    power = float(np.trapezoid(p, f))
    return float(np.trapezoid(f * p, f)) / power if power > 0 else 0.0


def _power_frequency(f: FloatArray, p: FloatArray, fraction: float) -> float:
    from scipy.integrate import cumulative_trapezoid

    cumulative = cumulative_trapezoid(p, f, initial=0.0)
    total = cumulative[-1]
    if total <= 0:
        return 0.0
    return float(np.interp(fraction * total, cumulative, f))


def sway_metrics(
    ap_cm: npt.ArrayLike,
    ml_cm: npt.ArrayLike,
    fs_hz: float,
    *,
    processing: Processing | None = None,
    window_s: tuple[float, float] | None = None,
    probability: float = 0.95,
) -> SwayMetrics:
    """Compute the Prieto sway metrics of one COP series.

    Parameters
    ----------
    ap_cm, ml_cm : array_like
        COP antero-posterior and medio-lateral (cm), uniformly sampled. They need not be
        centred (every metric is computed on the de-meaned series or is shift-invariant).
    fs_hz : float
        Sampling rate (Hz).
    processing : Processing, optional
        How the series was prepared (stored with the result).
    window_s : (float, float), optional
        Start and end (s) of the analysed part of the recording (stored with the result).
    probability : float
        Coverage of the prediction ellipse and confidence circle (0.95).

    Returns
    -------
    SwayMetrics

    Raises
    ------
    SignalError
        For non-finite values, fewer than 16 samples, mismatched lengths, a non-positive
        rate, or a COP that does not move at all (a frozen or disconnected plate).
    """
    ap = np.asarray(ap_cm, dtype=np.float64)
    ml = np.asarray(ml_cm, dtype=np.float64)
    if ap.ndim != 1 or ap.shape != ml.shape:
        raise SignalError("AP and ML must be one-dimensional and of equal length")
    if not (math.isfinite(fs_hz) and fs_hz > 0):
        raise SignalError(f"sampling rate must be a positive number, got {fs_hz}")
    if ap.size < MIN_SAMPLES:
        raise SignalError(f"too short for sway metrics: {ap.size} samples (need {MIN_SAMPLES})")
    check_finite("COP AP", ap)
    check_finite("COP ML", ml)
    n = ap.size
    duration = n / fs_hz
    # Written to keep large temporaries few: fresh arrays cost page faults that dominate
    # the run time at 60 s × 1 kHz.
    # Fresh memory costs page faults that dominate the run time at 60 s × 1 kHz, so two
    # blocks serve everything: the centred rows (also the Welch input) and a scratch block
    # reused for differences, distances, the hull filter and the Welch segments.
    centred = np.empty((2, n))
    ap = np.subtract(ap, ap.mean(), out=centred[0])
    ml = np.subtract(ml, ml.mean(), out=centred[1])
    range_ap, range_ml = float(np.ptp(ap)), float(np.ptp(ml))
    if not (range_ap > 0 or range_ml > 0):
        raise SignalError("the COP did not move at all: check that the plate is streaming")
    scratch = np.empty((3, n))
    buf, d_ap, d_ml = scratch[0, : n - 1], scratch[1, : n - 1], scratch[2, : n - 1]
    np.subtract(ap[1:], ap[:-1], out=d_ap)
    np.subtract(ml[1:], ml[:-1], out=d_ml)
    path = float(_norm(d_ap, d_ml, buf).sum())
    path_ap = float(np.abs(d_ap, out=buf).sum())
    path_ml = float(np.abs(d_ml, out=buf).sum())
    np.multiply(ap[1:], ml[:-1], out=d_ap)
    np.multiply(ap[:-1], ml[1:], out=d_ml)
    sway_area = float(np.abs(np.subtract(d_ap, d_ml, out=d_ap), out=d_ap).sum()) / (2 * duration)
    row = scratch[0]
    mdist = float(_norm(ap, ml, row).mean())
    mdist_ap = float(np.abs(ap, out=row).mean())
    mdist_ml = float(np.abs(ml, out=row).mean())
    sum_aa, sum_mm, sum_am = float(ap @ ap), float(ml @ ml), float(ap @ ml)
    rdist = math.sqrt((sum_aa + sum_mm) / n)
    rms_ap, rms_ml = math.sqrt(sum_aa / n), math.sqrt(sum_mm / n)
    s_rd = math.sqrt(max(rdist * rdist - mdist * mdist, 0.0))
    cov = np.array([[sum_mm, sum_am], [sum_am, sum_aa]]) / (n - 1)  # (ML, AP), ddof = 1
    eigenvalues, eigenvectors = np.linalg.eigh(cov)
    eigenvalues = np.clip(eigenvalues, 0.0, None)
    q = prediction_ellipse_q(n, probability)
    major = eigenvectors[:, 1]
    angle = math.degrees(math.atan2(major[1], major[0]))
    angle = angle - 180.0 if angle > 90.0 else angle + 180.0 if angle <= -90.0 else angle
    from scipy.special import ndtri

    z = float(ndtri(probability))  # 1.645 for 95 % (Prieto's AREA-CC)
    resultant_range = _resultant_range(ml, ap, scratch[0], scratch[1])

    velocity = path / duration
    vel_ap, vel_ml = path_ap / duration, path_ml / duration

    f, psd = welch_psd(centred, fs_hz, work=scratch)
    p_ap, p_ml = psd[0], psd[1]
    mpf_ap, mpf_ml = _mean_power_frequency(f, p_ap), _mean_power_frequency(f, p_ml)
    w_ap, w_ml = float(p_ap.sum()), float(p_ml.sum())
    mpf = (mpf_ap * w_ap + mpf_ml * w_ml) / (w_ap + w_ml)
    planar = p_ap + p_ml
    mu0 = float(np.trapezoid(planar, f))
    mu1 = float(np.trapezoid(f * planar, f))
    mu2 = float(np.trapezoid(f * f * planar, f))
    centroid = math.sqrt(mu2 / mu0) if mu0 > 0 else 0.0
    dispersion = math.sqrt(max(1.0 - mu1 * mu1 / (mu0 * mu2), 0.0)) if mu0 * mu2 > 0 else 0.0

    return SwayMetrics(
        n=n,
        fs_hz=float(fs_hz),
        duration_s=duration,
        path_length_cm=path,
        path_length_ap_cm=path_ap,
        path_length_ml_cm=path_ml,
        mean_velocity_cm_s=velocity,
        mean_velocity_ap_cm_s=vel_ap,
        mean_velocity_ml_cm_s=vel_ml,
        mean_distance_cm=mdist,
        mean_distance_ap_cm=mdist_ap,
        mean_distance_ml_cm=mdist_ml,
        rms_distance_cm=rdist,
        rms_ap_cm=rms_ap,
        rms_ml_cm=rms_ml,
        range_ap_cm=range_ap,
        range_ml_cm=range_ml,
        range_cm=resultant_range,
        ellipse_area_95_cm2=math.pi * q * math.sqrt(float(eigenvalues[0] * eigenvalues[1])),
        ellipse_semi_major_cm=math.sqrt(q * float(eigenvalues[1])),
        ellipse_semi_minor_cm=math.sqrt(q * float(eigenvalues[0])),
        ellipse_angle_deg=angle,
        confidence_circle_area_95_cm2=math.pi * (mdist + z * s_rd) ** 2,
        sway_area_cm2_s=sway_area,
        mean_frequency_hz=velocity / (2.0 * math.pi * mdist),
        mean_frequency_ap_hz=vel_ap / (4.0 * math.sqrt(2.0) * mdist_ap) if mdist_ap > 0 else 0.0,
        mean_frequency_ml_hz=vel_ml / (4.0 * math.sqrt(2.0) * mdist_ml) if mdist_ml > 0 else 0.0,
        total_power_cm2=mu0,
        median_power_frequency_hz=_power_frequency(f, planar, 0.5),
        power_frequency_95_hz=_power_frequency(f, planar, 0.95),
        centroid_frequency_hz=centroid,
        frequency_dispersion=dispersion,
        mean_power_frequency_hz=mpf,
        mean_power_frequency_ap_hz=mpf_ap,
        mean_power_frequency_ml_hz=mpf_ml,
        processing=processing,
        window_s=window_s if window_s is not None else (0.0, duration),
    )
