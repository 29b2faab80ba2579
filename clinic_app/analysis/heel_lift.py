"""Heel-lift detection from the force plate under the front foot during the lunge test.

The heel must stay down throughout the lunge (Bennell 1998; clinical reference §1.1). When it
lifts, the load moves to the forefoot: the centre of pressure moves towards the toes (+y in
the plate frame) and the load on the rear cells (BL + BR) falls. Either sign, lasting at
least ``lunge.heel_lift_min_s``, marks the trial invalid with the reason in words.

Thresholds are **editable clinic defaults [U]** (``lunge.heel_lift_*`` in ``norms.toml``).
The COP baseline is the median AP position over the first ``baseline_s`` of loaded samples
after :meth:`HeelLiftDetector.reset` (call it when the lunge starts, heel down), unless the
protocol sets it with :meth:`HeelLiftDetector.set_baseline`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.cop import DEFAULT_MIN_LOAD_N
from clinic_app.analysis.norms import Norms, load_norms


@dataclass(frozen=True)
class HeelLiftSettings:
    """Heel-lift thresholds (all [U] editable clinic defaults except the load gate [S]).

    Attributes
    ----------
    cop_forward_mm : float
        COP moving this far towards the toes from the baseline means the heel lifted.
    rear_share_min : float
        Rear cells' share of the total load below this means the heel lifted.
    min_s : float
        A sign must persist this long (s).
    baseline_s : float
        Loaded time used for the automatic COP baseline (s).
    min_load_n : float
        Samples with less total load are ignored (foot off the plate, COP undefined).
    """

    cop_forward_mm: float = 20.0
    rear_share_min: float = 0.10
    min_s: float = 0.10
    baseline_s: float = 0.5
    min_load_n: float = DEFAULT_MIN_LOAD_N

    @classmethod
    def from_norms(cls, norms: Norms | None = None) -> HeelLiftSettings:
        """Settings from ``norms.toml`` (with the clinic's overrides, if any)."""
        norms = norms or load_norms()
        return cls(
            cop_forward_mm=norms.value("lunge.heel_lift_cop_forward_mm"),
            rear_share_min=norms.value("lunge.heel_lift_rear_share_min"),
            min_s=norms.value("lunge.heel_lift_min_s"),
            baseline_s=norms.value("lunge.heel_lift_baseline_s"),
            min_load_n=norms.value("balance.min_load_n"),
        )


@dataclass(frozen=True)
class HeelLiftState:
    """Result so far.

    Attributes
    ----------
    lifted : bool
        True once a heel lift has been detected (latched until :meth:`reset`).
    at_s : float or None
        Time of the first sample of the lift (s).
    reason : str or None
        The reason in words, for the trial's ``invalid_reason``.
    baseline_ap_mm : float or None
        The COP AP baseline in use (mm), None until known.
    """

    lifted: bool
    at_s: float | None
    reason: str | None
    baseline_ap_mm: float | None


class HeelLiftDetector:
    """Incremental heel-lift detector; feed plate batches with :meth:`update`."""

    def __init__(self, settings: HeelLiftSettings | None = None) -> None:
        self.settings = settings or HeelLiftSettings.from_norms()
        self.reset()

    def reset(self) -> None:
        """Start a new lunge: forget the baseline and any detection."""
        self._baseline: float | None = None
        self._baseline_samples: list[float] = []
        self._baseline_t0: float | None = None
        self._since: float | None = None
        self._since_why: str = ""
        self._state = HeelLiftState(False, None, None, None)

    def set_baseline(self, cop_ap_mm: float) -> None:
        """Use this COP AP position (mm, heel down) as the baseline."""
        self._baseline = float(cop_ap_mm)

    def update(
        self,
        t_s: npt.ArrayLike,
        fz_n: npt.ArrayLike,
        cop_ap_mm: npt.ArrayLike,
        rear_load_n: npt.ArrayLike | None = None,
    ) -> HeelLiftState:
        """Add a batch of plate samples.

        Parameters
        ----------
        t_s : array_like
            Sample times (s).
        fz_n : array_like
            Total vertical load (N).
        cop_ap_mm : array_like
            COP antero-posterior (mm, +towards the toes); NaN when undefined.
        rear_load_n : array_like, optional
            Load on the rear (heel) cells, BL + BR (N); omit for plates without cells.
        """
        if self._state.lifted:
            return self._state
        s = self.settings
        t = np.asarray(t_s, dtype=float).ravel()
        fz = np.asarray(fz_n, dtype=float).ravel()
        ap = np.asarray(cop_ap_mm, dtype=float).ravel()
        rear = None if rear_load_n is None else np.asarray(rear_load_n, dtype=float).ravel()
        for i in range(t.size):
            if not (fz[i] >= s.min_load_n and math.isfinite(ap[i])):
                continue
            if self._baseline is None:
                self._collect_baseline(float(t[i]), float(ap[i]))
            why = ""
            if self._baseline is not None and ap[i] - self._baseline > s.cop_forward_mm:
                why = (
                    f"heel lifted: the centre of pressure moved "
                    f"{ap[i] - self._baseline:.0f} mm towards the toes "
                    f"(limit {s.cop_forward_mm:g} mm)"
                )
            elif (
                rear is not None and math.isfinite(rear[i]) and rear[i] / fz[i] < s.rear_share_min
            ):
                why = (
                    f"heel lifted: the heel carried {100 * rear[i] / fz[i]:.0f} % of the load "
                    f"(limit {100 * s.rear_share_min:.0f} %)"
                )
            if not why:
                self._since = None
                continue
            if self._since is None:
                self._since, self._since_why = float(t[i]), why
            if t[i] - self._since >= s.min_s:
                self._state = HeelLiftState(True, self._since, self._since_why, self._baseline)
                return self._state
        self._state = HeelLiftState(False, None, None, self._baseline)
        return self._state

    def _collect_baseline(self, t: float, ap: float) -> None:
        if self._baseline_t0 is None:
            self._baseline_t0 = t
        self._baseline_samples.append(ap)
        if t - self._baseline_t0 >= self.settings.baseline_s:
            self._baseline = float(np.median(self._baseline_samples))
            self._baseline_samples = []

    @property
    def state(self) -> HeelLiftState:
        """The state after the last batch."""
        return self._state


def detect_heel_lift(
    t_s: npt.ArrayLike,
    fz_n: npt.ArrayLike,
    cop_ap_mm: npt.ArrayLike,
    rear_load_n: npt.ArrayLike | None = None,
    settings: HeelLiftSettings | None = None,
) -> HeelLiftState:
    """Offline twin of :class:`HeelLiftDetector` over a whole recording."""
    return HeelLiftDetector(settings).update(t_s, fz_n, cop_ap_mm, rear_load_n)
