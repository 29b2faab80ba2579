"""WitMotion 0x55 codec framing: the byte-by-byte oracle (devices.md §1.5 rule 1),
overlapping frames, megabytes of noise."""

from __future__ import annotations

import tracemalloc

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import witmotion as wit
from tests.drivers.helpers import pieces
from tests.drivers.witmotion_streams import frames_bytes

FRAME_TYPE_SET = frozenset(wit.FRAME_TYPES)


class ReferenceFramer:
    """devices.md §1.5 rule 1 written literally, one byte at a time (the oracle)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.dropped = self.failures = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while len(self.buf) >= 11:
            if self.buf[0] != 0x55 or self.buf[1] not in FRAME_TYPE_SET:
                del self.buf[0]
                self.dropped += 1
            elif sum(self.buf[:10]) & 0xFF != self.buf[10]:
                del self.buf[0]
                self.dropped += 1
                self.failures += 1
            else:
                out.append(bytes(self.buf[:11]))
                del self.buf[:11]
        return out


# ---------------------------------------------------------------- noise and equivalence
def test_ten_megabytes_of_noise_bounded_memory_and_no_samples() -> None:
    noise = np.random.default_rng(20261124).integers(0, 256, 10 * 1024 * 1024, np.uint8).tobytes()
    codec = wit.WitMotionCodec()
    tracemalloc.start()
    try:
        produced = 0
        passed_types: set[int] = set()
        for i in range(0, len(noise), 4096):
            batch = codec.feed(noise[i : i + 4096])
            produced += len(batch.samples)
            passed_types.update(batch.types.tolist())
            assert codec.buffered <= 10
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert produced == 0
    assert codec.frames > 0  # random windows did pass the 8-bit sum …
    # … and none of a measured quantity got through; only types without a physical check
    # (port status, pressure, GPS, register read-back) are passed on, and never plotted.
    assert passed_types <= {0x55, 0x56, 0x57, 0x58, 0x5A, 0x5F}
    assert codec.implausible + codec.unconfirmed > 0
    assert codec.dropped_bytes + 11 * codec.frames + codec.buffered == len(noise)
    whole = wit.WitMotionCodec()  # one call with everything: sliced internally
    assert len(whole.feed(noise).samples) == 0
    assert whole.frames == codec.frames


def overlapping_pair(offset: int, inner_type: int, words: list[int]) -> bytes:
    """A valid frame with another valid frame starting ``offset`` bytes into it."""
    inner = wit.encode_frame(inner_type, words)
    outer = bytearray(11)
    outer[0], outer[1] = 0x55, 0x53
    outer[offset:] = inner[: 11 - offset]
    outer[2] = 0
    outer[2] = (outer[10] - sum(outer[:10])) & 0xFF
    assert sum(outer[:10]) & 0xFF == outer[10]
    return bytes(outer[:offset]) + inner


def test_overlapping_valid_frames_take_the_first() -> None:
    for offset in range(3, 11):
        stream = overlapping_pair(offset, 0x51, [1, 2, 3, 4])
        reference = ReferenceFramer()
        expected = reference.feed(stream)
        got = frames_bytes(wit.WitMotionCodec(check_plausibility=False).feed(stream))
        assert got == expected == [stream[:11]]


segments = st.one_of(
    st.builds(
        overlapping_pair,
        st.integers(3, 10),
        st.sampled_from(wit.FRAME_TYPES),
        st.lists(st.integers(-32768, 32767), min_size=4, max_size=4),
    ),
    st.binary(max_size=24),
    st.builds(
        lambda t, w: wit.encode_frame(t, w),
        st.sampled_from(wit.FRAME_TYPES),
        st.lists(st.sampled_from([0, 0x5555, 0x5355, -1, 123, 0x5F55]), min_size=4, max_size=4),
    ),
    st.builds(
        lambda t, cut: wit.encode_frame(t, [0x5555, 0, 1, 2])[:cut],
        st.sampled_from(wit.FRAME_TYPES),
        st.integers(1, 10),
    ),
    st.builds(
        lambda pos, bit: bytes(
            b ^ (1 << bit) if i == pos else b
            for i, b in enumerate(wit.encode_frame(0x53, [1, 2, 3, 4]))
        ),
        st.integers(0, 10),
        st.integers(0, 7),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(segments, max_size=30), st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_vectorised_framing_equals_the_byte_by_byte_rule(
    parts: list[bytes], chunks: list[int]
) -> None:
    stream = b"".join(parts)
    codec = wit.WitMotionCodec(check_plausibility=False)
    reference = ReferenceFramer()
    got: list[bytes] = []
    expected: list[bytes] = []
    for piece in pieces(stream, chunks):
        got += frames_bytes(codec.feed(piece))
        expected += reference.feed(piece)
    assert got == expected
    assert codec.dropped_bytes == reference.dropped
    assert codec.checksum_failures == reference.failures
    assert codec.buffered == len(reference.buf)
