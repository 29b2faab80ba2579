"""Continuity tracking: the second line of defence after a frame's checksum.

An 8-bit checksum lets one random 11-byte window in 256 through, so a corrupted stream
eventually produces a "valid" frame full of garbage. A clinical plot must never show it.
Each measured quantity therefore has a :class:`ContinuityTrack`:

* every frame must pass a per-frame range check (``single_ok``, computed by the codec);
* a *locked* track accepts a frame only if it is a physically possible step from the last
  accepted frame (``step_ok``: e.g. an angle change below the maximum angular speed over
  one output period, a temperature change below 2 °C, the same firmware version word);
* a track starts *unlocked*: it withholds frames until ``lock_count`` consecutive frames
  are mutually consistent, then accepts the last of them and locks. A single garbage frame
  can therefore never start a track, and random noise practically never locks one;
* after ``relock_after`` consecutive rejections (the signal really jumped, e.g. after a
  long dropout or a sensor reset) the track unlocks and re-acquires;
* after a deliberate gap in the stream (the host paused reading) :meth:`allow_jump` lets the
  next frame be judged by a looser ``jump_ok`` instead (e.g. "same firmware version word"),
  so a locked track resumes at once instead of re-acquiring.

The common case - a locked track and a clean batch - is one vectorised comparison; only
batches with a rejection or an unlocked track fall back to a loop over that type's frames.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

FloatRows = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
StepCheck = Callable[[FloatRows, FloatRows], BoolArray]
"""``step_ok(previous_rows, rows)`` → whether each row is a possible step from the row
before it (both arrays of shape ``(m, k)``)."""


@dataclass
class TrackResult:
    """What :meth:`ContinuityTrack.filter` decided for one batch."""

    accepted: BoolArray
    rejected: int
    withheld: int


class ContinuityTrack:
    """Accepts frames of one quantity only while they form a physically possible series.

    Parameters
    ----------
    step_ok : callable
        See :data:`StepCheck`.
    lock_count : int
        Consecutive consistent frames needed to (re)lock; 1 accepts the first frame.
    relock_after : int
        Consecutive rejections after which the track re-acquires.
    """

    def __init__(
        self,
        step_ok: StepCheck,
        lock_count: int = 3,
        relock_after: int = 5,
        jump_ok: StepCheck | None = None,
    ) -> None:
        if lock_count < 1 or relock_after < 1:
            raise ValueError("lock_count and relock_after must be at least 1")
        self._step_ok = step_ok
        self._jump_ok = jump_ok
        self._jumping = False
        self.lock_count = lock_count
        self.relock_after = relock_after
        self.locked = False
        self._last: FloatRows | None = None
        self._misses = 0
        self._pending = 0
        self._pending_last: FloatRows | None = None

    def allow_jump(self) -> None:
        """Judge the next frame against the last accepted one with ``jump_ok`` (the time
        between them is unknown); without ``jump_ok`` or a lock, re-acquire instead."""
        if self._jump_ok is not None and self.locked and self._last is not None:
            self._jumping = True
        else:
            self.reset()

    def reset(self) -> None:
        """Forget the history (e.g. after the device was reconfigured)."""
        self._jumping = False
        self.locked = False
        self._last = None
        self._misses = 0
        self._pending = 0
        self._pending_last = None

    def _ok(self, previous: FloatRows, row: FloatRows) -> bool:
        return bool(self._step_ok(previous, row)[0])

    def filter(self, values: FloatRows, single_ok: BoolArray | None = None) -> TrackResult:
        """Decide, in order, which frames of a batch are accepted.

        Parameters
        ----------
        values : ndarray, shape (m, k)
            The compared quantities of each frame.
        single_ok : ndarray of bool, shape (m,), optional
            Result of the per-frame range checks (None: every frame passed).
        """
        count = len(values)
        if count == 0:
            return TrackResult(np.zeros(0, dtype=np.bool_), 0, 0)
        all_fine = single_ok is None or bool(single_ok.all())
        if self._jumping and self._jump_ok is not None and self._last is not None:
            self._jumping = False
            first_fine = single_ok is None or bool(single_ok[0])
            if first_fine and bool(self._jump_ok(self._last, values[:1])[0]):
                self._last = values[:1].copy()  # the new starting point
                head = TrackResult(np.ones(1, dtype=np.bool_), 0, 0)
                rest = self.filter(values[1:], None if single_ok is None else single_ok[1:])
                return TrackResult(
                    np.concatenate((head.accepted, rest.accepted)), rest.rejected, rest.withheld
                )
        if self.locked and self._last is not None and all_fine:
            previous = np.concatenate((self._last, values[:-1]))
            if bool(self._step_ok(previous, values).all()):
                self._last = values[-1:].copy()
                self._misses = 0
                return TrackResult(np.ones(count, dtype=np.bool_), 0, 0)
        if single_ok is None:
            single_ok = np.ones(count, dtype=np.bool_)
        return self._filter_slow(values, single_ok)

    def _filter_slow(self, values: FloatRows, single_ok: BoolArray) -> TrackResult:
        accepted = np.zeros(len(values), dtype=np.bool_)
        rejected = withheld = 0
        for i, fine in enumerate(single_ok.tolist()):
            row = values[i : i + 1]
            if not fine:
                rejected += 1
                if self.locked:
                    self._count_miss()
                else:
                    self._pending = 0
                continue
            if self.locked and self._last is not None:
                if self._ok(self._last, row):
                    accepted[i] = True
                    self._last = row.copy()
                    self._misses = 0
                else:
                    rejected += 1
                    if self._count_miss():
                        self._pending, self._pending_last = 1, row.copy()
                continue
            if (
                self._pending
                and self._pending_last is not None
                and self._ok(self._pending_last, row)
            ):
                self._pending += 1
            else:
                self._pending = 1
            self._pending_last = row.copy()
            if self._pending >= self.lock_count:
                self.locked, self._last, self._misses, self._pending = True, row.copy(), 0, 0
                accepted[i] = True
            else:
                withheld += 1
        return TrackResult(accepted, rejected, withheld)

    def _count_miss(self) -> bool:
        """Count a rejection while locked; True when the track just unlocked."""
        self._misses += 1
        if self._misses >= self.relock_after:
            self.locked = False
            self._last = None
            self._misses = 0
            return True
        return False
