"""Naive reference parsers for the codec bench: what a first implementation would write.

Both decode to the same physical values as the codecs, one item at a time in pure Python,
without the codecs' plausibility checks, so the ratio shown by the bench is a lower bound
of what the codecs gain.

* :class:`NaiveWitParser` follows the vendor's own Python example (devices.md §1.5): bytes
  go one at a time into a list; a frame is checked (header, type, 8-bit sum) once the list
  holds eleven bytes, and every frame is unpacked and scaled.
* :class:`NaiveLineParser` is a ``readline`` loop: split at line ends, check ``$…*hh`` with
  a character-by-character XOR, ``int()`` each field.
"""

from __future__ import annotations

import struct
from functools import reduce
from operator import xor

_WORDS = struct.Struct("<hhhh")
_SCALE = {0x51: 16 / 32768, 0x52: 2000 / 32768, 0x53: 180 / 32768}


class NaiveWitParser:
    """Byte-at-a-time WitMotion parser (the vendor example's strategy)."""

    def __init__(self) -> None:
        self._buf: list[int] = []
        self.frames = 0

    def feed(self, data: bytes) -> list[tuple[int, tuple[float, ...]]]:
        """Decoded ``(type, values)`` of the frames completed by ``data``."""
        out: list[tuple[int, tuple[float, ...]]] = []
        buf = self._buf
        for byte in data:
            buf.append(byte)
            if (len(buf) == 1 and buf[0] != 0x55) or (
                len(buf) == 2 and not 0x50 <= buf[1] <= 0x5F
            ):
                del buf[0]
            elif len(buf) == 11:
                if sum(buf[:10]) & 0xFF == buf[10]:
                    words = _WORDS.unpack(bytes(buf[2:10]))
                    scale = _SCALE.get(buf[1])
                    values = tuple(w * scale for w in words[:3]) if scale else words
                    out.append((buf[1], (*values, words[3] / 100)))
                    self.frames += 1
                    buf.clear()
                else:
                    del buf[0]
        return out


class NaiveLineParser:
    """``readline``-style parser of ``$FP`` lines."""

    def __init__(self) -> None:
        self._tail = b""
        self.lines = 0

    def feed(self, data: bytes) -> list[tuple[int, ...]]:
        """``(seq, t_us, TR, BR, TL, BL)`` of the valid FP lines completed by ``data``."""
        *lines, self._tail = (self._tail + data).split(b"\n")
        out: list[tuple[int, ...]] = []
        for raw in lines:
            line = raw.strip()
            if not line.startswith(b"$") or b"*" not in line:
                continue
            body, _, checksum = line[1:].partition(b"*")
            try:
                if reduce(xor, body, 0) != int(checksum, 16):
                    continue
                fields = body.decode("ascii").split(",")
                if fields[0] == "FP" and len(fields) == 7:
                    out.append(tuple(int(v) for v in fields[1:]))
                    self.lines += 1
            except ValueError:
                continue
        return out
