"""Physiological sway replayed from real force-plate recordings.

Two 60 s quiet-standing trials of Santos & Duarte (2016, PeerJ 4:e2648, CC BY 4.0; see
``drivers/data/ATTRIBUTION.md``) are packaged as 100 Hz COP series in centimetres. The
simulator replays them, mean-removed and **scaled to single-leg amplitude**, under the
stance foot.

Simulation assumptions (not clinical facts)
-------------------------------------------
* The recordings are bipedal; single-leg sway is larger. Each condition replays one recording
  enlarged by a fixed factor (:data:`CONDITION_SWAY`), 2–3.5×. Through the analysis pipeline
  (10 Hz low-pass) 10 s trials give a mean velocity of ≈ 1.6 cm/s eyes open firm (×2.5 of
  the eyes-open firm recording) and ≈ 4.5–6 cm/s eyes closed firm (×3.0 of the eyes-closed
  foam recording). That is below the 8.4–9.1 cm/s reported for single-leg eyes-closed stance
  (clinical.md §2.6, JSSM 2018 [C]), but a larger factor would push the RMS distance (≈ 2 cm
  at ×3) beyond plausible: bipedal sway has less high-frequency content than single-leg sway,
  so no single factor matches both. The factors make demos and tests look physiological and
  must never be read as norms.
* Axes: the recording's ``COPx`` is taken as antero-posterior and ``COPy`` as medio-lateral
  (its larger SD is along x in both trials, as expected for quiet stance). In the plate frame
  of :mod:`drivers.base`, AP is +y (towards the toes) and ML is +x (patient's right).
* Upsampling from 100 Hz to the plate rate uses a cubic spline through the recorded samples:
  the source was low-pass filtered at 10 Hz, so it is smooth at 100 Hz and the spline adds no
  corners (linear interpolation would put kinks at every 10 ms and inflate velocity at 1 kHz),
  and it passes exactly through every recorded sample.
* Trials longer than the recording play it forward, then backward, and so on, so the COP
  stays continuous.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from typing import Final

import numpy as np
import numpy.typing as npt
from scipy.interpolate import CubicSpline

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SwaySource:
    """Which recording a balance condition replays, and how much it is enlarged.

    Attributes
    ----------
    recording : str
        ``"bds00001"`` (eyes open, firm) or ``"bds00010"`` (eyes closed, foam).
    scale : float
        Amplitude factor from bipedal to single-leg sway (simulation assumption).
    """

    recording: str
    scale: float


CONDITION_SWAY: Final[dict[str, SwaySource]] = {
    "eo_firm": SwaySource("bds00001", 2.5),
    "eo_foam": SwaySource("bds00010", 2.0),
    "ec_firm": SwaySource("bds00010", 3.0),
    "ec_foam": SwaySource("bds00010", 3.5),
}
"""Balance condition (data-model names) → sway source. Simulation assumption, see above."""

BIPEDAL_SWAY: Final[SwaySource] = SwaySource("bds00001", 1.0)
"""Sway of the loaded foot while both feet are down (lunge stance)."""


@dataclass(frozen=True)
class Recording:
    """A packaged COP recording (float64 copies, mean not removed).

    Attributes
    ----------
    name : str
    fs_hz : float
        Sampling rate (100 Hz).
    ap_mm, ml_mm : ndarray
        COP, antero-posterior (recording ``COPx``) and medio-lateral (``COPy``), mm.
    fz_n : ndarray
        Vertical force of the bipedal recording, N.
    """

    name: str
    fs_hz: float
    ap_mm: FloatArray
    ml_mm: FloatArray
    fz_n: FloatArray

    @property
    def duration_s(self) -> float:
        """Length in seconds (n / fs)."""
        return len(self.ap_mm) / self.fs_hz


@functools.cache
def load_recording(name: str) -> Recording:
    """Load a packaged recording by name (``"bds00001"`` or ``"bds00010"``).

    Raises
    ------
    FileNotFoundError
        When the data file is missing from the installation.
    """
    ref = resources.files("drivers").joinpath("data", f"{name}_cop.npz")
    with resources.as_file(ref) as path, np.load(path) as data:
        return Recording(
            name=name,
            fs_hz=float(data["fs_hz"]),
            ap_mm=data["cop_x_cm"].astype(np.float64) * 10.0,
            ml_mm=data["cop_y_cm"].astype(np.float64) * 10.0,
            fz_n=data["fz_n"].astype(np.float64),
        )


@functools.cache
def _splines(name: str) -> tuple[CubicSpline, CubicSpline, CubicSpline]:
    rec = load_recording(name)
    t = np.arange(len(rec.ap_mm)) / rec.fs_hz
    return (
        CubicSpline(t, rec.ap_mm - rec.ap_mm.mean()),
        CubicSpline(t, rec.ml_mm - rec.ml_mm.mean()),
        CubicSpline(t, rec.fz_n / rec.fz_n.mean()),
    )


def mirror_time(t_s: FloatArray, duration_s: float) -> FloatArray:
    """Fold any time onto ``[0, duration_s]``, playing forward then backward.

    Parameters
    ----------
    t_s : ndarray
        Playback time in seconds (>= 0).
    duration_s : float
        Length of the span that is replayed, seconds.
    """
    period = 2.0 * duration_s
    phase = np.mod(t_s, period)
    out: FloatArray = np.where(phase <= duration_s, phase, period - phase)
    return out


@dataclass(frozen=True)
class SwayReplay:
    """Scaled, mean-removed sway of one recording from a chosen start offset.

    Attributes
    ----------
    source : SwaySource
    offset_s : float
        Recording time replayed at playback time 0, seconds.
    extra_scale : float
        Patient-specific factor on top of the condition's scale (e.g. a weaker side).
    """

    source: SwaySource
    offset_s: float = 0.0
    extra_scale: float = 1.0

    @property
    def scale(self) -> float:
        """Total amplitude factor applied to the recording."""
        return self.source.scale * self.extra_scale

    def recording_time(self, t_play_s: FloatArray) -> FloatArray:
        """Recording time (s) replayed at playback times ``t_play_s``."""
        rec = load_recording(self.source.recording)
        last = (len(rec.ap_mm) - 1) / rec.fs_hz
        return mirror_time(np.asarray(t_play_s, dtype=np.float64) + self.offset_s, last)

    def evaluate(self, t_play_s: FloatArray) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Sway at playback times (seconds since the replay started).

        Returns
        -------
        ap_mm, ml_mm : ndarray
            Mean-removed, scaled COP displacement, mm (add the foot position).
        fz_rel : ndarray
            Vertical force of the recording relative to its mean (≈ 1.0), unscaled.
        """
        ap, ml, fz = _splines(self.source.recording)
        tr = self.recording_time(t_play_s)
        s = self.scale
        return s * ap(tr), s * ml(tr), fz(tr)
