"""The line-plate codec's small-batch path gives what the vectorised path gives (issue 18 §3).

Every test runs against both versions of the path, the compiled one (``_lineplate_c``) and
the plain-Python one (:mod:`tests.drivers.lineplate_impls`).
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.calibration import STANDARD_GRAVITY
from drivers.codecs import lineplate as lp
from drivers.codecs.lineplate_checks import PlateLimits
from tests.drivers.lineplate_impls import IMPLEMENTATIONS, using

RATE = 1000
N = 600
GRAMS = PlateLimits(rate_hz=RATE, scales=np.full(4, STANDARD_GRAVITY / 1000), capacity_n=1962.0)
LIMIT_SETS = {
    "none": PlateLimits(),
    "rate only": PlateLimits(rate_hz=RATE),
    "grams": GRAMS,
    "grams, no rate": PlateLimits(scales=GRAMS.scales, capacity_n=GRAMS.capacity_n),
}


def _stream(seq: np.ndarray | None = None, cells: np.ndarray | None = None) -> bytes:
    seq = np.arange(N) if seq is None else seq
    rng = np.random.default_rng(5)
    if cells is None:
        cells = 17_500 + np.cumsum(rng.integers(-20, 21, (len(seq), 4)), axis=0)
    return lp.encode_fp_lines(seq, seq * (1_000_000 // RATE), cells)


def _corrupt(stream: bytes, seed: int, flips: int = 15) -> bytes:
    rng = np.random.default_rng(seed)
    data = bytearray(stream)
    for _ in range(flips):
        data[int(rng.integers(len(data)))] ^= 1 << int(rng.integers(7))
    return bytes(data)


def _with_lines(stream: bytes, every: int, extra: bytes) -> bytes:
    lines = stream.split(b"\r\n")[:-1]
    return b"".join(
        line + b"\r\n" + (extra if k % every == every // 2 else b"")
        for k, line in enumerate(lines)
    )


CELLS = 17_500 + np.zeros((N, 4), dtype=np.int64)
SPIKES = CELLS.copy()
SPIKES[::37, 1] += 200_000
JUMPS = CELLS.copy()
JUMPS[::41, 2] += 60_000  # +588 N within 1 ms, in range: only the step check rejects it

GAPPED = np.concatenate((np.arange(200), np.arange(207, 400), np.arange(430, 607)))
INFO = lp.encode_ok("G") + lp.encode_info(lp.PlateInfo("M", "1", 1000, "g"))
WRAP = np.arange(2**32 - N // 2, 2**32 + N // 2)  # seq (and t_us) wrap at 2**32 mid-stream
# Half a stream of ordinary cells, then the 24-bit range's ends (raw counts: no step limit).
EXTREME = np.tile([[2**24, -(2**24), 0, -1], [-(2**24), 2**24, -1, 0]], (N // 2, 1))
EXTREME[::53, 0] = 2**24 + 1  # one count beyond the 24-bit range: rejected
EXTREME[::59, 3] = -(2**24) - 1
EXTREME[: N // 2] = 17_500


def _lower_case_checksums(stream: bytes) -> bytes:
    return re.sub(rb"\*([0-9A-F]{2})", lambda m: b"*" + m.group(1).lower(), stream)


STREAMS = {
    "clean": _stream(),
    "corrupted": _corrupt(_stream(), 1),
    "lost samples": _stream(GAPPED),
    "board restart": _stream(np.concatenate((np.arange(300), np.arange(300)))),
    "impossible cells": _stream(cells=SPIKES),
    "impossible steps": _stream(cells=JUMPS),
    "messages": _with_lines(_stream(), 40, INFO),
    "garbage": _with_lines(_stream(), 55, b"\x00\xff garbage $$ \r\n"),
    "CR only": _stream().replace(b"\r\n", b"\r"),
    "LF only": _stream().replace(b"\r\n", b"\n"),
    "seq wrap": _stream(WRAP),
    "extreme cells": _stream(cells=EXTREME),
    "lower-case checksums": _lower_case_checksums(_stream()),
}  # fmt: skip


def _decode(stream: bytes, sizes: list[int], small_batch: bool, limits: PlateLimits) -> Any:
    codec = lp.LinePlateCodec(limits)
    codec.small_batch = small_batch
    batches, position, k = [], 0, 0
    while position < len(stream):
        size = sizes[k % len(sizes)]
        batches.append(codec.feed(stream[position : position + size], float(k)))
        position, k = position + size, k + 1
    samples = np.concatenate([b.samples for b in batches])
    messages = [(m.kind, m.fields, m.after_samples) for b in batches for m in b.messages]
    counters = (
        codec.lines,
        codec.dropped_bytes,
        codec.checksum_failures,
        codec.malformed,
        codec.implausible,
        codec.unconfirmed,
        codec.seq_gaps,
        codec.seq_resets,
        codec.seq_resyncs,
        codec.buffered,
    )
    return samples, messages, counters


_VECTORISED: dict[tuple[str, tuple[int, ...], str], Any] = {}


def _vectorised(name: str, sizes: list[int], limits: str) -> Any:
    """The vectorised path's result, computed once for both versions of the fast path."""
    key = (name, tuple(sizes), limits)
    if key not in _VECTORISED:
        _VECTORISED[key] = _decode(STREAMS[name], sizes, False, LIMIT_SETS[limits])
    return _VECTORISED[key]


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@pytest.mark.parametrize("limits", list(LIMIT_SETS))
@pytest.mark.parametrize("name", list(STREAMS))
@pytest.mark.parametrize("sizes", [[45], [90, 17], [230], [7], [450, 3], [4096]], ids=str)
def test_small_batch_path_equals_the_vectorised_path(
    name: str, sizes: list[int], limits: str, implementation: str
) -> None:
    with using(implementation):
        fast = _decode(STREAMS[name], sizes, True, LIMIT_SETS[limits])
    slow = _vectorised(name, sizes, limits)
    assert fast[2] == slow[2]
    assert fast[1] == slow[1]
    assert len(fast[0]) == len(slow[0]) > 0
    assert fast[0].tobytes() == slow[0].tobytes()  # every field, bit for bit


@st.composite
def _noisy_stream(draw: st.DrawFn) -> tuple[bytes, list[int], str]:
    """A clean plate stream with random bit flips, dropped, inserted and repeated bytes,
    cut into random read sizes."""
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    steps = rng.integers(-60, 61, (300, 4))
    cells = 17_500 + np.cumsum(steps, axis=0)
    data = bytearray(_stream(np.arange(300), cells))
    for _ in range(draw(st.integers(0, 12))):
        at = int(rng.integers(len(data)))
        kind = draw(st.sampled_from(["flip", "drop", "insert", "repeat"]))
        if kind == "flip":
            data[at] ^= 1 << int(rng.integers(8))
        elif kind == "drop":
            del data[at : at + int(rng.integers(1, 60))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=12))
        else:
            data[at:at] = data[max(0, at - 50) : at]
    sizes = draw(st.lists(st.integers(1, 500), min_size=1, max_size=6))
    return bytes(data), sizes, draw(st.sampled_from(list(LIMIT_SETS)))


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_noisy_stream())
def test_small_batch_and_bulk_paths_agree_on_random_streams(
    case: tuple[bytes, list[int], str], implementation: str
) -> None:
    stream, sizes, limits = case
    with using(implementation):
        fast = _decode(stream, sizes, True, LIMIT_SETS[limits])
    slow = _decode(stream, sizes, False, LIMIT_SETS[limits])
    assert fast[2] == slow[2]
    assert fast[1] == slow[1]
    assert fast[0].tobytes() == slow[0].tobytes()


@pytest.mark.parametrize("implementation", IMPLEMENTATIONS)
def test_samples_of_different_calls_do_not_share_rows(implementation: str) -> None:
    """Batches are slices of one block: writing into one must not change another."""
    codec = lp.LinePlateCodec(GRAMS)
    stream = STREAMS["clean"]
    with using(implementation):
        batches = [codec.feed(stream[i : i + 45], float(i)) for i in range(0, 45 * 400, 45)]
    with_samples = [b.samples for b in batches if len(b.samples)]
    before = with_samples[-2]["tr"].copy()
    with_samples[-1]["tr"] = -1
    np.testing.assert_array_equal(with_samples[-2]["tr"], before)
    assert len({s["t_host_s"][0] for s in with_samples}) == len(with_samples)
