"""Rion-family "0x68" wire format: packed-BCD angles, request and reply encoders.

Frame, both directions (devices.md §2.1)::

    68 LEN ADDR CMD DATA… CS        total LEN + 1 bytes
    CS = (LEN + ADDR + CMD + DATA…) & 0xFF       (excludes 0x68 and itself)

A reply carries the request's command with bit 7 set (0x04 → 0x84). Angles are packed
BCD with the sign in the top nibble of the first byte (0 = +, 1 = −): three bytes for
±XXX.XX (0.01°) or four bytes for ±XXX.XXXX (0.0001°, HCA726 / ACA826T).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
import numpy.typing as npt

# fmt: off
__all__ = [
    "BAUD_CODES", "CMD_BAUD", "CMD_COMPASS", "CMD_OUTPUT_MODE", "CMD_QUERY_ZERO",
    "CMD_READ_ANGLES", "CMD_READ_X", "CMD_READ_Y", "CMD_SET_ZERO", "DIGITS", "HEADER",
    "MAX_LEN", "MIN_LEN", "REPLY_BIT", "SCALE", "decode_bcd", "encode_angle_replies",
    "encode_bcd", "encode_frame", "encode_reply", "req_baud", "req_output_mode",
    "req_query_zero", "req_read_angles", "req_read_x", "req_read_y", "req_set_zero",
]
# fmt: on

HEADER: Final = 0x68
MIN_LEN: Final = 4
MAX_LEN: Final = 40
"""Largest LEN accepted; a larger LEN is treated as noise (drop one byte)."""
REPLY_BIT: Final = 0x80

CMD_READ_X, CMD_READ_Y, CMD_READ_ANGLES = 0x01, 0x02, 0x04
CMD_SET_ZERO, CMD_COMPASS, CMD_BAUD, CMD_OUTPUT_MODE, CMD_QUERY_ZERO = 0x05, 0x07, 0x0B, 0x0C, 0x0D

BAUD_CODES: Final = {2400: 0x00, 4800: 0x01, 9600: 0x02, 19200: 0x03, 38400: 0x04, 115200: 0x05}
"""Baud → code of command 0x0B. 9600 = 0x02 is the documented one; the others come from
a single source whose checksums were wrong (devices.md §2.1) - confirm per model."""

DIGITS: Final = {3: 5, 4: 7}
SCALE: Final = {3: 100.0, 4: 10000.0}


def encode_frame(command: int, data: bytes = b"", address: int = 0) -> bytes:
    """``68 LEN ADDR CMD DATA CS`` for any command (request or reply)."""
    length = 4 + len(data)
    if length > 0xFF:
        raise ValueError("Rion frame data too long")
    body = bytes((length, address & 0xFF, command & 0xFF)) + bytes(data)
    return bytes((HEADER,)) + body + bytes((sum(body) & 0xFF,))


def req_read_angles(address: int = 0) -> bytes:
    """``68 04 00 04 08``: read all angles (reply command 0x84)."""
    return encode_frame(CMD_READ_ANGLES, b"", address)


def req_read_x(address: int = 0) -> bytes:
    """``68 04 00 01 05``: read the X angle only."""
    return encode_frame(CMD_READ_X, b"", address)


def req_read_y(address: int = 0) -> bytes:
    """``68 04 00 02 06``: read the Y angle only."""
    return encode_frame(CMD_READ_Y, b"", address)


def req_set_zero(relative: bool = False, address: int = 0) -> bytes:
    """``68 05 00 05 0x CS``: absolute (00) or relative (01) zero."""
    return encode_frame(CMD_SET_ZERO, bytes((int(relative),)), address)


def req_query_zero(address: int = 0) -> bytes:
    """``68 04 00 0D 11``: which zero mode is active."""
    return encode_frame(CMD_QUERY_ZERO, b"", address)


def req_output_mode(auto: bool, address: int = 0) -> bytes:
    """``68 05 00 0C 00 11`` answer (poll) mode / ``68 05 00 0C 01 12`` auto-output."""
    return encode_frame(CMD_OUTPUT_MODE, bytes((int(auto),)), address)


def req_baud(baud: int, address: int = 0) -> bytes:
    """``68 05 00 0B <code> CS`` (9600 → ``68 05 00 0B 02 12``)."""
    code = BAUD_CODES.get(baud)
    if code is None:
        raise ValueError(f"Rion baud {baud} is not one of {sorted(BAUD_CODES)}")
    return encode_frame(CMD_BAUD, bytes((code,)), address)


def encode_bcd(values: npt.ArrayLike, width: int = 3) -> npt.NDArray[np.uint8]:
    """Packed-BCD cells, shape ``(…, width)``, for angles in degrees.

    Values are rounded to the resolution (0.01° for width 3, 0.0001° for width 4) and
    clipped to the representable ±999.99 / ±999.9999.
    """
    if width not in DIGITS:
        raise ValueError("BCD width must be 3 or 4 bytes")
    arr = np.asarray(values, dtype=np.float64)
    digits = DIGITS[width]
    magnitude = np.clip(np.rint(np.abs(arr) * SCALE[width]), 0, 10**digits - 1).astype(np.int64)
    sign = (arr < 0) & (magnitude > 0)
    out = np.empty((*arr.shape, width), dtype=np.uint8)
    # Digits from least significant; two per byte, the first byte's high nibble is the sign.
    rest = magnitude
    for byte in range(width - 1, 0, -1):
        low = rest % 10
        rest = rest // 10
        high = rest % 10
        rest = rest // 10
        out[..., byte] = (high << 4) | low
    out[..., 0] = (sign.astype(np.uint8) << 4) | (rest % 10).astype(np.uint8)
    return out


_PAIR = np.full(256, -100000, dtype=np.int64)
"""Byte → its two BCD digits as 0-99, or a large negative marker when a nibble is > 9."""
_LEAD = np.full(256, -100000, dtype=np.int64)
"""First byte → its low digit (sign nibble 0 or 1), or the invalid marker."""
for _byte in range(256):
    _hi, _lo = _byte >> 4, _byte & 0x0F
    if _hi <= 9 and _lo <= 9:
        _PAIR[_byte] = 10 * _hi + _lo
    if _hi <= 1 and _lo <= 9:
        _LEAD[_byte] = _lo


def decode_bcd(
    cells: npt.NDArray[np.uint8],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """Angles (degrees) and validity from packed-BCD cells of shape ``(…, width)``.

    A cell is invalid when a digit nibble is above 9 or the sign nibble is not 0 or 1.
    """
    width = cells.shape[-1]
    if width not in DIGITS:
        raise ValueError("BCD width must be 3 or 4 bytes")
    value = _LEAD[cells[..., 0]]
    for byte in range(1, width):
        value = value * 100 + _PAIR[cells[..., byte]]
    valid = value >= 0
    degrees = value / SCALE[width]
    degrees = np.where(cells[..., 0] >= 0x10, -degrees, degrees)
    return degrees, valid


def encode_angle_replies(
    angles: npt.ArrayLike, width: int = 3, address: int = 0, command: int = CMD_READ_ANGLES
) -> bytes:
    """Reply frames (command | 0x80) for angle rows ``(n, k)``, concatenated.

    ``encode_angle_replies([[-2.87, -0.85, 159.22]])`` gives the real capture
    ``68 0D 00 84 10 02 87 10 00 85 01 59 22 3B``.
    """
    arr = np.asarray(angles, dtype=np.float64)
    arr = arr.reshape(1, -1) if arr.ndim == 1 else arr
    cells = encode_bcd(arr, width).reshape(len(arr), -1)
    length = 4 + cells.shape[1]
    rows = np.empty((len(arr), length + 1), dtype=np.uint8)
    rows[:, 0] = HEADER
    rows[:, 1] = length
    rows[:, 2] = address & 0xFF
    rows[:, 3] = (command | REPLY_BIT) & 0xFF
    rows[:, 4:length] = cells
    rows[:, length] = rows[:, 1:length].sum(axis=1, dtype=np.uint8)
    return rows.tobytes()


def encode_reply(command: int, data: bytes | Sequence[int] = b"", address: int = 0) -> bytes:
    """Reply to ``command`` (the reply command is ``command | 0x80``)."""
    return encode_frame(command | REPLY_BIT, bytes(data), address)
