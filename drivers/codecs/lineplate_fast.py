"""The small-batch path of :class:`drivers.codecs.lineplate.LinePlateCodec` (issue 18 §3).

A 1 kHz plate read every few milliseconds gives 1-10 ``$FP`` lines per call, and the
vectorised path pays some thirty numpy calls whatever the size. In the steady state - only
well-formed ``$FP`` lines with correct checksums, the tail a clean partial line, the
continuity track locked and every line a plausible step from the last - the outcome is
known, so it is computed here in one call, :data:`feed`, in one of two versions that make
the same decisions:

``"c"`` (:data:`IMPLEMENTATION`): ``_lineplate_c``, compiled from ``_lineplate_c.c`` by
    ``setup.py`` where a C compiler was found at install. At a few lines per read, Python's
    own calls, look-ups and small objects are the cost (even the version below spends
    ~7 µs on a one-line read, twice what a naive ``readline`` parser does), so the whole
    decision - structure, checksum, numbers, checks, sequence counting, writing the
    samples - runs in C, and only the codec's attribute updates and the batch remain
    Python objects (~0.8 µs a one-line read). It also takes reads of up to
    ``_lineplate_c.MAX_BYTES`` (a whole 4 KiB serial read), where it beats numpy's fixed
    cost too.
``"python"``: :func:`feed_python`, where the module was not built (pip warns then):

    * structure: one compiled regular expression over the call's lines (cheaper than
      splitting and checking each field: ~0.4 µs a line);
    * checksum: the XOR of a body folded as one big integer (:func:`xor_fold`, ~0.5 µs
      against ~0.8 µs for a byte loop) against its two hex digits (a dict look-up);
    * numbers: ``int()`` of each field; reads of up to :data:`MAX_LINES` lines.

Common to both:

* range and continuity: the limits of :class:`~.lineplate_checks.PlateLimits`
  (:func:`constants`, cached until the codec's limits change; packed for C), compared in
  the same floating-point operations as the numpy code, so the decisions are bit-for-bit
  the same (integers below 2**53 are exact as doubles; the C code is built without fused
  multiply-adds or excess precision);
* the track's last row is kept between calls (``codec._fast_last``: a list, or six packed
  int64 from C) and handed back to the numpy track (:func:`sync`) before anything else
  reads it;
* samples are written into a per-codec block and handed out as slices (:func:`new_block`).

Anything else returns None *before any state changed* and the vectorised path decides: a
message line, garbage, a bad checksum, a line that fails a check, an unlocked track. Line
ends are CR LF or LF; a read ending in the CR of a CR LF is decided (the LF starts the next
read), any other CR - CR-only line ends - goes to the vectorised path. Equivalence with
the vectorised path is tested for both versions (``tests/drivers/test_codec_lineplate_fast*.py``).
"""

from __future__ import annotations

import math
import re
import struct
from types import ModuleType
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

MAX_LINES: Final = 16
"""Calls completing up to this many lines take the Python version of the small-batch path."""
MAX_BYTES: Final = MAX_LINES * (wire.MAX_LINE + 2)
_SAMPLE = struct.Struct("=dqqqqqq")
"""One row of ``LINE_SAMPLE_DTYPE`` (native byte order, as the dtype)."""
_SAMPLE_SIZE: Final = _SAMPLE.size
_ROW = struct.Struct("=6q")
"""The track's last row as the compiled version keeps it in ``codec._fast_last``."""
BLOCK_ROWS: Final = 2048
"""Samples per block of :func:`new_block` (112 KiB; a new block every 2 s at 1 kHz)."""
_M: Final = wire.SEQ_MODULUS
_LIMIT: Final = wire.COUNT_LIMIT
_MASKS: Final = tuple((1 << bits) - 1 for bits in (512, 256, 128, 64, 32, 16))
_HEX_DIGITS: Final = "0123456789ABCDEFabcdef"
_HEX_PAIR: Final = {
    (a + b).encode("ascii"): int(a + b, 16) for a in _HEX_DIGITS for b in _HEX_DIGITS
}
"""Two hex digits (either case) → their value; anything else is absent."""
_FIELDS: Final = rb"FP,(\d{1,10}),(\d{1,10}),(-?\d{1,10}),(-?\d{1,10}),(-?\d{1,10}),(-?\d{1,10})"
_LINE: Final = rb"\$(" + _FIELDS + rb")\*([0-9A-Fa-f]{2})"
_SHAPE: Final = re.compile(
    rb"\n?((?:" + _LINE + rb"(?:\r?\n|\r\Z))*)(?:\$[^$\r\n]{0,%d})?" % (wire.MAX_LINE - 1)
).fullmatch
"""Whole FP lines ended by CR LF or LF (the LF of a CR LF split by the last read first,
the CR of one split by this read last), then nothing or the start of a line."""
_LINES: Final = re.compile(_LINE).findall
"""Each line's body, its six numbers and its checksum digits."""
_new = object.__new__
_set = object.__setattr__

_BOUND: dict[str, Any] = {}
"""What :mod:`.lineplate` hands over at import (:func:`bind`): it imports this module."""


def bind(**names: Any) -> None:
    """Receive ``LineBatch``, ``LINE_SAMPLE_DTYPE`` and the shared empty samples from the
    codec module (a function-level import per call would cost more than the decoding)."""
    _BOUND.update(names)
    if _compiled is not None:
        _compiled.bind(names["LineBatch"], names["empty"], new_block, BLOCK_ROWS)


def xor_fold(body: bytes) -> int:
    """XOR of every byte of ``body`` (≤ 128 bytes), as :func:`.lineplate_wire.xor8`.

    The bytes are read as one integer and folded in halves (XOR commutes), so a line costs
    six big-integer operations instead of one Python step per byte.
    """
    x = int.from_bytes(body, "little")
    m512, m256, m128, m64, m32, m16 = _MASKS
    x = (x >> 512) ^ (x & m512)
    x = (x >> 256) ^ (x & m256)
    x = (x >> 128) ^ (x & m128)
    x = (x >> 64) ^ (x & m64)
    x = (x >> 32) ^ (x & m32)
    x = (x >> 16) ^ (x & m16)
    return ((x >> 8) ^ x) & 0xFF


def new_block(codec: LinePlateCodec) -> None:
    """Give the codec a new block of :data:`BLOCK_ROWS` samples.

    Each call's samples are a slice of the block, never handed out twice and never written
    again, so every batch owns its rows like a fresh array would, for a fraction of the cost
    of allocating one (the block is freed once no batch refers to it).
    """
    codec._block = bytearray(BLOCK_ROWS * _SAMPLE_SIZE)
    codec._block_rows = np.frombuffer(codec._block, dtype=_BOUND["dtype"])
    codec._block_next = 0


def sync(codec: LinePlateCodec) -> None:
    """Hand the track's last row kept in Python by :func:`feed` back to the track (before
    the vectorised path, a reset or anything else reads it)."""
    last = codec._fast_last
    if last is not None:
        codec._fast_last = None
        track_last = codec._track._last
        assert track_last is not None  # mirrored only while locked
        track_last[0] = _ROW.unpack(last) if type(last) is bytes else last


def constants(codec: LinePlateCodec) -> tuple[Any, ...]:
    """The codec's limits as the Python numbers :func:`feed_python` compares, and last, the
    same packed for the compiled version (cached on the codec until its ``limits``,
    ``check_plausibility`` or ``small_batch`` change).

    A scale or capacity that is not a finite number turns the small-batch path off: the
    numpy code rejects every line then (a comparison with NaN is false), which comparisons
    written as "beyond the limit" would let through.
    """
    limits = codec.limits
    period = limits.period_us
    scales = None if limits.scales is None else tuple(limits.scales.tolist())
    cap = limits.capacity_n
    floor = STEP_FLOOR_FRACTION * cap
    finite = math.isfinite(cap) and (scales is None or all(map(math.isfinite, scales)))
    values = (
        codec.small_batch and codec.check_plausibility and finite,
        limits.max_gap,
        period,
        # The clock and step limits of a one-sample step, in the numpy code's operations
        # (dseq * period with dseq = 1.0 is period itself).
        None if period is None else CLOCK_TOLERANCE * period + CLOCK_SLACK_US,
        None if period is None else MAX_FORCE_RATE_N_PER_S * (period * 1e-6) + floor,
        scales,
        cap,
        floor,
    )
    packed = None
    if _compiled is not None:
        packed = _compiled.pack(
            values, CLOCK_TOLERANCE, CLOCK_SLACK_US, MAX_FORCE_RATE_N_PER_S, MAX_GAP_S
        )
    codec._fast_constants = (*values, packed)
    return codec._fast_constants


def feed_python(
    codec: LinePlateCodec, data: bytes, consts: tuple[Any, ...], t_host_s: float
) -> Any:
    """The batch the vectorised path would return, or None when it must decide itself.

    The plain-Python version; :data:`feed` is the compiled one where it was built.
    """
    if not consts[0] or len(data) > MAX_BYTES:
        return None
    buf = codec._residual + bytes(data)
    # One match: whole FP lines, then nothing or a clean start of a line (what _keep_tail
    # keeps without counting).
    shape = _SHAPE(buf)
    if shape is None:
        return None
    cut = shape.end(1)
    tail = buf[cut:]
    batch: LineBatch = _new(_BOUND["LineBatch"])
    _set(batch, "messages", [])
    if cut == shape.start(1):
        codec._residual = tail
        _set(batch, "samples", _BOUND["empty"])
        return batch
    lines = _LINES(buf, shape.start(1), cut)
    if len(lines) > MAX_LINES:
        return None
    for line in lines:
        if xor_fold(line[0]) != _HEX_PAIR[line[7]]:
            return None
    _, max_gap, period, clock_tol, allowed_1, scales, cap, floor, _ = consts
    last: Any = codec._fast_last
    if last is None:
        track = codec._track
        if not track.locked or track._last is None or track._jumping:
            return None
        last = track._last[0].tolist()
    elif type(last) is bytes:  # kept by the compiled version
        last = _ROW.unpack(last)
    p_seq, p_t, p_a, p_b, p_c, p_d = last
    last_seq = codec._last_seq
    gaps = resets = resyncs = 0
    count = len(lines)
    start = codec._block_next
    if start + count > BLOCK_ROWS:
        new_block(codec)
        start = 0
    block, at = codec._block, start * _SAMPLE_SIZE
    pack = _SAMPLE.pack_into
    for line in lines:
        seq, t, a, b, c, d = map(int, line[1:7])
        if seq >= _M or t >= _M or max(a, b, c, d) > _LIMIT or min(a, b, c, d) < -_LIMIT:
            return None
        dseq = (seq - p_seq) % _M
        if dseq == 1 and period is not None:
            if abs((t - p_t) % _M - period) > clock_tol:
                return None
            allowed = allowed_1
        else:  # a gap: the general form of PlateLimits.step_ok
            if not 1 <= dseq <= max_gap:
                return None
            dt_us = (t - p_t) % _M
            if period is not None:
                expected = dseq * period
                if abs(dt_us - expected) > CLOCK_TOLERANCE * expected + CLOCK_SLACK_US:
                    return None
                seconds = dseq * (period * 1e-6)
            else:
                seconds = min(dt_us * 1e-6, MAX_GAP_S)
            allowed = MAX_FORCE_RATE_N_PER_S * seconds + floor
        if scales is not None:
            s0, s1, s2, s3 = scales
            f0, f1, f2, f3 = a * s0, b * s1, c * s2, d * s3
            total = f0 + f1 + f2 + f3
            if (
                min(f0, f1, f2, f3) < -0.25 * cap
                or max(f0, f1, f2, f3) > 1.25 * cap
                or total < -0.10 * cap
                or total > 1.25 * cap
                or abs(a - p_a) * s0 > allowed
                or abs(b - p_b) * s1 > allowed
                or abs(c - p_c) * s2 > allowed
                or abs(d - p_d) * s3 > allowed
            ):
                return None
        if last_seq is not None:  # as LinePlateCodec._count_seq
            step = (seq - last_seq) % _M
            if not 1 <= step < _M // 2:
                resets += 1
            elif step > max_gap:
                resyncs += 1
            else:
                gaps += step - 1
        last_seq = p_seq = seq
        p_t, p_a, p_b, p_c, p_d = t, a, b, c, d
        pack(block, at, t_host_s, seq, t, a, b, c, d)
        at += _SAMPLE_SIZE
    # -- every line accepted: leave the state exactly as the vectorised path would
    codec._fast_last = [p_seq, p_t, p_a, p_b, p_c, p_d]
    codec._track._misses = 0
    codec._last_seq = last_seq
    codec.seq_gaps += gaps
    codec.seq_resets += resets
    codec.seq_resyncs += resyncs
    codec.lines += count
    codec._residual = tail
    codec._block_next = start + count
    _set(batch, "samples", codec._block_rows[start : start + count])
    return batch


def _load_compiled() -> ModuleType | None:
    """The compiled small-batch path, if it was built and agrees with the wire constants."""
    try:
        from drivers.codecs import _lineplate_c
    except ImportError:  # installed without a C compiler: the Python version decides
        return None
    if (
        _lineplate_c.SEQ_MODULUS != wire.SEQ_MODULUS
        or _lineplate_c.COUNT_LIMIT != wire.COUNT_LIMIT
        or _lineplate_c.MAX_LINE != wire.MAX_LINE
        or _lineplate_c.SAMPLE_SIZE != _SAMPLE_SIZE
    ):
        return None  # built from another version of the protocol constants
    return _lineplate_c


_compiled = _load_compiled()
IMPLEMENTATION: str = "c" if _compiled is not None else "python"
"""Which small-batch path :data:`feed` is: ``"c"`` (the compiled ``_lineplate_c``) or
``"python"`` (:func:`feed_python`, where no C compiler was available at install)."""
feed: Any = _compiled.feed if _compiled is not None else feed_python
"""``feed(codec, data, consts, t_host_s)``: the batch the vectorised path would return, or
None (no state changed) when it must decide itself; both versions decide alike."""
