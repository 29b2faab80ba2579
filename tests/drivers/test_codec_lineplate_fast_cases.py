"""Each decision of the line plate's small-batch path, one crafted read at a time.

Every case runs against both versions (compiled and plain Python): a codec that has locked
on a clean stream gets the case's reads; the first read must be decided by the small-batch
path, or refused (None) with no state changed, and everything the codec returns over all the
reads must equal what the vectorised path returns for them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from drivers.calibration import STANDARD_GRAVITY
from drivers.codecs import lineplate as lp
from drivers.codecs import lineplate_fast as fast
from drivers.codecs.lineplate_checks import PlateLimits
from tests.drivers.lineplate_impls import COMPILED, IMPLEMENTATIONS, feed_of, using

PERIOD_US = 1000
START = 100
PRIMED = 20
NEXT = START + PRIMED
"""seq of the first line after priming (its t_us is NEXT * PERIOD_US)."""
CELLS = (17_500, 17_400, 17_600, 17_550)
SCALES = np.full(4, STANDARD_GRAVITY / 1000)  # grams
LIMITS = {
    "none": PlateLimits(),
    "rate": PlateLimits(rate_hz=1e6 / PERIOD_US),
    "grams": PlateLimits(rate_hz=1e6 / PERIOD_US, scales=SCALES, capacity_n=1962.0),
    "grams, no rate": PlateLimits(scales=SCALES, capacity_n=1962.0),
    "10 GHz": PlateLimits(rate_hz=1e10),  # max_gap beyond 2**32
}
M = lp.SEQ_MODULUS


def fp(seq: int | str = NEXT, t: int | None = None, cells: tuple[int | str, ...] = CELLS) -> bytes:
    """One FP line with its checksum, numbers written as given (out of range stays so)."""
    t = int(seq) * PERIOD_US % M if t is None else t
    return lp.encode_line(("FP", seq, t, *cells))


def lines(first: int, count: int, end: bytes = b"\r\n") -> bytes:
    return b"".join(fp(seq % M).replace(b"\r\n", end) for seq in range(first, first + count))


def _lower_case(read: bytes) -> bytes:
    lowered = re.sub(rb"\*([0-9A-F]{2})", lambda m: b"*" + m.group(1).lower(), read)
    assert lowered != read  # some checksum has a letter
    return lowered


def _with_checksum(line: bytes, digits: bytes) -> bytes:
    star = line.index(b"*")
    return line[: star + 1] + digits + line[star + 3 :]


def _flip_checksum(line: bytes) -> bytes:
    star = line.index(b"*")
    value = int(line[star + 1 : star + 3], 16) ^ 0x01
    return _with_checksum(line, b"%02X" % value)


def _reset(codec: lp.LinePlateCodec) -> None:
    codec.reset()


def _jumping(codec: lp.LinePlateCodec) -> None:
    fast.sync(codec)  # the track's row back in the track, as after the vectorised path
    codec._track._jumping = True


def _plausibility_off(codec: lp.LinePlateCodec) -> None:
    codec.check_plausibility = False


def _small_batch_off(codec: lp.LinePlateCodec) -> None:
    codec.small_batch = False


def _nan_scale(codec: lp.LinePlateCodec) -> None:
    codec.limits = PlateLimits(
        rate_hz=1e6 / PERIOD_US, scales=np.array([0.01, np.nan, 0.01, 0.01]), capacity_n=1962.0
    )


def _after_vectorised(codec: lp.LinePlateCodec) -> None:
    fast.sync(codec)  # the next read starts from the track's float64 row


def _last_seq(value: int | None) -> Callable[[lp.LinePlateCodec], None]:
    def prepare(codec: lp.LinePlateCodec) -> None:
        codec._last_seq = value

    return prepare


def _last_as_floats(codec: lp.LinePlateCodec) -> None:
    """The track's row kept as the Python version would take it from the track (floats)."""
    fast.sync(codec)
    track_last = codec._track._last
    assert track_last is not None
    codec._fast_last = track_last[0].tolist()


def _long_residual(codec: lp.LinePlateCodec) -> None:
    codec._residual = b"$" + b"x" * lp.MAX_LINE  # more than _keep_tail ever keeps


def _near_wrap(codec: lp.LinePlateCodec) -> None:
    """Re-prime on seq 2**32 - 3 … (the case then crosses the wrap)."""
    codec.reset()
    for seq in range(M - 8, M - 3):
        codec.feed(fp(seq), 0.0)


@dataclass(frozen=True)
class Case:
    reads: list[bytes]
    limits: str = "grams"
    decided: bool | dict[str, bool] = True
    """Whether the small-batch path decides the first read (per version where they differ)."""
    prepare: Callable[[lp.LinePlateCodec], None] | None = None
    expect: dict[str, int] = field(default_factory=lambda: {"lines": 1})
    """How much a decided first read changes the counters (those not named: not at all)."""


NEXT_LINE = fp()
C_ONLY = {"python": False, "c": True}
"""Reads the Python version leaves to numpy for their size (> 16 lines): only slower."""

CASES: dict[str, Case] = {
    # ---- decided
    "one line": Case([NEXT_LINE]),
    "lower-case checksums": Case(
        [_lower_case(b"".join(fp(NEXT + k, cells=(17_500 + k, 0, 0, -1)) for k in range(8)))],
        limits="rate",
        expect={"lines": 8},
    ),
    "LF only": Case([lines(NEXT, 3, b"\n")], expect={"lines": 3}),
    "CR LF split by the read": Case([NEXT_LINE[:-1], b"\n" + fp(NEXT + 1)[:-1], b"\n", b""]),
    "LF alone after a CR": Case([NEXT_LINE[:-1], b"\n"]),
    "empty read": Case([b"", NEXT_LINE], expect={}),
    "partial line only": Case([NEXT_LINE[:10], NEXT_LINE[10:]], expect={}),
    "partial line of MAX_LINE bytes": Case([NEXT_LINE + b"$" + b"x" * (lp.MAX_LINE - 1)]),
    "leading zeros up to 10 digits": Case([fp(f"{NEXT:010d}")]),
    "minus zero": Case([fp(cells=("-0", 0, 0, 0))], limits="rate"),
    "cells at the 24-bit limits": Case([fp(cells=(2**24, -(2**24), 2**24, -(2**24)))], "none"),
    "gap of 4 samples": Case([fp(NEXT + 4)], expect={"lines": 1, "seq_gaps": 4}),
    "clock exactly at its limit after a gap": Case(
        [fp(NEXT + 3, t=NEXT * PERIOD_US)], expect={"lines": 1, "seq_gaps": 3}
    ),
    "gap without a rate": Case(
        [fp(NEXT + 3, t=(NEXT + 3) * PERIOD_US + 700)],
        limits="grams, no rate",
        expect={"lines": 1, "seq_gaps": 3},
    ),
    "gap of more than 5 s of t_us without a rate": Case(
        [fp(NEXT + 2, t=NEXT * PERIOD_US + 7_000_000)],
        limits="grams, no rate",
        expect={"lines": 1, "seq_gaps": 2},
    ),
    "gap and steps without scales": Case(
        [fp(NEXT + 9, cells=(9_000_000, 0, -9_000_000, 1))],
        limits="rate",
        expect={"lines": 1, "seq_gaps": 9},
    ),
    "seq and t_us wrap at 2**32": Case(
        [lines(M - 3, 6)], prepare=_near_wrap, expect={"lines": 6}
    ),
    "first read after the vectorised path": Case(
        [lines(NEXT, 2)], prepare=_after_vectorised, expect={"lines": 2}
    ),
    "reset counted (seq behind the last counted)": Case(
        [NEXT_LINE], prepare=_last_seq(NEXT + 10), expect={"lines": 1, "seq_resets": 1}
    ),
    "resync counted (seq far past the last counted)": Case(
        [NEXT_LINE], prepare=_last_seq((NEXT - 6000) % M), expect={"lines": 1, "seq_resyncs": 1}
    ),
    "no seq counted yet": Case([NEXT_LINE], prepare=_last_seq(None)),
    "17 lines": Case([lines(NEXT, 17)], decided=C_ONLY, expect={"lines": 17}),
    "a 4 KiB read": Case([lines(NEXT, 90)], decided=C_ONLY, expect={"lines": 90}),
    "an 8 KiB read": Case([lines(NEXT, 180)], decided=C_ONLY, expect={"lines": 180}),
    "track row kept as floats": Case([NEXT_LINE], prepare=_last_as_floats),
    "max_gap beyond 2**32 (within the 2 ms clock slack)": Case([NEXT_LINE], "10 GHz"),
    "seq equal to the last counted": Case(
        [NEXT_LINE], prepare=_last_seq(NEXT), expect={"lines": 1, "seq_resets": 1}
    ),
    "last counted seq out of range": Case(
        [NEXT_LINE],
        prepare=_last_seq(M),
        decided={"python": True, "c": False},  # the compiled version only refuses
        expect={"lines": 1, "seq_gaps": NEXT - 1},
    ),
    # ---- left to the vectorised path
    "bad checksum": Case([_flip_checksum(NEXT_LINE), fp(NEXT + 1)], decided=False),
    "bad checksum digit": Case([_with_checksum(NEXT_LINE, b"G0")], decided=False),
    "checksum digit below 0": Case([_with_checksum(NEXT_LINE, b"/0")], decided=False),
    "11-digit number": Case([fp(f"{NEXT:011d}"), fp(NEXT + 1)], decided=False),
    "seq of 2**32": Case([fp(M, t=NEXT * PERIOD_US)], decided=False),
    "t_us of 10 digits beyond 2**32": Case([fp(t=9_999_999_999)], decided=False),
    "cell beyond 24 bits": Case([fp(cells=(2**24 + 1, 0, 0, 0))], limits="none", decided=False),
    "cell of -10 digits": Case([fp(cells=(0, -9_999_999_999, 0, 0))], "none", False),
    "negative seq": Case([fp(-NEXT, t=NEXT * PERIOD_US)], decided=False),
    "negative t_us": Case([fp(t=-NEXT * PERIOD_US)], decided=False),
    "CR-only line ends": Case([lines(NEXT, 2, b"\r")], decided=False),
    "CR inside the read": Case([NEXT_LINE[:-1] + fp(NEXT + 1)], decided=False),
    "garbage between lines": Case([NEXT_LINE + b"\x00\xff" + fp(NEXT + 1)], decided=False),
    "a message line": Case([lp.encode_ok("G") + NEXT_LINE], decided=False),
    "second $ in the partial line": Case([NEXT_LINE + b"$FP,1$FP,2"], decided=False),
    "partial line beyond MAX_LINE": Case([NEXT_LINE + b"$" + b"x" * lp.MAX_LINE], "grams", False),
    "more than the compiled version's bytes": Case(
        [lines(NEXT, 16_384 // len(NEXT_LINE) + 1)], decided=False
    ),
    "clock error": Case([fp(t=NEXT * PERIOD_US + 10_000), fp(NEXT + 1)], decided=False),
    "clock error after a gap": Case([fp(NEXT + 3, t=NEXT * PERIOD_US - 1)], decided=False),
    "step error": Case([fp(cells=(CELLS[0] + 60_000, *CELLS[1:]))], decided=False),
    "force beyond the capacity": Case([fp(cells=(300_000, *CELLS[1:]))], decided=False),
    "total below -10 % of the capacity": Case(
        [fp(cells=(-6_000, -6_000, -6_000, -6_000))], decided=False
    ),
    "gap beyond max_gap": Case([fp(NEXT + 6000)], decided=False),
    "seq repeated": Case([fp(NEXT - 1)], decided=False),
    "seq backwards": Case([fp(NEXT - 3)], limits="grams, no rate", decided=False),
    "partial line kept beyond MAX_LINE": Case(
        [NEXT_LINE], prepare=_long_residual, decided=False
    ),
    "track not locked": Case([NEXT_LINE], prepare=_reset, decided=False),
    "track judging a jump": Case([NEXT_LINE], prepare=_jumping, decided=False),
    "plausibility off": Case([NEXT_LINE], prepare=_plausibility_off, decided=False),
    "small batch off": Case([NEXT_LINE], prepare=_small_batch_off, decided=False),
    "a scale that is not a number": Case([NEXT_LINE], prepare=_nan_scale, decided=False),
}  # fmt: skip
for _k in range(4):

    def _cells(k: int, value: int) -> tuple[int, ...]:
        return tuple(value if j == k else c for j, c in enumerate(CELLS))

    CASES |= {
        f"cell {_k} beyond +24 bits": Case([fp(cells=_cells(_k, 2**24 + 1))], "none", False),
        f"cell {_k} beyond -24 bits": Case([fp(cells=_cells(_k, -(2**24) - 1))], "none", False),
        f"cell {_k} below -25 % of the capacity": Case(
            [fp(cells=_cells(_k, -60_000))], "grams", False
        ),
        f"cell {_k} beyond 125 % of the capacity": Case(
            [fp(cells=_cells(_k, 260_000))], "grams", False
        ),
        f"cell {_k} stepping too fast": Case(
            [fp(cells=_cells(_k, CELLS[_k] + 30_000))], "grams", False
        ),
        f"cell {_k} stepping just slowly enough": Case([fp(cells=_cells(_k, CELLS[_k] + 29_000))]),
    }

COUNTERS = (
    "lines", "dropped_bytes", "checksum_failures", "malformed", "implausible", "unconfirmed",
    "seq_gaps", "seq_resets", "seq_resyncs",
)  # fmt: skip


def _primed(limits: PlateLimits, small_batch: bool) -> lp.LinePlateCodec:
    """A codec that has locked on PRIMED clean lines, fed one line per read."""
    codec = lp.LinePlateCodec(limits)
    codec.small_batch = small_batch
    for seq in range(START, NEXT):
        codec.feed(fp(seq), 0.0)
    return codec


def _state(codec: lp.LinePlateCodec) -> tuple[Any, ...]:
    """Everything a refused read must leave alone (the block's free rows aside)."""
    track = codec._track
    last = codec._fast_last
    return (
        *(getattr(codec, name) for name in COUNTERS),
        codec._residual,
        codec._last_seq,
        tuple(last) if isinstance(last, list) else last,
        track.locked,
        None if track._last is None else track._last.tobytes(),
        track._misses,
        track._pending,
        track._jumping,
    )


def _outcome(batches: list[lp.LineBatch], codec: lp.LinePlateCodec) -> tuple[Any, ...]:
    samples = np.concatenate([b.samples for b in batches]).tobytes()
    messages = [(m.kind, m.fields, m.after_samples) for b in batches for m in b.messages]
    return samples, messages, [getattr(codec, name) for name in COUNTERS], codec.buffered


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("name", list(CASES))
def test_each_decision_equals_the_vectorised_path(name: str, implementation: str) -> None:
    case = CASES[name]
    decided = case.decided if isinstance(case.decided, bool) else case.decided[implementation]
    limits = LIMITS[case.limits]
    with using(implementation):
        codec = _primed(limits, True)
        if case.prepare is not None:
            case.prepare(codec)
        before = _state(codec)
        consts = codec._fast_constants or fast.constants(codec)
        first = feed_of(implementation)(codec, case.reads[0], consts, 1.0)
        if decided:
            assert first is not None
            changed = {
                name: getattr(codec, name) - value
                for name, value in zip(COUNTERS, before, strict=False)
                if getattr(codec, name) != value
            }
            assert changed == case.expect
        else:
            assert first is None
            assert _state(codec) == before
            first = codec.feed(case.reads[0], 1.0)
        batches = [first, *(codec.feed(r, 2.0 + k) for k, r in enumerate(case.reads[1:]))]
    reference = _primed(limits, False)
    if case.prepare is not None:
        case.prepare(reference)
    expected = [reference.feed(r, 1.0 + k) for k, r in enumerate(case.reads)]
    assert _outcome(batches, codec) == _outcome(expected, reference)


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_reads_of_other_byte_types_decode_alike(implementation: str, kind: type) -> None:
    with using(implementation):
        codec = _primed(LIMITS["grams"], True)
        batch = codec.feed(kind(lines(NEXT, 3)), 5.0)
    assert batch.samples["seq"].tolist() == [NEXT, NEXT + 1, NEXT + 2]
    assert batch.samples["t_host_s"].tolist() == [5.0] * 3


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_a_read_that_is_not_bytes_raises_as_before(implementation: str) -> None:
    with using(implementation):
        codec = _primed(LIMITS["grams"], True)
        with pytest.raises(TypeError):
            codec.feed("$FP,1,2,3,4,5,6*00\r\n", 0.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_one_line_reads_across_several_blocks(implementation: str) -> None:
    """Blocks of BLOCK_ROWS samples are replaced as they fill; no batch loses its rows."""
    count = 2 * fast.BLOCK_ROWS + 300
    with using(implementation):
        codec = lp.LinePlateCodec(LIMITS["grams"])
        batches = [codec.feed(fp(seq), float(seq)) for seq in range(count)]
    samples = np.concatenate([b.samples for b in batches])
    np.testing.assert_array_equal(samples["seq"], np.arange(count))
    np.testing.assert_array_equal(samples["t_host_s"], np.arange(count))
    assert codec.seq_gaps == codec.implausible == 0


def test_the_two_versions_hand_the_track_to_each_other() -> None:
    """Switching versions mid-stream (the track's last row is kept as a list by one, packed by
    the other) decodes as the vectorised path does."""
    if COMPILED is None:
        pytest.skip("drivers.codecs._lineplate_c was not built (no compiler)")
    stream = lines(0, 400)
    reads = [stream[i : i + 97] for i in range(0, len(stream), 97)]
    codec = lp.LinePlateCodec(LIMITS["grams"])
    batches = []
    for k, read in enumerate(reads):
        with using("c" if k // 7 % 2 else "python"):
            batches.append(codec.feed(read, float(k)))
    reference = lp.LinePlateCodec(LIMITS["grams"])
    reference.small_batch = False
    expected = [reference.feed(read, float(k)) for k, read in enumerate(reads)]
    assert _outcome(batches, codec) == _outcome(expected, reference)


def test_the_compiled_version_agrees_with_the_wire_constants() -> None:
    if COMPILED is None:
        pytest.skip("drivers.codecs._lineplate_c was not built (no compiler)")
    assert COMPILED.SEQ_MODULUS == lp.SEQ_MODULUS
    assert COMPILED.COUNT_LIMIT == lp.COUNT_LIMIT
    assert COMPILED.MAX_LINE == lp.MAX_LINE
    assert lp.LINE_SAMPLE_DTYPE.itemsize == COMPILED.SAMPLE_SIZE
    assert fast.IMPLEMENTATION == "c" and fast.feed is COMPILED.feed


def test_the_compiled_version_refuses_what_it_cannot_read() -> None:
    """Its arguments and state checks: errors for misuse, None for anything unusual."""
    if COMPILED is None:
        pytest.skip("drivers.codecs._lineplate_c was not built (no compiler)")
    codec = _primed(LIMITS["grams"], True)
    consts = codec._fast_constants or fast.constants(codec)
    before = _state(codec)
    with pytest.raises(TypeError):
        COMPILED.feed(codec, NEXT_LINE, consts)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        COMPILED.feed(codec, NEXT_LINE, list(consts), 0.0)  # type: ignore[arg-type]
    assert COMPILED.feed(codec, NEXT_LINE, (*consts[:-1], None), 0.0) is None  # not packed
    assert COMPILED.feed(codec, NEXT_LINE, consts, None) is None  # t_host_s: numpy's NaN
    assert COMPILED.feed(codec, NEXT_LINE, consts, "1.0") is None
    assert _state(codec) == before
    assert COMPILED.feed(codec, NEXT_LINE, consts, 7) is not None  # an int is a number
    assert codec.lines == before[0] + 1
    with pytest.raises(ValueError):
        COMPILED.pack(consts[:7], 0.25, 2000.0, 250_000.0, 5.0)
    with pytest.raises(ValueError):
        COMPILED.pack((*consts[:5], (1.0, 2.0), *consts[6:8]), 0.25, 2000.0, 250_000.0, 5.0)
    with pytest.raises(TypeError):
        COMPILED.pack((*consts[:2], "1000", *consts[3:8]), 0.25, 2000.0, 250_000.0, 5.0)
    with pytest.raises(ValueError):
        COMPILED.bind(lp.LineBatch, lp._EMPTY, fast.new_block, 10)  # blocks too small


def test_without_the_compiled_module_the_python_version_decides() -> None:
    """What an install without a C compiler gets (the module is simply absent)."""
    code = (
        "import sys; sys.modules['drivers.codecs._lineplate_c'] = None\n"
        "from drivers.codecs import lineplate as lp, lineplate_fast as fast\n"
        "codec = lp.LinePlateCodec()\n"
        "batches = [codec.feed(lp.encode_fp(seq, seq * 1000, 1, 2, 3, 4)) for seq in range(9)]\n"
        "print(fast.IMPLEMENTATION, fast.feed is fast.feed_python, codec.lines,"
        " codec._fast_constants[-1])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["python", "True", "9", "None"]


def test_ci_tests_the_compiled_version() -> None:
    """CI machines have a C compiler: there the tests above must run the C code too."""
    if os.environ.get("CI") != "true":
        pytest.skip("only CI promises a C compiler")
    from drivers.codecs import _lineplate_c

    assert fast._compiled is _lineplate_c
