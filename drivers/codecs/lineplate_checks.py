"""Plausibility of line-protocol plate samples: what a checksum cannot catch.

An 8-bit XOR lets one corrupted line in 256 through, and a confused firmware can send
well-formed nonsense: cells of ±16,777,215 counts became Fz = 329,056 N with the COP pinned
to a corner, and one garbage ``seq`` turned a 10 s stream into 11 million "lost samples".
Like the binary codecs (:mod:`.plausibility`), every ``$FP`` line therefore passes

* a *range* check (:meth:`PlateLimits.in_range`): each cell within what the plate can
  measure - the HX711's 24-bit range, and, when the device knows its units and scales,
  −25 % … +125 % of the plate's rated capacity in newtons (the whole rated load may stand
  on one corner; a load cell's safe overload is typically 120-150 %), and the total within
  −10 % … +125 % of it (a plate cannot be pulled upwards);
* a *continuity* check (:meth:`PlateLimits.step_ok`, run by a
  :class:`~.plausibility.ContinuityTrack`): from the last accepted line, ``seq`` moved
  forwards by 1 … ``max_gap`` (5 s of samples), the board clock ``t_us`` moved by the time
  those samples take (±25 % + 2 ms), and no cell changed faster than
  :data:`MAX_FORCE_RATE_N_PER_S` allows. A garbage line with a random ``seq`` fails both
  clock checks; a real gap (the board missed samples) passes them, because ``t_us`` moved
  on with ``seq``.

The track accepts the first in-range line (:data:`LOCK_COUNT` = 1: the range check already
rejects what garbage produces, and withholding lines would delay every stream); after
:data:`RELOCK_AFTER` consecutive rejections (the board restarted, the host resumed after a
long pause, or - very rarely - the track had started on an in-range garbage line) it
re-acquires, and the jump is counted as a *resync*, not as lost samples.

The limits are engineering bounds, not clinical thresholds: they only have to be far from
any real reading and far from what garbage produces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from drivers.codecs.lineplate_wire import COUNT_LIMIT, SEQ_MODULUS

FloatRows = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

MAX_FORCE_RATE_N_PER_S: Final = 250_000.0
"""Fastest plausible change of one cell's force: landing from a hop loads at up to
≈ 150 body weights per second (≈ 220 kN/s at 150 kg); faster is a corrupted line."""
STEP_FLOOR_FRACTION: Final = 0.02
"""Noise allowance per step, as a fraction of the rated capacity."""
DEFAULT_CAPACITY_KG: Final = 250.0
"""Rated capacity assumed when neither the plate nor its calibration states one: above any
patient on a balance plate, and the 4 × 50 kg cells of the reference DIY plate (200 kg)."""
MAX_GAP_S: Final = 5.0
"""Largest ``seq`` jump (in seconds of samples) still counted as lost samples."""
LOCK_COUNT: Final = 1
RELOCK_AFTER: Final = 5
CLOCK_TOLERANCE: Final = 0.25
CLOCK_SLACK_US: Final = 2000.0


@dataclass(frozen=True)
class PlateLimits:
    """What one plate can physically report (see the module docstring).

    Attributes
    ----------
    rate_hz : float or None
        Output rate (sets the expected ``t_us`` step and ``max_gap``); None skips the clock
        check.
    scales : ndarray, shape (4,), or None
        Newtons per device unit of each cell (TR, BR, TL, BL); None when the unit is raw,
        uncalibrated counts (only the 24-bit range and the clocks are checked then).
    capacity_n : float
        Rated capacity of the plate, N.
    """

    rate_hz: float | None = None
    scales: npt.NDArray[np.float64] | None = None
    capacity_n: float = DEFAULT_CAPACITY_KG * 9.80665

    @property
    def max_gap(self) -> int:
        """Largest forward ``seq`` step counted as lost samples."""
        return max(100, int(MAX_GAP_S * (self.rate_hz or 1000.0)))

    @property
    def period_us(self) -> float | None:
        """Expected ``t_us`` step per sample."""
        return 1e6 / self.rate_hz if self.rate_hz else None

    def in_range(self, cells: FloatRows) -> BoolArray | None:
        """Range check of ``(n, 4)`` cell values in device units (None: all pass)."""
        magnitude_ok = float(np.abs(cells).max()) <= COUNT_LIMIT if len(cells) else True
        ok: BoolArray | None = None
        if not magnitude_ok:
            ok = np.asarray(np.all(np.abs(cells) <= COUNT_LIMIT, axis=1), dtype=np.bool_)
        if self.scales is None or not len(cells):
            return ok
        forces = cells * self.scales
        cap = self.capacity_n
        total = forces.sum(axis=1)
        fine = (
            np.all((forces >= -0.25 * cap) & (forces <= 1.25 * cap), axis=1)
            & (total >= -0.10 * cap)
            & (total <= 1.25 * cap)
        )
        if bool(fine.all()):
            return ok
        out: BoolArray = fine if ok is None else ok & fine
        return out

    def step_ok(self, previous: FloatRows, rows: FloatRows) -> BoolArray:
        """Continuity of ``(seq, t_us, TR, BR, TL, BL)`` rows from the row before each."""
        dseq = (rows[:, 0] - previous[:, 0]) % SEQ_MODULUS
        ok: BoolArray = (dseq >= 1) & (dseq <= self.max_gap)
        dt_us = (rows[:, 1] - previous[:, 1]) % SEQ_MODULUS
        period = self.period_us
        if period is not None:
            expected = dseq * period
            ok &= np.abs(dt_us - expected) <= CLOCK_TOLERANCE * expected + CLOCK_SLACK_US
            seconds = dseq * (period * 1e-6)
        else:
            seconds = np.minimum(dt_us * 1e-6, MAX_GAP_S)
        if self.scales is not None:
            change = np.abs(rows[:, 2:] - previous[:, 2:]) * self.scales
            allowed = MAX_FORCE_RATE_N_PER_S * seconds + STEP_FLOOR_FRACTION * self.capacity_n
            ok &= np.all(change <= allowed[:, None], axis=1)
        return ok
