"""The small-batch path of :class:`drivers.codecs.lineplate.LinePlateCodec` (issue 18 §3).

A 1 kHz plate read every few milliseconds gives 1-10 ``$FP`` lines per call, and the
vectorised path pays some thirty numpy calls whatever the size. In the steady state - only
well-formed ``$FP`` lines with correct checksums, the tail a clean partial line, the
continuity track locked and every line a plausible step from the last - the outcome is
known, so it is computed here in plain Python: the same structure check (one regular
expression over the batch), the same XOR, the same range and continuity limits
(:class:`~.lineplate_checks.PlateLimits`), the same counters, sequence bookkeeping and
track state. Anything else returns None *before any state changed* and the vectorised
path decides. Equivalence is tested (``tests/drivers/test_codec_lineplate_fast.py``).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import reduce
from operator import xor
from typing import TYPE_CHECKING, Any, Final

import numpy as np

from drivers.codecs import lineplate_wire as wire
from drivers.codecs.lineplate_checks import (
    CLOCK_SLACK_US,
    CLOCK_TOLERANCE,
    MAX_FORCE_RATE_N_PER_S,
    MAX_GAP_S,
    STEP_FLOOR_FRACTION,
)

if TYPE_CHECKING:
    from drivers.codecs.lineplate import LineBatch, LinePlateCodec

MAX_LINES: Final = 12
"""Calls completing up to this many lines take the small-batch path."""
MAX_BYTES: Final = MAX_LINES * wire.MAX_LINE
STEADY_LINES: Final = 4
"""From this many lines the column-wise test (:func:`_steady`) is cheaper than row by row."""
_SAMPLE = struct.Struct("<dqqqqqq")
_M: Final = wire.SEQ_MODULUS
_LIMIT: Final = wire.COUNT_LIMIT


_BOUND: dict[str, Any] = {}
"""What :mod:`.lineplate` hands over at import (:func:`bind`): it imports this module."""


def bind(**names: Any) -> None:
    """Receive ``LineBatch``, ``LINE_SAMPLE_DTYPE`` and the structure regex from the codec
    module (a function-level import per call would cost more than the decoding)."""
    _BOUND.update(names)


def feed(codec: LinePlateCodec, data: bytes, t_host_s: float) -> LineBatch | None:
    """The batch the vectorised path would return, or None when it must decide itself."""
    buf = codec._residual + data
    cut = max(buf.rfind(b"\n"), buf.rfind(b"\r")) + 1
    tail = buf[cut:]
    # The tail must be a clean start of a line (what _keep_tail keeps without counting).
    if tail and (tail[0] != 0x24 or tail.count(b"$") != 1 or len(tail) > wire.MAX_LINE):
        return None
    if cut == 0:
        codec._residual = tail
        empty: LineBatch = _BOUND["LineBatch"]()
        return empty
    text = buf[:cut]
    if b"\r" in text:
        text = text.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    text = text[1:] if text[:1] == b"\n" else text
    if len(text) > MAX_BYTES or not _BOUND["clean"](text):
        return None
    lines = text[:-1].split(b"\n")
    count = len(lines)
    if count > MAX_LINES:
        return None
    if count <= 2:
        for line in lines:  # the XOR of the body against its two hex digits
            if reduce(xor, line[1:-3], 0) != int(line[-2:], 16):
                return None
    else:  # one numpy call XORs every body at once
        bounds: list[int] = []
        at = 0
        for line in lines:
            bounds += (at + 1, at + len(line) - 3)
            at += len(line) + 1
        sums = np.bitwise_xor.reduceat(np.frombuffer(text, np.uint8), bounds)[0::2].tolist()
        for value, line in zip(sums, lines, strict=True):
            if value != int(line[-2:], 16):
                return None
    # Six numbers per line (the checksum digits are not parsed).
    numbers = list(map(int, b",".join([line[4:-3] for line in lines]).split(b",")))
    seqs, clocks = numbers[0::6], numbers[1::6]
    if max(seqs) >= _M or max(clocks) >= _M:
        return None
    if not codec.check_plausibility:
        return None
    track = codec._track
    if not track.locked or track._last is None or track._jumping:
        return None
    last = track._last[0].tolist()
    rows = [numbers[k : k + 6] for k in range(0, 6 * count, 6)]
    steady = count >= STEADY_LINES and _steady(codec, last, numbers, seqs, clocks)
    if not (steady or _plausible(codec, last, rows)):
        return None
    # Accepted whole: the state the vectorised path leaves.
    track._last[0] = rows[-1]
    track._misses = 0
    codec.lines += count
    _count_seq(codec, rows)
    codec._residual = tail
    packed = b"".join([_SAMPLE.pack(t_host_s, *r) for r in rows])
    samples = np.frombuffer(bytearray(packed), dtype=_BOUND["dtype"])
    batch: LineBatch = _BOUND["LineBatch"](samples, [])
    return batch


def _steady(
    codec: LinePlateCodec,
    last: list[float],
    numbers: list[int],
    seqs: list[int],
    clocks: list[int],
) -> bool:
    """The usual case judged a column at a time: consecutive ``seq``, clock steps of one
    period, every cell step and range within the limits. True implies that
    :func:`_plausible` would accept every row (the limits are compared through min/max,
    which scaling by a positive factor preserves); False only means "look row by row"."""
    _gap, period, scales, cap, floor = _constants(codec)
    first = int(last[0])
    if period is None or seqs != list(range(first + 1, first + 1 + len(seqs))):
        return False
    steps = [b - a for a, b in zip([int(last[1]), *clocks[:-1]], clocks, strict=True)]
    slack = CLOCK_TOLERANCE * period + CLOCK_SLACK_US
    if min(steps) < 0 or abs(max(steps) - period) > slack or abs(min(steps) - period) > slack:
        return False
    columns = [numbers[c::6] for c in range(2, 6)]
    for column in columns:
        if max(column) > _LIMIT or min(column) < -_LIMIT:
            return False
    if scales is None:
        return True
    allowed = MAX_FORCE_RATE_N_PER_S * (period * 1e-6) + floor
    totals = [
        a * scales[0] + b * scales[1] + c * scales[2] + d * scales[3]
        for a, b, c, d in zip(*columns, strict=True)
    ]
    if min(totals) < -0.10 * cap or max(totals) > 1.25 * cap:
        return False
    for column, scale, previous in zip(columns, scales, last[2:], strict=True):
        if min(column) * scale < -0.25 * cap or max(column) * scale > 1.25 * cap:
            return False
        changes = [abs(b - a) for a, b in zip([previous, *column[:-1]], column, strict=True)]
        if max(changes) * scale > allowed:
            return False
    return True


def _constants(codec: LinePlateCodec) -> tuple[Any, ...]:
    """The limits as Python numbers (cached while the codec keeps the same limits)."""
    limits = codec.limits
    cached = codec.__dict__.get("_fast_limits")
    if cached is not None and cached[0] is limits:
        return cached[1]  # type: ignore[no-any-return]
    scales = None if limits.scales is None else limits.scales.tolist()
    cap = limits.capacity_n
    values = (limits.max_gap, limits.period_us, scales, cap, STEP_FLOOR_FRACTION * cap)
    codec.__dict__["_fast_limits"] = (limits, values)
    return values


def _plausible(codec: LinePlateCodec, last: Sequence[float], rows: list[list[int]]) -> bool:
    """Range and continuity of every row, the locked track's steady-state test."""
    max_gap, period, scales, cap, floor = _constants(codec)
    previous = last
    for row in rows:
        cells = row[2:]
        if max(cells) > _LIMIT or min(cells) < -_LIMIT:
            return False
        dseq = (row[0] - previous[0]) % _M
        if not 1 <= dseq <= max_gap:
            return False
        dt_us = (row[1] - previous[1]) % _M
        if period is not None:
            expected = dseq * period
            if abs(dt_us - expected) > CLOCK_TOLERANCE * expected + CLOCK_SLACK_US:
                return False
            seconds = dseq * (period * 1e-6)
        else:
            seconds = min(dt_us * 1e-6, MAX_GAP_S)
        if scales is not None:
            forces = [c * s for c, s in zip(cells, scales, strict=True)]
            total = forces[0] + forces[1] + forces[2] + forces[3]
            if (
                min(forces) < -0.25 * cap
                or max(forces) > 1.25 * cap
                or total < -0.10 * cap
                or total > 1.25 * cap
            ):
                return False
            allowed = MAX_FORCE_RATE_N_PER_S * seconds + floor
            for c, p, s in zip(cells, previous[2:], scales, strict=True):
                if abs(c - p) * s > allowed:
                    return False
        previous = row
    return True


def _count_seq(codec: LinePlateCodec, rows: list[list[int]]) -> None:
    """Sequence bookkeeping of accepted rows, as :meth:`LinePlateCodec._count_seq`."""
    last = codec._last_seq
    max_gap = _constants(codec)[0]
    for row in rows:
        if last is not None:
            step = (row[0] - last) % _M
            if not 1 <= step < _M // 2:
                codec.seq_resets += 1
            elif step > max_gap:
                codec.seq_resyncs += 1
            else:
                codec.seq_gaps += step - 1
        last = row[0]
    codec._last_seq = last
