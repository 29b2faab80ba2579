"""Clocks for the simulator: real time for the app, a manual clock for tests.

Both clocks tell the time in seconds on the :func:`time.monotonic` scale that real devices
stamp their samples with (``t_host_s``), so simulated and real samples can be compared and
protocols need not know which they are fed. The manual clock starts at an arbitrary
``start_s`` and only moves when :meth:`ManualClock.advance` is called; simulated devices
attached to it then produce every sample that became due, synchronously, with no thread.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Protocol

PumpFn = Callable[[], None]
"""A callback that produces every sample due up to the clock's current time."""


class SimClock(Protocol):
    """Time source shared by a simulated patient and its devices."""

    @property
    def realtime(self) -> bool:
        """True when the clock follows the wall clock (devices then run a thread)."""

    def now(self) -> float:
        """Current time in seconds (monotonic scale)."""

    def attach(self, pump: PumpFn) -> None:
        """Call ``pump`` whenever simulated time moves (manual clocks only)."""

    def detach(self, pump: PumpFn) -> None:
        """Stop calling ``pump``."""


class RealTimeClock:
    """The host's :func:`time.monotonic` clock (devices stream from a thread)."""

    @property
    def realtime(self) -> bool:
        """Always True."""
        return True

    def now(self) -> float:
        """:func:`time.monotonic` in seconds."""
        return time.monotonic()

    def attach(self, pump: PumpFn) -> None:
        """Nothing to do: real-time devices pump from their own thread."""

    def detach(self, pump: PumpFn) -> None:
        """Nothing to do (see :meth:`attach`)."""


class ManualClock:
    """A clock that moves only when told to: deterministic, faster than real time.

    Parameters
    ----------
    start_s : float
        Initial time in seconds.
    max_step_s : float
        :meth:`advance` moves in steps no longer than this, pumping the attached devices
        after each one, so a long advance never produces one enormous batch.
    """

    def __init__(self, start_s: float = 0.0, max_step_s: float = 0.05) -> None:
        if max_step_s <= 0:
            raise ValueError("max_step_s must be positive")
        self._now = float(start_s)
        self._max_step_s = float(max_step_s)
        self._pumps: list[PumpFn] = []
        self._lock = threading.Lock()

    @property
    def realtime(self) -> bool:
        """Always False."""
        return False

    def now(self) -> float:
        """Current simulated time in seconds."""
        return self._now

    def attach(self, pump: PumpFn) -> None:
        """Call ``pump`` after every step (used by simulated devices while streaming)."""
        with self._lock:
            if pump not in self._pumps:
                self._pumps.append(pump)

    def detach(self, pump: PumpFn) -> None:
        """Stop calling ``pump`` (no error when it was not attached)."""
        with self._lock:
            if pump in self._pumps:
                self._pumps.remove(pump)

    def advance(self, seconds: float) -> float:
        """Move the clock forward and let every attached device produce its samples.

        Parameters
        ----------
        seconds : float
            How far to move, >= 0.

        Returns
        -------
        float
            The new time in seconds.
        """
        if seconds < 0 or not math.isfinite(seconds):
            raise ValueError("a simulated clock only moves forward by a finite amount")
        target = self._now + seconds
        while True:
            self._now = min(target, self._now + self._max_step_s)
            with self._lock:
                pumps = list(self._pumps)
            for pump in pumps:
                pump()
            if self._now >= target:
                return self._now
