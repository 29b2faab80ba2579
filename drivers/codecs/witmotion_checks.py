"""Per-frame range checks and frame-to-frame step checks for WitMotion frames.

Used by :class:`drivers.codecs.witmotion.WitMotionCodec` with
:class:`~drivers.codecs.plausibility.ContinuityTrack` (see that module for the rules).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import gravity_from_euler

FloatRows = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

TEMPERATURE_RANGE_C: Final = (-40.0, 85.0)
"""Operating range of the WitMotion sensors; a temperature outside it is garbage."""
TEMPERATURE_STEP_C: Final = 2.0
"""Largest plausible temperature change between two frames of one type."""
COUNTS_PER_G: Final = wire.FULL_SCALE / wire.ACC_RANGE_G


def temperature_values(
    words: npt.NDArray[Any], legacy_wt61: bool
) -> tuple[FloatRows, BoolArray | None]:
    """Temperature column ``(m, 1)`` in °C of 0x51/0x52/0x54 frames, and its range check.

    New firmware sends raw/100 °C; WT61/JY61 firmware raw/340 + 36.53 °C (devices.md §1.3).
    """
    values = words[:, 3:4] / 340.0 + 36.53 if legacy_wt61 else words[:, 3:4] * 0.01
    low, high = TEMPERATURE_RANGE_C
    if float(values.min()) >= low and float(values.max()) <= high:
        return values, None
    single: BoolArray = (values[:, 0] >= low) & (values[:, 0] <= high)
    return values, single


def acceleration_ok(words: npt.NDArray[Any], accel_max_g: float) -> BoolArray | None:
    """|a| ≤ ``accel_max_g`` for 0x51 frames (None when every frame passes)."""
    counts = words[:, :3].astype(np.int64)
    squared = np.einsum("ij,ij->i", counts, counts)
    limit = (accel_max_g * COUNTS_PER_G) ** 2
    if int(squared.max()) <= limit:
        return None
    ok: BoolArray = squared <= limit
    return ok


def temperature_step(previous: FloatRows, rows: FloatRows) -> BoolArray:
    """Temperature moved by at most :data:`TEMPERATURE_STEP_C`."""
    ok: BoolArray = np.abs(rows[:, 0] - previous[:, 0]) <= TEMPERATURE_STEP_C
    return ok


def angle_values(words: npt.NDArray[Any]) -> FloatRows:
    """Raw roll, pitch, yaw and version words of 0x53 frames as floats, ``(m, 4)``."""
    values: FloatRows = words.astype(np.float64)
    return values


def _up(raw: FloatRows) -> FloatRows:
    degrees = raw[:, :2] * (wire.ANGLE_RANGE_DEG / wire.FULL_SCALE)
    return gravity_from_euler(degrees[:, 0], degrees[:, 1])


def angle_step(
    max_step_deg: Callable[[], float], check_version: bool
) -> Callable[[FloatRows, FloatRows], BoolArray]:
    """Step check for 0x53 frames (raw words from :func:`angle_values`).

    A step is possible when roll and pitch each moved by at most ``max_step_deg()``
    (wrapping at ±180°), or else when the gravity direction rebuilt from them turned by at
    most that much: near a pitch of ±90° - a sensor strapped with its long axis up the
    shin - roll swings through large angles while the sensor hardly moves (gimbal lock).
    Yaw is not judged (it drifts with the magnetometer). Optionally the version word must
    not change.
    """

    def step(previous: FloatRows, rows: FloatRows) -> BoolArray:
        limit_deg = min(max_step_deg(), 180.0)
        limit_raw = limit_deg * (wire.FULL_SCALE / wire.ANGLE_RANGE_DEG)
        delta = np.abs(rows[:, :2] - previous[:, :2])
        delta = np.minimum(delta, 2 * wire.FULL_SCALE - delta)
        ok: BoolArray = np.all(delta <= limit_raw, axis=1)
        if not ok.all():
            again = np.flatnonzero(~ok)
            dot = np.einsum("ij,ij->i", _up(previous[again]), _up(rows[again]))
            ok[again] = dot >= np.cos(np.radians(limit_deg)) - 1e-12
        if check_version:
            ok = ok & (rows[:, 3] == previous[:, 3])
        return ok

    return step


def time_ok(words: npt.NDArray[Any]) -> BoolArray:
    """0x50 frames hold a valid date and time (YY MM DD hh mm ss, ms < 1000)."""
    b = np.ascontiguousarray(words).view(np.uint8).reshape(-1, 8).astype(np.int64)
    millis = b[:, 6] | (b[:, 7] << 8)
    ok: BoolArray = (
        (b[:, 0] <= 99)
        & (b[:, 1] >= 1)
        & (b[:, 1] <= 12)
        & (b[:, 2] >= 1)
        & (b[:, 2] <= 31)
        & (b[:, 3] <= 23)
        & (b[:, 4] <= 59)
        & (b[:, 5] <= 59)
        & (millis <= 999)
    )
    return ok


def quaternion_ok(words: npt.NDArray[Any]) -> BoolArray:
    """0x59 frames hold a unit quaternion within ±10 % of norm."""
    q = words.astype(np.float64) / wire.FULL_SCALE
    norm = np.einsum("ij,ij->i", q, q)
    ok: BoolArray = (norm >= 0.81) & (norm <= 1.21)
    return ok


def same_version(previous: FloatRows, rows: FloatRows) -> BoolArray:
    """0x53 frames of the same firmware (constant version word): the check that still holds
    across a pause of unknown length, when the angles may have moved anywhere."""
    ok: BoolArray = rows[:, 3] == previous[:, 3]
    return ok
