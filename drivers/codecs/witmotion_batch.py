"""What :meth:`drivers.codecs.witmotion.WitMotionCodec.feed` returns."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.witmotion_decode import decode_physical

FloatRows = npt.NDArray[np.float64]
Words = npt.NDArray[np.int16]

_NO_TYPES: npt.NDArray[np.uint8] = np.zeros(0, dtype=np.uint8)
_NO_WORDS: Words = np.zeros((0, 4), dtype=np.int16)
_NO_TYPES.flags.writeable = False
_NO_WORDS.flags.writeable = False


class WitBatch:
    """What one :meth:`WitMotionCodec.feed` call produced.

    Attributes
    ----------
    samples : ndarray of INCLINOMETER_DTYPE
        One sample per accepted 0x53 angle frame, in stream order.
    types : ndarray of uint8, shape (n,)
        Type byte of every accepted frame (all types), in stream order.
    words : ndarray of int16, shape (n, 4)
        Their raw payload words.

    The small-batch path hands over the accepted frames as bytes (``raw``); ``types`` and
    ``words`` are then built on first use, so a reader that only wants the samples never
    pays for them.
    """

    __slots__ = ("_frames", "_raw", "_types", "_words", "samples")

    def __init__(
        self,
        samples: SampleArray | None = None,
        types: npt.NDArray[np.uint8] | None = None,
        words: Words | None = None,
        *,
        raw: bytes = b"",
    ) -> None:
        self.samples: SampleArray = (
            samples if samples is not None else np.zeros(0, dtype=INCLINOMETER_DTYPE)
        )
        self._types = types
        self._words = words
        self._raw = raw
        self._frames: npt.NDArray[np.void] | None = None

    @classmethod
    def of_raw(cls, samples: SampleArray, raw: bytes) -> WitBatch:
        """The small-batch path's batch: samples and the accepted frames as bytes (the
        constructor's checks and defaults skipped: this is made a few hundred times a
        second)."""
        batch = cls.__new__(cls)
        batch.samples, batch._raw, batch._frames = samples, raw, None
        batch._types = batch._words = None
        return batch

    @property
    def count(self) -> int:
        """Number of accepted frames (cheap)."""
        if self._types is not None:
            return len(self._types)
        return len(self._raw) // wire.FRAME_LEN

    @property
    def has_readback(self) -> bool:
        """Whether a 0x5F register read-back frame is among them (cheap)."""
        if self._types is not None:
            return bool(np.any(self._types == wire.READBACK))
        return wire.READBACK in self._raw[1 :: wire.FRAME_LEN]

    @property
    def types(self) -> npt.NDArray[np.uint8]:
        """Type bytes ``(n,)`` of the accepted frames."""
        if self._types is None:
            self._unpack()
        assert self._types is not None
        return self._types

    @property
    def words(self) -> Words:
        """Raw words ``(n, 4)`` of the accepted frames."""
        if self._words is None:
            self._unpack()
        assert self._words is not None
        return self._words

    def _unpack(self) -> None:
        if not self._raw:
            self._types, self._words = _NO_TYPES, _NO_WORDS
            return
        rows = np.frombuffer(self._raw, dtype=np.uint8).reshape(-1, wire.FRAME_LEN)
        self._types = rows[:, 1].copy()
        self._words = np.ascontiguousarray(rows[:, 2:10]).view("<i2")

    @property
    def frames(self) -> npt.NDArray[np.void]:
        """The accepted frames as one :data:`WIT_FRAME_DTYPE` array."""
        if self._frames is None:
            self._frames = wire.frames_array(self.types, self.words)
        return self._frames

    def of_type(self, frame_type: int) -> Words:
        """Raw words ``(n, 4)`` of the accepted frames of one type."""
        words: Words = self.words[self.types == frame_type]
        return words

    @property
    def acc(self) -> FloatRows:
        """0x51 frames as ``(n, 4)``: ax, ay, az in g, temperature in °C (raw/100)."""
        words = self.of_type(wire.ACC)
        return np.column_stack((wire.words_scaled(words, wire.ACC_RANGE_G), words[:, 3] / 100))

    @property
    def gyro(self) -> FloatRows:
        """0x52 frames as ``(n, 4)``: wx, wy, wz in °/s, temperature in °C (raw/100)."""
        words = self.of_type(wire.GYRO)
        return np.column_stack((wire.words_scaled(words, wire.GYRO_RANGE_DPS), words[:, 3] / 100))

    @property
    def angle(self) -> FloatRows:
        """0x53 frames as ``(n, 3)``: roll, pitch, yaw in degrees."""
        return wire.words_scaled(self.of_type(wire.ANGLE), wire.ANGLE_RANGE_DEG)

    def physical(self, frame_type: int) -> dict[str, npt.NDArray[Any]]:
        """Named physical columns of one type (:func:`.witmotion_decode.decode_physical`)."""
        return decode_physical(frame_type, self.of_type(frame_type))

    @property
    def registers(self) -> npt.NDArray[np.uint16]:
        """0x5F register read-back replies as ``(n, 4)`` uint16 values."""
        return wire.registers_u16(self.of_type(wire.READBACK))
