"""DorsiLab line protocol (drivers/PROTOCOL.md): constants, checksum and encoders.

Device → host: ``$<body>*<hh>\\r\\n`` where ``hh`` is the XOR of the body's bytes (the
characters between ``$`` and ``*``) in two hex digits. Host → device: one command per line,
``?``, ``T``, ``R<hz>``, ``S``, ``G``, terminated by LF (CR LF accepted), no checksum.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import reduce
from operator import xor
from typing import Final

import numpy as np
import numpy.typing as npt

# fmt: off
__all__ = [
    "COUNT_LIMIT", "ERROR_TEXT", "ERR_BAD_ARGUMENT", "ERR_SENSOR", "ERR_TARE", "ERR_TOO_LONG",
    "ERR_UNKNOWN_COMMAND", "MAX_LINE", "PROTOCOL_VERSION", "RATE_RANGE_HZ", "SEQ_MODULUS",
    "HostCommandParser", "PlateInfo", "cmd_go", "cmd_query", "cmd_rate", "cmd_stop",
    "cmd_tare", "encode_err", "encode_fp", "encode_fp_lines", "encode_info", "encode_line",
    "encode_ok", "xor8",
]
# fmt: on

PROTOCOL_VERSION: Final = 1
MAX_LINE: Final = 100
"""Longest line in bytes, from ``$`` through ``*hh`` (terminator excluded)."""
SEQ_MODULUS: Final = 1 << 32
"""``seq`` and ``t_us`` are uint32 and wrap to 0 after 4294967295."""
COUNT_LIMIT: Final = 1 << 24
"""Largest plausible |cell value| (HX711: 24-bit counts, also after tare)."""
RATE_RANGE_HZ: Final = (1, 1000)

ERR_UNKNOWN_COMMAND, ERR_BAD_ARGUMENT, ERR_SENSOR, ERR_TARE, ERR_TOO_LONG = 1, 2, 3, 4, 5
ERROR_TEXT: Final = {
    ERR_UNKNOWN_COMMAND: "unknown command",
    ERR_BAD_ARGUMENT: "bad argument",
    ERR_SENSOR: "load cell amplifier not responding",
    ERR_TARE: "tare failed: keep the plate still and unloaded",
    ERR_TOO_LONG: "command too long",
}
"""Error codes of ``$ERR,<code>,<text>`` replies and their standard texts."""


def xor8(body: bytes) -> int:
    """NMEA-style checksum: XOR of every byte of ``body``."""
    return reduce(xor, body, 0)


def encode_line(fields: Iterable[object]) -> bytes:
    """``$f1,f2,…*hh\\r\\n`` (hex digits upper case)."""
    body = ",".join(str(f) for f in fields).encode("ascii")
    if b"$" in body or b"*" in body or len(body) + 4 > MAX_LINE:
        raise ValueError("line body must not contain '$' or '*' and must fit MAX_LINE")
    return b"$" + body + b"*%02X\r\n" % xor8(body)


def encode_fp(seq: int, t_us: int, tr: int, br: int, tl: int, bl: int) -> bytes:
    """One sample line ``$FP,seq,t_us,TR,BR,TL,BL*hh``; seq and t_us wrap at 2³²."""
    return encode_line(("FP", seq % SEQ_MODULUS, t_us % SEQ_MODULUS, tr, br, tl, bl))


def encode_fp_lines(seq: npt.ArrayLike, t_us: npt.ArrayLike, counts: npt.ArrayLike) -> bytes:
    """Many sample lines: ``seq`` and ``t_us`` of shape (n,), ``counts`` (n, 4) in the
    order TR, BR, TL, BL."""
    seq_arr = np.asarray(seq, dtype=np.int64) % SEQ_MODULUS
    t_arr = np.asarray(t_us, dtype=np.int64) % SEQ_MODULUS
    cells = np.asarray(counts, dtype=np.int64).reshape(-1, 4)
    out = []
    for s, t, (a, b, c, d) in zip(seq_arr.tolist(), t_arr.tolist(), cells.tolist(), strict=True):
        body = b"FP,%d,%d,%d,%d,%d,%d" % (s, t, a, b, c, d)
        out.append(b"$" + body + b"*%02X\r\n" % xor8(body))
    return b"".join(out)


@dataclass(frozen=True)
class PlateInfo:
    """Identity from a ``$INFO`` reply.

    Attributes
    ----------
    model, firmware : str
    rate_hz : float
        Current output rate.
    units : str
        ``"counts"`` (raw, tared ADC counts) or ``"g"``.
    protocol : int
        Line-protocol version (1 when the device does not say).
    serial : str
        Board serial number ("" when unknown).
    capacity_kg : float
        Rated capacity of the whole plate in kg (optional 7th field; 0 = not stated).
    """

    model: str
    firmware: str
    rate_hz: float
    units: str
    protocol: int = PROTOCOL_VERSION
    serial: str = ""
    capacity_kg: float = 0.0

    @classmethod
    def from_fields(cls, fields: Sequence[str]) -> PlateInfo:
        """From the fields after ``INFO``; raises ValueError when they do not fit."""
        if len(fields) < 4:
            raise ValueError("$INFO needs at least model, firmware, rate and units")
        protocol = int(fields[4]) if len(fields) > 4 and fields[4] else PROTOCOL_VERSION
        serial = fields[5] if len(fields) > 5 else ""
        capacity = float(fields[6]) if len(fields) > 6 and fields[6] else 0.0
        if not capacity >= 0.0 or capacity == float("inf"):
            raise ValueError("$INFO capacity must be a non-negative number of kg")
        return cls(fields[0], fields[1], float(fields[2]), fields[3], protocol, serial, capacity)


def encode_info(info: PlateInfo) -> bytes:
    """``$INFO,<model>,<firmware>,<rate_hz>,<units>,<protocol>,<serial>[,<capacity_kg>]*hh``."""
    fields: list[object] = [
        "INFO",
        info.model,
        info.firmware,
        f"{info.rate_hz:g}",
        info.units,
        info.protocol,
        info.serial,
    ]
    if info.capacity_kg:
        fields.append(f"{info.capacity_kg:g}")
    return encode_line(fields)


def encode_err(code: int, text: str | None = None) -> bytes:
    """``$ERR,<code>,<text>*hh`` (standard text when omitted)."""
    return encode_line(("ERR", code, text if text is not None else ERROR_TEXT.get(code, "")))


def encode_ok(command: str, *args: object) -> bytes:
    """``$OK,<command>[,args]*hh`` acknowledgement, e.g. ``$OK,R,80``."""
    return encode_line(("OK", command, *args))


# ------------------------------------------------------------------ host commands
def cmd_query() -> bytes:
    """``?`` → ``$INFO`` reply."""
    return b"?\r\n"


def cmd_tare() -> bytes:
    """``T``: zero every cell with the plate unloaded → ``$OK,T``."""
    return b"T\r\n"


def cmd_rate(rate_hz: int) -> bytes:
    """``R<hz>``: output rate in Hz (1-1000) → ``$OK,R,<hz>`` or ``$ERR,2,…``."""
    low, high = RATE_RANGE_HZ
    if not low <= int(rate_hz) <= high:
        raise ValueError(f"plate rate must be {low}-{high} Hz, not {rate_hz}")
    return b"R%d\r\n" % int(rate_hz)


def cmd_stop() -> bytes:
    """``S``: stop streaming → ``$OK,S``."""
    return b"S\r\n"


def cmd_go() -> bytes:
    """``G``: start streaming → ``$OK,G``."""
    return b"G\r\n"


class HostCommandParser:
    """Device-side splitter of host command lines, for emulators and tests.

    :meth:`feed` returns ``(command letter, argument text)`` pairs, e.g. ``("R", "80")``;
    empty lines are skipped, a line longer than 32 bytes yields ``("", "")`` (too long).
    """

    MAX_COMMAND: Final = 32

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[tuple[str, str]]:
        """Commands completed by ``data``."""
        self._buf += bytes(data)
        *lines, self._buf = self._buf.replace(b"\r", b"\n").split(b"\n")
        if len(self._buf) > self.MAX_COMMAND:
            self._buf = b""
            lines.append(b"x" * (self.MAX_COMMAND + 1))
        commands = []
        for raw in lines:
            text = raw.decode("ascii", "replace").strip()
            if not text:
                continue
            if len(raw) > self.MAX_COMMAND:
                commands.append(("", ""))
            else:
                commands.append((text[0], text[1:].strip()))
        return commands
