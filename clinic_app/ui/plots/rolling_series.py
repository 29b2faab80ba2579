"""A fixed window of (t, y) samples kept contiguous, for zero-copy plotting (numpy only)."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]


class RollingSeries:
    """A fixed window of (t, y) samples kept contiguous for zero-copy plotting.

    Each sample is written twice (at ``i`` and ``i + capacity``), so the last ``capacity``
    samples are always the slice ``[head, head + capacity)``: no copy, no reallocation.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = int(capacity)
        self._t = np.zeros(2 * self.capacity)
        self._y = np.zeros(2 * self.capacity)
        self._head = 0
        self.count = 0

    def clear(self) -> None:
        """Forget every sample."""
        self._head = 0
        self.count = 0

    def extend(self, t: npt.ArrayLike, y: npt.ArrayLike) -> None:
        """Append samples (older ones fall out of the window)."""
        t = np.asarray(t, dtype=np.float64)[-self.capacity :]
        y = np.asarray(y, dtype=np.float64)[-self.capacity :]
        n = len(t)
        if n == 0:
            return
        cap = self.capacity
        pos = (self._head + min(self.count, cap)) % cap
        first = min(n, cap - pos)
        for buf, v in ((self._t, t), (self._y, y)):
            buf[pos : pos + first] = v[:first]
            buf[pos + cap : pos + cap + first] = v[:first]
            if n > first:
                buf[: n - first] = v[first:]
                buf[cap : cap + n - first] = v[first:]
        total = min(self.count, cap) + n
        if total > cap:
            self._head = (self._head + total - cap) % cap
        self.count = min(total, cap)

    def drop_last(self, n: int) -> None:
        """Forget the newest ``n`` samples (to replace them: a provisional point)."""
        self.count = max(0, self.count - n)

    def view(self) -> tuple[FloatArray, FloatArray]:
        """The window's (t, y) as views (valid until the next :meth:`extend`)."""
        h, n = self._head, self.count
        return self._t[h : h + n], self._y[h : h + n]

    @property
    def last_t(self) -> float:
        """Time of the newest sample (NaN when empty)."""
        if not self.count:
            return math.nan
        return float(self._t[self._head + self.count - 1])
