"""Rion 0x68 BCD codec: devices.md §2.1 captures, truncated replies, byte-rule equivalence."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import rion
from tests.drivers.helpers import hx, pieces, with_insertions

EXCHANGE_RX = [
    "68 06 00 87 00 00 8D",
    "68 0D 00 84 10 02 87 10 00 85 01 59 22 3B",
    "68 0D 00 84 10 02 87 10 00 85 01 59 13 2C",
    "68 0D 00 84 10 02 87 10 00 86 01 59 09 23",
]
TRUNCATED = hx("68 0D 00 84 10 02 88 10")


class ReferenceFramer:
    """The Rion byte rule written literally, one byte at a time (the oracle)."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.dropped = self.failures = 0

    def feed(self, data: bytes) -> list[bytes]:
        self.buf += data
        out = []
        while self.buf:
            if self.buf[0] != 0x68:
                del self.buf[0]
                self.dropped += 1
                continue
            if len(self.buf) < 2:
                break
            length = self.buf[1]
            if not rion.MIN_LEN <= length <= rion.MAX_LEN:
                del self.buf[0]
                self.dropped += 1
                continue
            if len(self.buf) < length + 1:
                break
            if sum(self.buf[1:length]) & 0xFF != self.buf[length]:
                del self.buf[0]
                self.dropped += 1
                self.failures += 1
                continue
            out.append(bytes(self.buf[: length + 1]))
            del self.buf[: length + 1]
        return out


def raw_frames(batch: rion.RionBatch) -> list[bytes]:
    return [rion.encode_frame(f.command, f.data, f.address) for f in batch.frames]


def test_real_exchange_decodes_exactly() -> None:
    codec = rion.RionCodec(lock_count=1)
    batch = codec.feed(hx(" ".join(EXCHANGE_RX)))
    assert batch.frames == [rion.RionFrame(0, 0x87, b"\x00\x00")]
    np.testing.assert_allclose(
        batch.values, [[-2.87, -0.85, 159.22], [-2.87, -0.85, 159.13], [-2.87, -0.86, 159.09]]
    )
    np.testing.assert_allclose(batch.samples["angle_x_deg"], -2.87)
    np.testing.assert_allclose(batch.samples["angle_z_deg"], [159.22, 159.13, 159.09])
    assert np.all(batch.samples["seq"] == -1) and np.all(np.isnan(batch.samples["t_dev_s"]))
    assert codec.frames == 4 and codec.dropped_bytes == 0 and codec.checksum_failures == 0


def test_truncated_reply_never_raises_waits_and_resyncs_on_the_next_reply() -> None:
    codec = rion.RionCodec(lock_count=1)
    batch = codec.feed(TRUNCATED)
    assert len(batch.samples) == 0 and codec.buffered == len(TRUNCATED)
    later = codec.feed(hx(EXCHANGE_RX[1]))
    np.testing.assert_allclose(later.values, [[-2.87, -0.85, 159.22]])
    assert codec.checksum_failures >= 1
    assert codec.buffered == 0
    # After a poll timeout the device drops the half reply.
    codec.feed(TRUNCATED)
    codec.reset()
    assert codec.buffered == 0
    assert len(codec.feed(hx(EXCHANGE_RX[2])).samples) == 1


@pytest.mark.parametrize("cut", range(1, 8))
def test_every_prefix_of_the_truncated_capture_is_harmless(cut: int) -> None:
    codec = rion.RionCodec()
    assert len(codec.feed(TRUNCATED[:cut]).samples) == 0
    assert codec.buffered <= cut


def test_synthetic_two_axis_reply_and_encoders() -> None:
    reply = hx("68 0A 00 84 00 35 00 10 01 25 F9")
    assert rion.encode_angle_replies([35.0, -1.25]) == reply
    assert rion.encode_angle_replies([[-2.87, -0.85, 159.22]]) == hx(EXCHANGE_RX[1])
    batch = rion.RionCodec(lock_count=1).feed(reply)
    assert batch.samples["angle_x_deg"][0] == pytest.approx(35.0)
    assert batch.samples["angle_y_deg"][0] == pytest.approx(-1.25)
    assert np.isnan(batch.samples["angle_z_deg"][0])


def test_request_encoders_match_devices_md() -> None:
    assert rion.req_read_angles() == hx("68 04 00 04 08")
    assert rion.req_read_y() == hx("68 04 00 02 06")
    assert rion.req_set_zero() == hx("68 05 00 05 00 0A")
    assert rion.req_query_zero() == hx("68 04 00 0D 11")
    assert rion.req_output_mode(False) == hx("68 05 00 0C 00 11")
    assert rion.req_output_mode(True) == hx("68 05 00 0C 01 12")
    assert rion.req_baud(9600) == hx("68 05 00 0B 02 12")
    assert rion.encode_reply(0x07, b"\x00\x00") == hx(EXCHANGE_RX[0])
    with pytest.raises(ValueError, match="baud"):
        rion.req_baud(1234)


def test_both_bcd_widths_round_trip() -> None:
    values = np.array([[0.0, -0.01, 12.34], [-179.99, 359.99, 0.5]])
    cells, valid = rion.decode_bcd(rion.encode_bcd(values, 3))
    np.testing.assert_allclose(cells, values)
    assert valid.all()
    fine = np.array([[1.2345, -123.4567], [0.0001, -0.0001]])
    np.testing.assert_allclose(rion.decode_bcd(rion.encode_bcd(fine, 4))[0], fine)
    stream = rion.encode_angle_replies(np.repeat(fine[:1], 3, axis=0), width=4)
    batch = rion.RionCodec(bcd_width=4).feed(stream)
    np.testing.assert_allclose(batch.samples["angle_y_deg"], [-123.4567])


def test_invalid_bcd_wrong_address_and_wrong_width_are_implausible() -> None:
    bad_digit = rion.encode_frame(0x84, bytes((0x00, 0x3A, 0x00, 0x00, 0x00, 0x00)))
    bad_sign = rion.encode_frame(0x84, bytes((0x20, 0x35, 0x00, 0x00, 0x00, 0x00)))
    other_address = rion.encode_angle_replies([1.0, 2.0], address=3)
    odd_length = rion.encode_frame(0x84, bytes(5))
    codec = rion.RionCodec(lock_count=1)
    batch = codec.feed(bad_digit + bad_sign + other_address + odd_length)
    assert len(batch.samples) == 0
    assert codec.implausible == 4 and codec.frames == 4
    anyone = rion.RionCodec(address=None, lock_count=1)
    assert len(anyone.feed(other_address).samples) == 1


def test_continuity_rejects_a_jump_and_tibia_follows_the_mount() -> None:
    steady = rion.encode_angle_replies(np.tile([55.0, 1.0], (6, 1)))
    jump = rion.encode_angle_replies([[-70.0, 1.0]])
    codec = rion.RionCodec()
    batch = codec.feed(steady[:33] + jump + steady[33:])
    assert codec.implausible == 1 and codec.unconfirmed == 2
    np.testing.assert_allclose(batch.samples["tibia_deg"], 35.0)  # flat: 90 − 55
    upright = rion.RionCodec(mount="upright", tibia_axis="y").feed(steady).samples
    np.testing.assert_allclose(upright["tibia_deg"], 1.0)
    temp = rion.RionCodec(third_is_temperature=True).feed(hx(" ".join(EXCHANGE_RX[1:] * 2)))
    assert np.all(np.isnan(temp.samples["angle_z_deg"]))


def test_ten_megabytes_of_noise_bounded_memory_and_no_samples() -> None:
    noise = np.random.default_rng(681).integers(0, 256, 10 * 1024 * 1024, np.uint8).tobytes()
    codec = rion.RionCodec()
    tracemalloc.start()
    try:
        produced = 0
        for i in range(0, len(noise), 4096):
            produced += len(codec.feed(noise[i : i + 4096]).samples)
            assert codec.buffered <= rion.MAX_LEN
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert produced == 0
    assert codec.frames > 0
    whole = rion.RionCodec()
    assert len(whole.feed(noise).samples) == 0
    assert whole.frames == codec.frames


segments = st.one_of(
    st.binary(max_size=20),
    st.sampled_from([hx(x) for x in EXCHANGE_RX] + [TRUNCATED, b"\x68", b"\x68\x68\x04"]),
    st.builds(
        lambda values, width: rion.encode_angle_replies([values], width=width),
        st.lists(st.floats(-300, 300), min_size=1, max_size=3),
        st.sampled_from([3, 4]),
    ),
    st.builds(
        lambda data, pos, bit: bytes(
            b ^ (1 << bit) if i == pos % (len(data) + 5) else b
            for i, b in enumerate(rion.encode_frame(0x84, data))
        ),
        st.binary(max_size=12),
        st.integers(0, 30),
        st.integers(0, 7),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(segments, max_size=25), st.lists(st.integers(1, 40), min_size=1, max_size=8))
def test_vectorised_framing_equals_the_byte_by_byte_rule(
    parts: list[bytes], chunks: list[int]
) -> None:
    stream = b"".join(parts)
    codec = rion.RionCodec(check_plausibility=False)
    reference = ReferenceFramer()
    got: list[bytes] = []
    expected: list[bytes] = []
    for piece in pieces(stream, chunks):
        got += raw_frames(codec.feed(piece))
        expected += reference.feed(piece)
    assert got == expected
    assert codec.dropped_bytes == reference.dropped
    assert codec.checksum_failures == reference.failures
    assert codec.buffered == len(reference.buf)


CLEAN_VALUES = np.column_stack(
    (55.0 + 5.0 * np.sin(np.linspace(0, 3, 30)), np.linspace(-1, 1, 30), np.full(30, 159.2))
)
CLEAN = rion.encode_angle_replies(CLEAN_VALUES)
# Random bytes as a noisy line produces them: hypothesis's own byte strings could forge
# valid replies, and three consistent forged replies are indistinguishable from a sensor.
RANDOM_BYTES = st.builds(
    lambda seed, size: np.random.default_rng(seed).bytes(size),
    st.integers(0, 2**32 - 1),
    st.integers(1, 30),
)
GENUINE = {tuple(np.round(row, 2)) for row in CLEAN_VALUES}


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(CLEAN)), RANDOM_BYTES), max_size=12),
    st.integers(1, 64),
)
def test_injected_noise_never_reaches_a_sample(
    insertions: list[tuple[int, bytes]], chunk: int
) -> None:
    stream = with_insertions(CLEAN, insertions)
    codec = rion.RionCodec()
    samples = [codec.feed(piece).samples for piece in pieces(stream, [chunk])]
    for row in np.concatenate(samples):
        key = (row["angle_x_deg"], row["angle_y_deg"], row["angle_z_deg"])
        assert tuple(np.round(key, 2)) in GENUINE
