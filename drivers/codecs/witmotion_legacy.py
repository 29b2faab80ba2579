"""WT61 / JY61 / BWT61 legacy firmware: 3-byte commands and the temperature formula.

The six-axis WitMotion sensors with the older MPU6050 firmware send the same 11-byte 0x55
frames as the WIT-standard devices, but only 0x51 (acceleration), 0x52 (angular rate) and
0x53 (angle), and word 3 of *every* frame - also of 0x53, where newer firmware puts its
version - is the chip temperature, ``T = raw / 340 + 36.53 °C`` (BWT61CL datasheet;
devices.md §1.3, §1.6). They have no register map: nothing can be read back, and commands
are three bytes, ``FF AA <code>``, acted on at once and kept in flash (devices.md §1.6 [S]):

====  ==========================================================
code  effect
====  ==========================================================
0x52  zero the Z angle (yaw)
0x67  accelerometer calibration (sensor lying level and still)
0x60  toggle sleep
0x61  serial (UART) output; 0x62 I²C output
0x63  115200 baud and 100 Hz output (the factory default)
0x64  9600 baud and 20 Hz output
0x65  horizontal mounting; 0x66 vertical mounting
====  ==========================================================

A command sent at the wrong baud rate is simply ignored by the sensor.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt

ZERO_YAW: Final = 0x52
CALIBRATE_ACCEL: Final = 0x67
TOGGLE_SLEEP: Final = 0x60
OUTPUT_UART: Final = 0x61
OUTPUT_I2C: Final = 0x62
FAST_115200_100HZ: Final = 0x63
SLOW_9600_20HZ: Final = 0x64
MOUNT_HORIZONTAL: Final = 0x65
MOUNT_VERTICAL: Final = 0x66

PRESETS: Final = {FAST_115200_100HZ: (115200, 100.0), SLOW_9600_20HZ: (9600, 20.0)}
"""The two rate presets: command code → (baud rate, output rate in Hz)."""
FRAME_TYPES: Final = (0x51, 0x52, 0x53)
"""The only frame types legacy firmware sends."""

TEMPERATURE_SCALE: Final = 340.0
TEMPERATURE_OFFSET_C: Final = 36.53


def command(code: int) -> bytes:
    """``FF AA <code>``: one legacy command (see the module docstring)."""
    if not 0 <= code <= 0xFF:
        raise ValueError(f"legacy command {code:#x} is outside 0x00-0xFF")
    return bytes((0xFF, 0xAA, code))


def preset_for(rate_hz: float) -> int:
    """The command that selects ``rate_hz`` (20 or 100 Hz: the only two the firmware has)."""
    for code, (_baud, rate) in PRESETS.items():
        if float(rate_hz) == rate:
            return code
    raise ValueError(f"a WT61/JY61 sensor can only be set to 20 Hz or 100 Hz, not {rate_hz:g}")


def temperature_c(raw: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Legacy temperature word → °C (``raw / 340 + 36.53``)."""
    values: npt.NDArray[np.float64] = (
        np.asarray(raw, dtype=np.float64) / TEMPERATURE_SCALE + TEMPERATURE_OFFSET_C
    )
    return values


def temperature_raw(temp_c: float) -> int:
    """°C → the legacy temperature word (inverse of :func:`temperature_c`)."""
    return round((temp_c - TEMPERATURE_OFFSET_C) * TEMPERATURE_SCALE)


class LegacyCommandParser:
    """Device-side parser of ``FF AA <code>`` commands (for the WT61 emulator).

    Bytes that do not start ``FF AA`` are dropped one at a time, like the firmware does.
    """

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[int]:
        """Command codes completed by ``data``."""
        buf = self._buf + bytes(data)
        codes: list[int] = []
        pos = 0
        while len(buf) - pos >= 3:
            if buf[pos] == 0xFF and buf[pos + 1] == 0xAA:
                codes.append(buf[pos + 2])
                pos += 3
            else:
                pos += 1
        self._buf = buf[pos:]
        return codes
