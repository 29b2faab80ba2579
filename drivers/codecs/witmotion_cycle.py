"""Which 0x51 accelerometer frame belongs to the same output cycle as a 0x53 angle frame.

A WitMotion device sends the frames of one output cycle back to back in ascending type
order (0x50, 0x51, 0x52, 0x53, 0x54 …, devices.md §1.3). ``tibia_deg`` compares the fused
angles of a 0x53 frame with the gravity vector of the 0x51 frame *of the same cycle*
(:mod:`.witmotion`), so the pairing must never reach back into an earlier cycle. A 0x51
frame is the same-cycle partner of a 0x53 frame only when

* it is the frame just before it, or the one before that with exactly one 0x52 frame
  (the only type that sits between 0x51 and 0x53 in a cycle) in between, and
* the frames touch in the byte stream: no byte was dropped between them.

Anything else - dropped bytes (a corrupted frame), a second 0x52, a frame of another
type - means that frames were lost and the 0x51 frame before may belong to an earlier
cycle, so the angle frame has no partner and the codec falls back to the fused angles.
Frame positions come from the framing step; the last two frames of a call are carried to
the next call, because a cycle may be split between two reads. Frames rejected by the
plausibility checks still count as present (they were received intact), but a rejected
0x51 frame is never used.

Limit: whole cycles lost exactly at frame boundaries, with no byte dropped, cannot be
told from no loss. Corrupted bytes never do that - the resync drops them one by one - so
it would take a transport that loses whole, frame-aligned blocks of 44 bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

from drivers.codecs import witmotion_wire as wire

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.intp]
Words = npt.NDArray[np.int16]

CARRIED: Final = 2
"""Frames carried between calls: a 0x51 and a 0x52 may precede the next call's 0x53."""
_FAR: Final = -1000
"""Start offset of a carried frame that cannot touch anything in the next buffer."""
_GAP_ACC: Final = wire.FRAME_LEN * 256 + (wire.ANGLE - wire.ACC)
_GAP_GYRO: Final = wire.FRAME_LEN * 256 + (wire.ANGLE - wire.GYRO)
_GAP_ACC_GYRO: Final = 2 * wire.FRAME_LEN * 256 + (wire.ANGLE - wire.ACC)


class CyclePairing:
    """Same-cycle 0x51 partners of 0x53 frames across :meth:`WitMotionCodec.feed` calls.

    Call :meth:`pair` with the checksum-valid frames of one call, then :meth:`carry` with the
    same frames and the number of bytes the call consumed (:meth:`shift` when it produced
    no frame).

    Notes
    -----
    A frame is summarised as one integer, ``start * 256 + type``: the difference of two such
    keys is ``gap * 256 + type difference``, and as the type difference is below 256 one
    comparison checks both the distance in bytes and the type of the earlier frame.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget the carried frames (the next frames do not touch the previous ones)."""
        self._keys = np.full(CARRIED, _FAR * 256, dtype=np.intp)  # type 0: no frame
        self._words = np.zeros((CARRIED, 4), dtype=np.int16)
        self._accepted = np.zeros(CARRIED, dtype=np.bool_)
        self._py: tuple[list[int], list[Sequence[int]], list[bool]] | None = None
        self._arrays_stale = False

    # The small-batch path of the codec (:mod:`.witmotion_fast`) keeps the carried frames as
    # Python lists; the vectorised methods turn them back into arrays when they need them.
    def carried(self) -> tuple[list[int], list[Sequence[int]], list[bool]]:
        """The carried frames as Python lists: keys, words, accepted (oldest first)."""
        if self._py is None:
            words: list[Sequence[int]] = list(self._words.tolist())
            self._py = (self._keys.tolist(), words, self._accepted.tolist())
        return self._py

    def set_carried(
        self, keys: list[int], words: list[Sequence[int]], accepted: list[bool]
    ) -> None:
        """Replace the carried frames (keys relative to the next call's buffer start)."""
        self._py = ([max(k, _FAR * 256) for k in keys], words, accepted)
        self._arrays_stale = True

    def _arrays(self) -> None:
        if self._arrays_stale and self._py is not None:
            keys, words, accepted = self._py
            self._keys = np.array(keys, dtype=np.intp)
            self._words = np.array(words, dtype=np.int16).reshape(CARRIED, 4)
            self._accepted = np.array(accepted, dtype=np.bool_)
            self._arrays_stale = False
        self._py = None

    def pair(
        self,
        types: npt.NDArray[np.uint8],
        starts: IntArray,
        words: Words,
        rejected: BoolArray | None,
        angle_index: IntArray,
    ) -> tuple[BoolArray, Words]:
        """Same-cycle accelerometer frame of each angle frame.

        Parameters
        ----------
        types, starts, words : ndarray
            Type byte ``(n,)``, start offset in this call's buffer ``(n,)`` (bytes) and raw
            words ``(n, 4)`` of every checksum-valid frame of the call, in stream order.
        rejected : ndarray of bool or None
            Frames rejected by the plausibility checks (None: none was).
        angle_index : ndarray of intp
            Indices of the angle frames to pair.

        Returns
        -------
        found : ndarray of bool, shape (m,)
            The angle frame has an accepted same-cycle 0x51 frame.
        acceleration : ndarray of int16, shape (m, 3)
            Its raw ax, ay, az counts (meaningless where ``found`` is False).
        """
        self._arrays()
        keys = np.empty(len(types) + CARRIED, dtype=np.intp)
        keys[:CARRIED] = self._keys
        np.multiply(starts, 256, out=keys[CARRIED:])
        keys[CARRIED:] += types
        # keys[k + 1] is the key of the frame before frame k, keys[k] the one before that.
        here = keys[CARRIED:].take(angle_index)
        gap1 = here - keys[1:].take(angle_index)
        # Starts are at least a frame apart, so a distance of two frames from the 0x51
        # frame means that the frame between touches both.
        via_gyro = (gap1 == _GAP_GYRO) & (here - keys.take(angle_index) == _GAP_ACC_GYRO)
        found = (gap1 == _GAP_ACC) | via_gyro
        source = angle_index - 1 - via_gyro  # index in this call; < 0: a carried frame
        if len(source) == 0 or source[0] >= 0:
            acceleration: Words = words.take(source, axis=0)[:, :3]
            if rejected is not None:
                found &= ~rejected.take(source)
            return found, acceleration
        inside = np.maximum(source, 0)
        acceleration = words.take(inside, axis=0)[:, :3]
        if rejected is not None:
            found &= ~rejected.take(inside)
        carried = np.flatnonzero(source < 0)
        slot = source[carried] + CARRIED
        acceleration[carried] = self._words[slot, :3]
        found[carried] = (gap1[carried] == _GAP_ACC) | via_gyro[carried]
        found[carried] &= self._accepted[slot]
        return found, acceleration

    def carry(
        self,
        types: npt.NDArray[np.uint8],
        starts: IntArray,
        words: Words,
        rejected: BoolArray | None,
        stop: int,
    ) -> None:
        """Keep the last frames of a call; the next call's buffer begins at byte ``stop``."""
        self._arrays()
        count = len(types)
        if count == 0:
            self.shift(stop)
            return
        if count == 1:  # it follows the last carried frame
            previous = int(self._keys[-1]) - stop * 256
            current = (int(starts[0]) - stop) * 256 + int(types[0])
            self._keys = np.maximum(np.array([previous, current], np.intp), _FAR * 256)
            self._words = np.stack((self._words[-1], words[0]))
            fine = rejected is None or not bool(rejected[0])
            self._accepted = np.array([self._accepted[-1], fine])
            return
        keys = (starts[-CARRIED:] - stop) * 256 + types[-CARRIED:]
        self._keys = np.maximum(keys, _FAR * 256)
        self._words = words[-CARRIED:].copy()
        self._accepted = np.ones(CARRIED, np.bool_) if rejected is None else ~rejected[-CARRIED:]

    def shift(self, stop: int) -> None:
        """A call consumed ``stop`` bytes without producing a frame."""
        self._arrays()
        self._keys = np.maximum(self._keys - stop * 256, _FAR * 256)
