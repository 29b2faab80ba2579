"""WitMotion "WIT standard" wire format: constants, scaling, command and frame encoders.

Frames (device → host) are 11 bytes, ``55 <type> <8 payload bytes> <sum>``, the payload
being four little-endian int16 words for most types and the checksum the low byte of the
sum of bytes 0-9 (devices.md §1.2-1.3). Commands (host → device) are 5 bytes,
``FF AA <register> <value low> <value high>``, without checksum (devices.md §1.4).

Scaling (constant on every WIT-standard model, whatever ACCRANGE/GYRORANGE say)
-------------------------------------------------------------------------------
======  ==========================  =====================================
type    words                       physical value
======  ==========================  =====================================
0x51    ax, ay, az, T               raw / 32768 × 16 g; T = raw / 100 °C
0x52    wx, wy, wz, T               raw / 32768 × 2000 °/s; T as above
0x53    roll, pitch, yaw, version   raw / 32768 × 180 °; version word
0x54    hx, hy, hz, T               raw counts (model-dependent unit)
0x59    q0..q3                      raw / 32768
0x5F    four registers              uint16 register values
======  ==========================  =====================================
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import numpy.typing as npt

# fmt: off
__all__ = [
    "ACC", "ACC_RANGE_G", "ANGLE", "ANGLE_RANGE_DEG", "BAUD_CODES", "CAL_ACCEL",
    "CAL_ALTITUDE", "CAL_ANGLE_REFERENCE", "CAL_MAGNETIC", "CAL_NORMAL", "CAL_YAW_ZERO",
    "CONTENT_BITS", "DEFAULT_CONTENT", "FRAME_LEN", "FRAME_TYPES", "FULL_SCALE", "GPS",
    "GPS_ACCURACY", "GPS_SPEED", "GYRO", "GYRO_RANGE_DPS", "HEADER", "MAG", "PORT", "PRESSURE",
    "QUATERNION", "RATE_CODES", "READBACK", "REG_AXIS6", "REG_BANDWIDTH", "REG_BAUD",
    "REG_CALSW", "REG_KEY", "REG_ORIENT", "REG_READ", "REG_RRATE", "REG_RSW", "REG_SAVE",
    "REG_VERSION", "TIME", "UNLOCK_KEY", "WIT_FRAME_DTYPE", "WitCommandParser",
    "cmd_algorithm", "cmd_baud", "cmd_calibrate", "cmd_orientation", "cmd_output_content",
    "cmd_output_rate", "cmd_read_registers", "cmd_restart", "cmd_restore_defaults", "cmd_save",
    "cmd_unlock", "cmd_zero_angles", "encode_acc", "encode_angle", "encode_command",
    "encode_frame", "encode_frames", "encode_gyro", "encode_mag", "encode_quaternion",
    "encode_readback", "encode_time", "frames_array", "host_commands", "registers_u16",
    "temperature_c", "words_scaled", "wrap_deg",
]
# fmt: on

HEADER: Final = 0x55
FRAME_LEN: Final = 11

TIME, ACC, GYRO, ANGLE, MAG, PORT, PRESSURE, GPS, GPS_SPEED, QUATERNION, GPS_ACCURACY = range(
    0x50, 0x5B
)
READBACK: Final = 0x5F
FRAME_TYPES: Final = (*range(0x50, 0x5B), READBACK)
"""Every type byte accepted after the 0x55 header."""

ACC_RANGE_G: Final = 16.0
GYRO_RANGE_DPS: Final = 2000.0
ANGLE_RANGE_DEG: Final = 180.0
FULL_SCALE: Final = 32768.0

WIT_FRAME_DTYPE: Final = np.dtype([("type", "u1"), ("words", "<i2", (4,))])
"""One checksum-valid frame: its type byte and its four payload words (raw int16)."""

# Registers (REG.h of the official SDK, devices.md §1.4).
REG_SAVE, REG_CALSW, REG_RSW, REG_RRATE, REG_BAUD = 0x00, 0x01, 0x02, 0x03, 0x04
REG_BANDWIDTH, REG_ORIENT, REG_AXIS6, REG_READ, REG_VERSION, REG_KEY = (
    0x1F,
    0x23,
    0x24,
    0x27,
    0x2E,
    0x69,
)
UNLOCK_KEY: Final = 0xB588

RATE_CODES: Final = {
    0.2: 0x01,
    0.5: 0x02,
    1.0: 0x03,
    2.0: 0x04,
    5.0: 0x05,
    10.0: 0x06,
    20.0: 0x07,
    50.0: 0x08,
    100.0: 0x09,
    125.0: 0x0A,
    200.0: 0x0B,
}
"""Output rate (Hz) → RRATE code. 0x0C = single shot, 0x0D = no output."""

BAUD_CODES: Final = {
    4800: 0x01,
    9600: 0x02,
    19200: 0x03,
    38400: 0x04,
    57600: 0x05,
    115200: 0x06,
    230400: 0x07,
    460800: 0x08,
    921600: 0x09,
}
"""Baud rate → BAUD code."""

CONTENT_BITS: Final = {frame_type: 1 << (frame_type - 0x50) for frame_type in range(0x50, 0x5B)}
"""Frame type → bit in the RSW output-content register (0x51 → bit 1 …)."""
DEFAULT_CONTENT: Final = 0x001E
"""Factory RSW: acceleration, angular rate, angle, magnetic field."""

CAL_NORMAL, CAL_ACCEL, CAL_ALTITUDE, CAL_YAW_ZERO, CAL_MAGNETIC, CAL_ANGLE_REFERENCE = (
    0,
    1,
    3,
    4,
    7,
    8,
)


# ------------------------------------------------------------------ commands
def encode_command(register: int, value: int) -> bytes:
    """``FF AA <register> <value low> <value high>`` (value as uint16)."""
    if not 0 <= register <= 0xFF:
        raise ValueError(f"register {register:#x} is outside 0x00-0xFF")
    value &= 0xFFFF
    return bytes((0xFF, 0xAA, register, value & 0xFF, value >> 8))


def cmd_unlock() -> bytes:
    """``FF AA 69 88 B5``: opens the 10 s window in which writes are accepted."""
    return encode_command(REG_KEY, UNLOCK_KEY)


def cmd_save() -> bytes:
    """``FF AA 00 00 00``: store the written settings in flash."""
    return encode_command(REG_SAVE, 0x0000)


def cmd_restore_defaults() -> bytes:
    """``FF AA 00 01 00``: factory settings."""
    return encode_command(REG_SAVE, 0x0001)


def cmd_restart() -> bytes:
    """``FF AA 00 FF 00``: software restart."""
    return encode_command(REG_SAVE, 0x00FF)


def cmd_calibrate(mode: int) -> bytes:
    """``FF AA 01 <mode> 00``: CALSW (0 end, 1 accelerometer, 4 yaw zero, 7 magnetic, 8 angle
    reference)."""
    return encode_command(REG_CALSW, mode)


def cmd_zero_angles() -> bytes:
    """``FF AA 01 08 00``: take the current attitude as the angle reference."""
    return cmd_calibrate(CAL_ANGLE_REFERENCE)


def cmd_output_content(frame_types: Sequence[int]) -> bytes:
    """``FF AA 02 <RSW>``: which frame types the device sends (e.g. ``(0x51, 0x53)``)."""
    rsw = 0
    for frame_type in frame_types:
        if frame_type not in CONTENT_BITS:
            raise ValueError(f"frame type {frame_type:#x} cannot be enabled in RSW")
        rsw |= CONTENT_BITS[frame_type]
    return encode_command(REG_RSW, rsw)


def cmd_output_rate(rate_hz: float) -> bytes:
    """``FF AA 03 <code> 00`` for one of the rates in :data:`RATE_CODES`."""
    code = RATE_CODES.get(float(rate_hz))
    if code is None:
        allowed = ", ".join(f"{r:g}" for r in RATE_CODES)
        raise ValueError(f"WitMotion output rate {rate_hz} Hz is not one of {allowed}")
    return encode_command(REG_RRATE, code)


def cmd_baud(baud: int) -> bytes:
    """``FF AA 04 <code> 00``; reopen the port at the new rate afterwards."""
    code = BAUD_CODES.get(baud)
    if code is None:
        raise ValueError(f"WitMotion baud {baud} is not one of {sorted(BAUD_CODES)}")
    return encode_command(REG_BAUD, code)


def cmd_orientation(vertical: bool) -> bytes:
    """``FF AA 23 0x 00``: installation direction (0 horizontal, 1 vertical)."""
    return encode_command(REG_ORIENT, int(vertical))


def cmd_algorithm(six_axis: bool) -> bytes:
    """``FF AA 24 0x 00``: 0 = 9-axis fusion, 1 = 6-axis (no magnetometer)."""
    return encode_command(REG_AXIS6, int(six_axis))


def cmd_read_registers(address: int) -> bytes:
    """``FF AA 27 <addr low> <addr high>``: the device answers one 0x5F frame holding the
    four registers from ``address``."""
    return encode_command(REG_READ, address)


# ------------------------------------------------------------------ frames
def _checksums(rows: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    sums: npt.NDArray[np.uint8] = rows[:, :10].sum(axis=1, dtype=np.uint8)
    return sums


def encode_frames(types: npt.ArrayLike, words: npt.ArrayLike) -> bytes:
    """Frames for many (type, four int16 words) pairs, concatenated in order.

    Parameters
    ----------
    types : array_like of int, shape (n,)
    words : array_like of int, shape (n, 4)
        Raw words, wrapped to int16.
    """
    type_arr = np.asarray(types, dtype=np.uint8).reshape(-1)
    word_arr = np.asarray(words, dtype=np.int64).reshape(-1, 4).astype("<i2")
    if len(type_arr) != len(word_arr):
        raise ValueError("types and words must have the same length")
    rows = np.empty((len(type_arr), FRAME_LEN), dtype=np.uint8)
    rows[:, 0] = HEADER
    rows[:, 1] = type_arr
    rows[:, 2:10] = word_arr.view(np.uint8).reshape(-1, 8)
    rows[:, 10] = _checksums(rows)
    return rows.tobytes()


def encode_frame(frame_type: int, words: Sequence[int]) -> bytes:
    """One frame: ``55 <type> <4 × int16 LE> <sum>``."""
    if len(words) != 4:
        raise ValueError("a WitMotion frame carries exactly four words")
    return encode_frames([frame_type], [list(words)])


def _scaled(values: npt.ArrayLike, full_range: float) -> npt.NDArray[np.int64]:
    raw = np.rint(np.asarray(values, dtype=np.float64) / full_range * FULL_SCALE)
    clipped: npt.NDArray[np.int64] = np.clip(raw, -32768, 32767).astype(np.int64)
    return clipped


def _temperature_raw(temp_c: npt.ArrayLike) -> npt.NDArray[np.int64]:
    return _scaled(temp_c, FULL_SCALE / 100.0)


def _triple_frames(
    frame_type: int, xyz: npt.ArrayLike, full_range: float, last: npt.ArrayLike
) -> bytes:
    values = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    words = np.empty((len(values), 4), dtype=np.int64)
    words[:, :3] = _scaled(values, full_range)
    words[:, 3] = np.broadcast_to(np.asarray(last, dtype=np.int64), len(values))
    return encode_frames(np.full(len(values), frame_type), words)


def encode_acc(acc_g: npt.ArrayLike, temp_c: npt.ArrayLike = 25.0) -> bytes:
    """0x51 frame(s) from acceleration ``(…, 3)`` in g and temperature in °C."""
    return _triple_frames(ACC, acc_g, ACC_RANGE_G, _temperature_raw(temp_c))


def encode_gyro(rate_dps: npt.ArrayLike, temp_c: npt.ArrayLike = 25.0) -> bytes:
    """0x52 frame(s) from angular rate ``(…, 3)`` in °/s and temperature in °C."""
    return _triple_frames(GYRO, rate_dps, GYRO_RANGE_DPS, _temperature_raw(temp_c))


def wrap_deg(angle_deg: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Angles wrapped to [-180, 180) degrees."""
    wrapped: npt.NDArray[np.float64] = (
        np.mod(np.asarray(angle_deg, dtype=np.float64) + 180.0, 360.0) - 180.0
    )
    return wrapped


def encode_angle(angles_deg: npt.ArrayLike, version: npt.ArrayLike = 0) -> bytes:
    """0x53 frame(s) from roll, pitch, yaw ``(…, 3)`` in degrees and the version word."""
    return _triple_frames(ANGLE, wrap_deg(angles_deg), ANGLE_RANGE_DEG, version)


def encode_mag(counts: npt.ArrayLike, temp_c: npt.ArrayLike = 25.0) -> bytes:
    """0x54 frame(s) from raw magnetic counts ``(…, 3)`` and temperature in °C."""
    values = np.asarray(counts, dtype=np.float64).reshape(-1, 3)
    words = np.empty((len(values), 4), dtype=np.int64)
    words[:, :3] = np.clip(np.rint(values), -32768, 32767)
    words[:, 3] = np.broadcast_to(_temperature_raw(temp_c), len(values))
    return encode_frames(np.full(len(values), MAG), words)


def encode_quaternion(q: npt.ArrayLike) -> bytes:
    """0x59 frame(s) from unit quaternions ``(…, 4)``."""
    values = np.asarray(q, dtype=np.float64).reshape(-1, 4)
    return encode_frames(np.full(len(values), QUATERNION), _scaled(values, 1.0))


def encode_readback(registers: Sequence[int]) -> bytes:
    """0x5F reply carrying four register values (uint16, sent as LE words)."""
    if len(registers) != 4:
        raise ValueError("a read-back frame carries exactly four registers")
    words = [((r & 0xFFFF) ^ 0x8000) - 0x8000 for r in registers]
    return encode_frame(READBACK, words)


def encode_time(moment: _dt.datetime) -> bytes:
    """0x50 frame: YY MM DD hh mm ss (u8) and milliseconds (u16)."""
    payload = bytes(
        (
            moment.year - 2000,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
        )
    ) + (moment.microsecond // 1000).to_bytes(2, "little")
    body = bytes((HEADER, TIME)) + payload
    return body + bytes((sum(body) & 0xFF,))


# ------------------------------------------------------------------ decoding helpers
def frames_array(types: npt.ArrayLike, words: npt.ArrayLike) -> npt.NDArray[np.void]:
    """Type bytes ``(n,)`` and raw words ``(n, 4)`` as one :data:`WIT_FRAME_DTYPE` array."""
    type_arr = np.asarray(types, dtype=np.uint8)
    frames = np.empty(len(type_arr), dtype=WIT_FRAME_DTYPE)
    frames["type"] = type_arr
    frames["words"] = np.asarray(words).reshape(-1, 4)
    return frames


def words_scaled(words: npt.NDArray[Any], full_range: float) -> npt.NDArray[np.float64]:
    """The first three words as physical values (``raw / 32768 × full_range``)."""
    scaled: npt.NDArray[np.float64] = words[:, :3].astype(np.float64) * (full_range / FULL_SCALE)
    return scaled


def temperature_c(words: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Word 3 of 0x51/0x52/0x54 frames in °C (new firmware: raw / 100)."""
    temp: npt.NDArray[np.float64] = words[:, 3].astype(np.float64) / 100.0
    return temp


def registers_u16(words: npt.NDArray[Any]) -> npt.NDArray[np.uint16]:
    """0x5F payload words as unsigned register values."""
    regs: npt.NDArray[np.uint16] = words.astype(np.uint16)
    return regs


class WitCommandParser:
    """Device-side parser of ``FF AA <reg> <lo> <hi>`` commands, for emulators.

    Uses the same drop-one-byte rule as the official firmware parsers: bytes that do not
    start ``FF AA`` are discarded one at a time. :meth:`feed` returns ``(register, value)``
    pairs (value as uint16).
    """

    def __init__(self) -> None:
        self._buf = b""
        self.dropped_bytes = 0

    def feed(self, data: bytes) -> list[tuple[int, int]]:
        """Commands completed by ``data``."""
        buf = self._buf + bytes(data)
        commands: list[tuple[int, int]] = []
        pos = 0
        while len(buf) - pos >= 5:
            if buf[pos] == 0xFF and buf[pos + 1] == 0xAA:
                commands.append((buf[pos + 2], buf[pos + 3] | (buf[pos + 4] << 8)))
                pos += 5
            else:
                pos += 1
                self.dropped_bytes += 1
        self._buf = buf[pos:]
        return commands

    @property
    def pending(self) -> int:
        """Bytes kept for an incomplete command."""
        return len(self._buf)


def host_commands(data: bytes) -> tuple[list[tuple[int, int]], int]:
    """What a host sent to a WIT-standard device: ``(register, value)`` commands and stray bytes.

    Used by tests and emulators to prove what a driver wrote: e.g. that connecting sent only
    register reads (``register == REG_READ``). Stray bytes are those not part of a complete
    ``FF AA`` command (a legacy 3-byte command shows up as such).
    """
    parser = WitCommandParser()
    commands = parser.feed(data)
    return commands, parser.dropped_bytes + parser.pending
