"""Level-surface zero of an inclinometer, in software (WitMotion serial and Bluetooth).

Lay the sensor still on its back face (the face strapped against the shin) on a level
surface. Its mounting axis is then horizontal, so a perfect sensor reads roll = pitch = 0°
and ``tibia_deg`` = 90°. The zero stores the differences - the tilt of the sensing chip
inside its case and of the case's base - and the device subtracts them from every later
sample; nothing is written to the sensor, so it works for every model, listen-only ones
included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

import numpy as np

from drivers.base import DeviceError, RingBuffer, SampleArray

LEVEL_TIBIA_DEG: Final = 90.0
"""``tibia_deg`` of a perfect sensor lying on its back face on a level surface."""


@dataclass(frozen=True)
class ZeroOffsets:
    """Offsets subtracted from every sample (degrees); see the module docstring."""

    angle_x_deg: float = 0.0
    angle_y_deg: float = 0.0
    tibia_deg: float = 0.0


def level_zero(samples: SampleArray, old: ZeroOffsets) -> ZeroOffsets:
    """The offsets of a still sensor lying on its back face on a level surface.

    ``samples`` were taken with ``old`` already subtracted. Raises DeviceError when they
    moved (> 0.5°) or the sensor is not lying flat (tibia angle not within 10° of 90°).
    """
    x = samples["angle_x_deg"] + old.angle_x_deg
    y = samples["angle_y_deg"] + old.angle_y_deg
    tibia = samples["tibia_deg"] + old.tibia_deg
    if float(np.ptp(tibia)) > 0.5:
        raise DeviceError("The inclinometer moved while zeroing. Keep it still and retry.")
    if abs(float(np.mean(tibia)) - LEVEL_TIBIA_DEG) > 10.0:
        raise DeviceError(
            "To zero, lay the inclinometer flat on its back face on a level surface."
        )
    return ZeroOffsets(
        float(np.mean(x)), float(np.mean(y)), float(np.mean(tibia)) - LEVEL_TIBIA_DEG
    )


def zero_from_stream(buffer: RingBuffer, old: ZeroOffsets, seconds: float) -> ZeroOffsets:
    """Listen to ``buffer`` for ``seconds`` and return the :func:`level_zero` offsets.

    Raises DeviceError when too few samples arrived, the sensor moved, or it is not flat.
    """
    cursor = buffer.total
    time.sleep(seconds)
    samples, _, _ = buffer.read_new(cursor)
    if len(samples) < 3:
        raise DeviceError("The inclinometer sent too few samples to zero; check it.")
    return level_zero(samples, old)
