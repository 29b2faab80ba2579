"""Physical values of every WitMotion frame type (devices.md §1.3).

Each function takes the raw words ``(n, 4)`` int16 of frames of one type (e.g.
``batch.of_type(0x56)``) and returns a dict of named arrays, so that an optional content
the user enabled (pressure, GPS, quaternion…) can be shown or logged without more parsing.
:func:`decode_physical` dispatches on the type byte.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from drivers.codecs import witmotion_wire as wire

Columns = dict[str, npt.NDArray[Any]]

__all__ = ["DECODERS", "decode_physical"]


def _bytes(words: npt.NDArray[Any]) -> npt.NDArray[np.uint8]:
    raw: npt.NDArray[np.uint8] = (
        np.ascontiguousarray(words, dtype="<i2").view(np.uint8).reshape(-1, 8)
    )
    return raw


def _int32(words: npt.NDArray[Any], first_word: int) -> npt.NDArray[np.int64]:
    pair = np.ascontiguousarray(words[:, first_word : first_word + 2], dtype="<i2")
    values: npt.NDArray[np.int64] = pair.view("<i4").reshape(-1).astype(np.int64)
    return values


def _time(words: npt.NDArray[Any]) -> Columns:
    b = _bytes(words).astype(np.int64)
    return {
        "year": 2000 + b[:, 0],
        "month": b[:, 1],
        "day": b[:, 2],
        "hour": b[:, 3],
        "minute": b[:, 4],
        "second": b[:, 5],
        "millisecond": b[:, 6] | (b[:, 7] << 8),
    }


def _triple(names: tuple[str, str, str], full_range: float) -> Callable[[Any], Columns]:
    def decode(words: npt.NDArray[Any]) -> Columns:
        scaled = wire.words_scaled(words, full_range)
        out: Columns = {name: scaled[:, i] for i, name in enumerate(names)}
        out["temperature_c"] = wire.temperature_c(words)
        return out

    return decode


def _angle(words: npt.NDArray[Any]) -> Columns:
    scaled = wire.words_scaled(words, wire.ANGLE_RANGE_DEG)
    return {
        "roll_deg": scaled[:, 0],
        "pitch_deg": scaled[:, 1],
        "yaw_deg": scaled[:, 2],
        "version": words[:, 3].astype(np.uint16),
    }


def _mag(words: npt.NDArray[Any]) -> Columns:
    return {
        "hx": words[:, 0].astype(np.int64),
        "hy": words[:, 1].astype(np.int64),
        "hz": words[:, 2].astype(np.int64),
        "temperature_c": wire.temperature_c(words),
    }


def _port(words: npt.NDArray[Any]) -> Columns:
    return {f"d{i}": words[:, i].astype(np.int64) for i in range(4)}


def _pressure(words: npt.NDArray[Any]) -> Columns:
    return {"pressure_pa": _int32(words, 0), "altitude_m": _int32(words, 2) / 100.0}


def _degrees_minutes(value: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """WitMotion GPS coordinate: |v| // 10⁷ degrees + (|v| % 10⁷) / 10⁵ minutes."""
    magnitude = np.abs(value)
    degrees: npt.NDArray[np.float64] = np.sign(value) * (
        magnitude // 10_000_000 + (magnitude % 10_000_000) / 100_000 / 60.0
    )
    return degrees


def _gps(words: npt.NDArray[Any]) -> Columns:
    return {
        "longitude_deg": _degrees_minutes(_int32(words, 0)),
        "latitude_deg": _degrees_minutes(_int32(words, 2)),
    }


def _gps_speed(words: npt.NDArray[Any]) -> Columns:
    return {
        "height_m": words[:, 0] / 10.0,
        "yaw_deg": words[:, 1] / 100.0,
        "ground_speed_kmh": _int32(words, 2) / 1000.0,
    }


def _quaternion(words: npt.NDArray[Any]) -> Columns:
    q = words.astype(np.float64) / wire.FULL_SCALE
    return {f"q{i}": q[:, i] for i in range(4)}


def _gps_accuracy(words: npt.NDArray[Any]) -> Columns:
    return {
        "satellites": words[:, 0].astype(np.int64),
        "pdop": words[:, 1] / 100.0,
        "hdop": words[:, 2] / 100.0,
        "vdop": words[:, 3] / 100.0,
    }


def _registers(words: npt.NDArray[Any]) -> Columns:
    regs = wire.registers_u16(words)
    return {f"r{i}": regs[:, i] for i in range(4)}


DECODERS: Final[dict[int, Callable[[Any], Columns]]] = {
    wire.TIME: _time,
    wire.ACC: _triple(("ax_g", "ay_g", "az_g"), wire.ACC_RANGE_G),
    wire.GYRO: _triple(("wx_dps", "wy_dps", "wz_dps"), wire.GYRO_RANGE_DPS),
    wire.ANGLE: _angle,
    wire.MAG: _mag,
    wire.PORT: _port,
    wire.PRESSURE: _pressure,
    wire.GPS: _gps,
    wire.GPS_SPEED: _gps_speed,
    wire.QUATERNION: _quaternion,
    wire.GPS_ACCURACY: _gps_accuracy,
    wire.READBACK: _registers,
}
"""Type byte → decoder of its raw words."""


def decode_physical(frame_type: int, words: npt.ArrayLike) -> Columns:
    """Named physical columns of frames of one type.

    Parameters
    ----------
    frame_type : int
        0x50-0x5A or 0x5F.
    words : array_like, shape (n, 4)
        Raw int16 payload words, e.g. ``batch.of_type(frame_type)``.

    Returns
    -------
    dict of str to ndarray
        E.g. for 0x51 ``ax_g, ay_g, az_g, temperature_c``; for 0x56 ``pressure_pa,
        altitude_m``; for 0x57 ``longitude_deg, latitude_deg`` (decimal degrees); for 0x5F
        ``r0..r3`` (uint16 registers).
    """
    decoder = DECODERS.get(frame_type)
    if decoder is None:
        raise ValueError(f"no WitMotion frame type {frame_type:#x}")
    return decoder(np.asarray(words, dtype=np.int16).reshape(-1, 4))
