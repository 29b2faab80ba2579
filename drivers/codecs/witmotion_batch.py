"""What :meth:`drivers.codecs.witmotion.WitMotionCodec.feed` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import numpy.typing as npt

from drivers.base import INCLINOMETER_DTYPE, SampleArray
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.witmotion_decode import decode_physical

FloatRows = npt.NDArray[np.float64]
Words = npt.NDArray[np.int16]


def _empty_samples() -> SampleArray:
    return np.zeros(0, dtype=INCLINOMETER_DTYPE)


@dataclass(frozen=True)
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
    """

    samples: SampleArray = field(default_factory=_empty_samples)
    types: npt.NDArray[np.uint8] = field(default_factory=lambda: np.zeros(0, dtype=np.uint8))
    words: Words = field(default_factory=lambda: np.zeros((0, 4), dtype=np.int16))

    @cached_property
    def frames(self) -> npt.NDArray[np.void]:
        """The accepted frames as one :data:`WIT_FRAME_DTYPE` array."""
        return wire.frames_array(self.types, self.words)

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
