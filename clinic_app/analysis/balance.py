"""Single-leg balance trials: failure detection (touchdown, step, foot shift, stepping off),
time to failure, and the trial result with its sway metrics.

Detection rules (clinical reference §2.1, **editable clinic defaults [U]**, validate on pilot
data; ``balance.*`` in ``norms.toml``):

- ``stepped_off``: total load below the minimum-load gate (20 N) for ``touchdown_min_s``;
- ``touchdown``: the lifted foot touches the floor beside the plate, so the load falls
  below ``touchdown_force_fraction`` (90 %) of body weight for ``touchdown_min_s`` (50 ms);
- ``step``: the COP jumps ≥ ``step_cop_jump_mm`` (50 mm) within ``cop_jump_window_s``
  (50 ms): a step, or the other foot landing on the plate;
- ``foot_shift``: a smaller COP jump ≥ ``foot_shift_cop_jump_mm`` (20 mm) in that window,
  called only when no step follows within two jump windows of its start (a foot landing on
  the plate passes 20 mm on its way to a step and must be reported as the step).

Body weight is the patient's mass × g when known, otherwise the median load over the first
``body_weight_window_s`` of the trial.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.pipeline import sway_from_cop
from clinic_app.analysis.preprocess import SignalError, is_uniform
from clinic_app.analysis.sway import SwayMetrics

G = 9.80665
FAILURE_REASONS = ("touchdown", "step", "foot_shift", "stepped_off")


@dataclass(frozen=True)
class StanceSettings:
    """Failure-detection thresholds (see the module docstring); from ``norms.toml``."""

    touchdown_force_fraction: float = 0.90
    touchdown_min_s: float = 0.05
    step_cop_jump_mm: float = 50.0
    foot_shift_cop_jump_mm: float = 20.0
    cop_jump_window_s: float = 0.05
    body_weight_window_s: float = 1.0
    min_load_n: float = 20.0

    @classmethod
    def from_norms(cls, norms: Norms | None = None) -> StanceSettings:
        """Settings from ``norms.toml`` (with the clinic's overrides, if any)."""
        norms = norms or load_norms()
        return cls(
            touchdown_force_fraction=norms.value("balance.touchdown_force_fraction"),
            touchdown_min_s=norms.value("balance.touchdown_min_s"),
            step_cop_jump_mm=norms.value("balance.step_cop_jump_mm"),
            foot_shift_cop_jump_mm=norms.value("balance.foot_shift_cop_jump_mm"),
            cop_jump_window_s=norms.value("balance.cop_jump_window_s"),
            body_weight_window_s=norms.value("balance.body_weight_window_s"),
            min_load_n=norms.value("balance.min_load_n"),
        )


@dataclass(frozen=True)
class StanceFailure:
    """Why and when a balance trial failed.

    Attributes
    ----------
    reason : str
        ``touchdown``, ``step``, ``foot_shift`` or ``stepped_off``.
    t_s : float
        Time of the first sample of the event (s, the caller's clock).
    text : str
        The reason in words for the clinician.
    """

    reason: str
    t_s: float
    text: str


class StanceMonitor:
    """Incremental failure detector for single-leg stance; feed plate batches to :meth:`update`.

    Parameters
    ----------
    settings : StanceSettings, optional
    body_mass_kg : float, optional
        When known, body weight = mass × g; otherwise it is estimated from the first second.
    """

    def __init__(
        self, settings: StanceSettings | None = None, body_mass_kg: float | None = None
    ) -> None:
        self.settings = settings or StanceSettings.from_norms()
        self.body_weight_n: float | None = body_mass_kg * G if body_mass_kg else None
        self._bw_samples: list[float] = []
        self._bw_t0: float | None = None
        self._low_since: float | None = None
        self._off_since: float | None = None
        self._recent: deque[tuple[float, float, float]] = deque()
        # A foot-shift-sized jump waits one jump window before it is called: the other foot
        # landing on the plate moves the COP past 20 mm on its way to a > 50 mm step.
        self._shift: tuple[float, float, float, float] | None = None  # t0, ml0, ap0, jump
        self.failure: StanceFailure | None = None

    def update(
        self,
        t_s: npt.ArrayLike,
        fz_n: npt.ArrayLike,
        cop_ml_mm: npt.ArrayLike,
        cop_ap_mm: npt.ArrayLike,
    ) -> StanceFailure | None:
        """Add a batch; return the failure once detected (latched), else None.

        Parameters
        ----------
        t_s : array_like
            Sample times (s), increasing.
        fz_n : array_like
            Total vertical load (N).
        cop_ml_mm, cop_ap_mm : array_like
            COP in the plate frame (mm); NaN where undefined.
        """
        if self.failure is not None:
            return self.failure
        t = np.asarray(t_s, dtype=float).ravel()
        fz = np.asarray(fz_n, dtype=float).ravel()
        ml = np.asarray(cop_ml_mm, dtype=float).ravel()
        ap = np.asarray(cop_ap_mm, dtype=float).ravel()
        for i in range(t.size):
            ti, fi = float(t[i]), float(fz[i])
            failure = self._check_force(ti, fi) or self._check_jump(ti, float(ml[i]), float(ap[i]))
            if failure is not None:
                self.failure = failure
                return failure
        return None

    def _check_force(self, t: float, fz: float) -> StanceFailure | None:
        s = self.settings
        if not fz >= s.min_load_n:
            self._off_since = t if self._off_since is None else self._off_since
            self._recent.clear()
            if t - self._off_since >= s.touchdown_min_s:
                return StanceFailure(
                    "stepped_off", self._off_since, "stepped off the plate (no load on it)"
                )
            return None
        self._off_since = None
        if self.body_weight_n is None:
            self._bw_t0 = t if self._bw_t0 is None else self._bw_t0
            self._bw_samples.append(fz)
            if t - self._bw_t0 >= s.body_weight_window_s:
                self.body_weight_n = float(np.median(self._bw_samples))
                self._bw_samples = []
            return None
        limit = s.touchdown_force_fraction * self.body_weight_n
        if fz < limit:
            self._low_since = t if self._low_since is None else self._low_since
            if t - self._low_since >= s.touchdown_min_s:
                return StanceFailure(
                    "touchdown",
                    self._low_since,
                    f"the lifted foot touched down: load fell to "
                    f"{100 * fz / self.body_weight_n:.0f} % of body weight "
                    f"(limit {100 * s.touchdown_force_fraction:.0f} %)",
                )
        else:
            self._low_since = None
        return None

    def _check_jump(self, t: float, ml: float, ap: float) -> StanceFailure | None:
        s = self.settings
        if not (math.isfinite(ml) and math.isfinite(ap)):
            self._recent.clear()
            return self._pending_shift(t, expired=True)
        if self._shift is not None:
            t0, ml0, ap0, _ = self._shift
            jump = math.hypot(ml - ml0, ap - ap0)
            if jump >= s.step_cop_jump_mm:
                return StanceFailure(
                    "step", t0, f"a step: the centre of pressure jumped {jump:.0f} mm"
                )
            if jump > self._shift[3]:
                self._shift = (t0, ml0, ap0, jump)
        recent = self._recent
        recent.append((t, ml, ap))
        while recent and t - recent[0][0] > s.cop_jump_window_s:
            recent.popleft()
        # Largest displacement from any sample within the window to now.
        jump, since = 0.0, t
        for t0, ml0, ap0 in recent:
            d = math.hypot(ml - ml0, ap - ap0)
            if d > jump:
                jump, since = d, t0
        if jump >= s.step_cop_jump_mm:
            return StanceFailure(
                "step", since, f"a step: the centre of pressure jumped {jump:.0f} mm"
            )
        if jump >= s.foot_shift_cop_jump_mm and self._shift is None:
            t0, ml0, ap0 = next(r for r in recent if r[0] == since)
            self._shift = (t0, ml0, ap0, jump)
        return self._pending_shift(t, expired=False)

    def _pending_shift(self, t: float, *, expired: bool) -> StanceFailure | None:
        """Call a pending foot shift once its jump window has passed without a step."""
        if self._shift is None:
            return None
        t0, _, _, jump = self._shift
        if expired or t - t0 > 2.0 * self.settings.cop_jump_window_s:
            return StanceFailure(
                "foot_shift",
                t0,
                f"the stance foot shifted: the centre of pressure jumped {jump:.0f} mm",
            )
        return None


@dataclass(frozen=True)
class BalanceTrialResult:
    """Outcome of one balance trial, ready for the trial row.

    Attributes
    ----------
    status : {"valid", "failed", "incomplete"}
    planned_s, completed_s : float
    time_to_failure_s : float or None
        From the trial start to the failure (s).
    failure : StanceFailure or None
    metrics : SwayMetrics or None
        Sway metrics of the planned window for a valid trial.
    body_mass_kg : float or None
    """

    status: str
    planned_s: float
    completed_s: float
    time_to_failure_s: float | None
    failure: StanceFailure | None
    metrics: SwayMetrics | None
    body_mass_kg: float | None

    def to_result(self) -> dict[str, Any]:
        """The trial ``result`` JSON of ``docs/data-model.md``."""
        processing = self.metrics.processing if self.metrics else None
        return {
            "planned_s": self.planned_s,
            "completed_s": self.completed_s,
            "time_to_failure_s": self.time_to_failure_s,
            "failure_reason": self.failure.reason if self.failure else None,
            "body_mass_kg": self.body_mass_kg,
            "metrics": self.metrics.to_json() if self.metrics else None,
            "processing": processing.to_dict() if processing else None,
        }

    @property
    def invalid_reason(self) -> str | None:
        """Words for the trial's ``invalid_reason`` column."""
        if self.failure is not None:
            return self.failure.text
        if self.status == "incomplete":
            return f"recording stopped after {self.completed_s:.1f} s of {self.planned_s:g} s"
        return None


def analyse_balance_trial(
    t_s: npt.ArrayLike,
    fz_n: npt.ArrayLike,
    cop_ml_mm: npt.ArrayLike,
    cop_ap_mm: npt.ArrayLike,
    *,
    planned_s: float,
    body_mass_kg: float | None = None,
    settings: StanceSettings | None = None,
    norms: Norms | None = None,
) -> BalanceTrialResult:
    """Analyse a recorded single-leg balance trial from its start (t_s[0] = trial start).

    Failures are searched over the planned duration; a valid trial's metrics use the
    planned window, low-pass filtered and trimmed as ``norms.toml`` says (10 Hz zero-lag
    Butterworth [C], order and trimming [U]); non-uniform streams are resampled by window
    averaging at their mean rate.

    Raises
    ------
    SignalError
        For a recording with fewer than two samples or non-increasing times.
    """
    norms = norms or load_norms()
    t = np.asarray(t_s, dtype=float).ravel()
    if t.size < 2 or np.any(np.diff(t) <= 0):
        raise SignalError("a balance trial needs at least two samples with increasing times")
    t = t - t[0]
    fz = np.asarray(fz_n, dtype=float).ravel()
    ml = np.asarray(cop_ml_mm, dtype=float).ravel()
    ap = np.asarray(cop_ap_mm, dtype=float).ravel()
    inside = t < planned_s - 1e-9  # half-open [0, planned): n = planned × fs samples
    monitor = StanceMonitor(settings or StanceSettings.from_norms(norms), body_mass_kg)
    failure = monitor.update(t[inside], fz[inside], ml[inside], ap[inside])
    completed = float(min(t[-1] + float(np.median(np.diff(t))), planned_s))
    if failure is not None:
        return BalanceTrialResult(
            "failed", planned_s, failure.t_s, failure.t_s, failure, None, body_mass_kg
        )
    if t[-1] + 1.5 * float(np.median(np.diff(t))) < planned_s:
        return BalanceTrialResult(
            "incomplete", planned_s, completed, None, None, None, body_mass_kg
        )
    uniform = is_uniform(t[inside])
    fs = (
        round(1.0 / float(np.median(np.diff(t[inside]))), 6)
        if uniform
        else (inside.sum() - 1) / float(t[inside][-1])
    )
    metrics = sway_from_cop(
        ap[inside] / 10.0,
        ml[inside] / 10.0,
        fs_hz=float(fs),
        t_s=t[inside],
        uniform=uniform,
        lowpass_hz=norms.value("balance.lowpass_hz"),
        filter_order=int(norms.value("balance.lowpass_order")),
        trim_s=(norms.value("balance.trim_start_s"), norms.value("balance.trim_end_s")),
    )
    return BalanceTrialResult("valid", planned_s, planned_s, None, None, metrics, body_mass_kg)


def sample_times(samples: npt.NDArray[np.void]) -> npt.NDArray[np.float64]:
    """Sample times (s) of a plate recording: the device clock when every sample has one
    (``t_dev_s``), else the host's monotonic read time (``t_host_s``)."""
    names = samples.dtype.names or ()
    if "t_dev_s" in names:
        device = np.asarray(samples["t_dev_s"], dtype=np.float64)
        if device.size and np.isfinite(device).all() and np.all(np.diff(device) > 0):
            return device
    return np.asarray(samples["t_host_s"], dtype=np.float64)


def analyse_plate_trial(
    samples: npt.NDArray[np.void],
    *,
    planned_s: float,
    body_mass_kg: float | None = None,
    norms: Norms | None = None,
) -> BalanceTrialResult:
    """:func:`analyse_balance_trial` on a ``drivers.base.PLATE_DTYPE`` recording.

    Uses ``fz_n``, ``cop_x_mm`` (medio-lateral) and ``cop_y_mm`` (antero-posterior) and the
    times from :func:`sample_times`; the first sample is the trial start.
    """
    return analyse_balance_trial(
        sample_times(samples),
        samples["fz_n"],
        samples["cop_x_mm"],
        samples["cop_y_mm"],
        planned_s=planned_s,
        body_mass_kg=body_mass_kg,
        norms=norms,
    )
