"""The WitMotion codec's small-batch path gives what the vectorised path gives (issue 18 §3).

Every stream is decoded twice, in the same read sizes, with the small-batch path on and off;
samples, accepted frames and every counter must agree (after :meth:`flush`, which judges the
frames the small-batch path keeps for their cycle's angle frame). The streams cover what
makes the small-batch path hand over to numpy: corruption, garbage, implausible steps,
gimbal lock, the other Euler sign convention, legacy firmware, a lost 0x51 frame, other
frame types and read-backs.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.codecs import witmotion as wit
from drivers.codecs import witmotion_legacy as legacy
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from tests.drivers.witmotion_streams import lunge_stream

TIBIA = 25.0 + 15.0 * np.sin(np.linspace(0, 6, 300))


def _corrupt(stream: bytes, seed: int, flips: int = 20, garbage: int = 10) -> bytes:
    rng = np.random.default_rng(seed)
    data = bytearray(stream)
    for _ in range(flips):
        data[int(rng.integers(len(data)))] ^= 1 << int(rng.integers(8))
    for _ in range(garbage):
        at = int(rng.integers(len(data)))
        data[at:at] = rng.integers(0, 256, int(rng.integers(1, 30)), dtype=np.uint8).tobytes()
    return bytes(data)


def _euler_mirrored(tibia: np.ndarray) -> bytes:
    """Angles in the other roll/pitch sign convention than the accelerometer shows."""
    up = up_for_tilt(tibia, "x", "z")
    roll_pitch = euler_from_gravity(up) * [-1.0, -1.0]
    angles = np.column_stack((roll_pitch, np.full(len(up), 15.0)))
    acc = np.frombuffer(wit.encode_acc(up), np.uint8).reshape(-1, 11)
    ang = np.frombuffer(wit.encode_angle(angles, 0x1234), np.uint8).reshape(-1, 11)
    return np.stack((acc, ang), axis=1).tobytes()


def _legacy(tibia: np.ndarray) -> bytes:
    up = up_for_tilt(tibia, "x", "z")
    roll_pitch = euler_from_gravity(up)
    temp = legacy.temperature_raw(22.0)
    types, words = [], []
    for (roll, pitch), u in zip(roll_pitch, up, strict=True):
        acc = np.rint(u / 16.0 * 32768).astype(int).tolist()
        ang = np.rint(np.array([roll, pitch, 3.0]) / 180.0 * 32768).astype(int).tolist()
        types += [0x51, 0x52, 0x53]
        words += [[*acc, temp], [0, 0, 0, temp], [*ang, temp]]
    return wit.encode_frames(types, words)


def _mixed(tibia: np.ndarray) -> bytes:
    """Quaternion and time frames in the cycle, and a read-back reply now and then."""
    base = lunge_stream(tibia)
    cycles = [base[i : i + 44] for i in range(0, len(base), 44)]
    out = []
    for k, cycle in enumerate(cycles):
        out.append(cycle)
        if k % 7 == 3:
            out.append(wit.encode_quaternion(np.array([1.0, 0.0, 0.0, 0.0])))
        if k % 11 == 5:
            out.append(wit.encode_readback([0x1E, 6, 2, 0]))
    return b"".join(out)


STREAMS = {
    "clean": lunge_stream(TIBIA),
    "corrupted": _corrupt(lunge_stream(TIBIA), 1),
    "heavily corrupted": _corrupt(lunge_stream(TIBIA), 2, flips=200, garbage=60),
    "jumps": lunge_stream(np.where(np.arange(300) % 50 == 25, 80.0, TIBIA)),
    "near gimbal lock": lunge_stream(np.linspace(80.0, 100.0, 300)),
    "accelerometer disagrees": lunge_stream(TIBIA, acc_tibia_deg=TIBIA + 8.0),
    "other sign convention": _euler_mirrored(TIBIA),
    "legacy WT61": _legacy(TIBIA),
    "other types and read-backs": _mixed(TIBIA),
    "lost 0x51 frames": b"".join(
        c[11:] if k % 9 == 4 else c
        for k, c in enumerate(lunge_stream(TIBIA)[i : i + 44] for i in range(0, 300 * 44, 44))
    ),
}


def _decode(stream: bytes, sizes: list[int], small_batch: bool, **kwargs: object):
    codec = wit.WitMotionCodec(output_rate_hz=100, **kwargs)  # type: ignore[arg-type]
    codec.small_batch = small_batch
    batches, position, k = [], 0, 0
    while position < len(stream):
        size = sizes[k % len(sizes)]
        batches.append(codec.feed(stream[position : position + size], float(k)))
        position, k = position + size, k + 1
    batches.append(codec.flush(float(k)))
    samples = np.concatenate([b.samples for b in batches])
    frames = b"".join(wit.encode_frames(b.types, b.words) for b in batches if b.count)
    counters = (
        codec.frames,
        codec.dropped_bytes,
        codec.checksum_failures,
        codec.implausible,
        codec.unconfirmed,
        codec.buffered,
    )
    return samples, frames, counters


@pytest.mark.parametrize("name", list(STREAMS))
@pytest.mark.parametrize("sizes", [[11], [22], [5, 17, 3], [44], [55, 66], [1], [200]], ids=str)
def test_small_batch_path_equals_the_vectorised_path(name: str, sizes: list[int]) -> None:
    stream = STREAMS[name]
    kwargs: dict[str, object] = {"legacy_wt61": True} if name == "legacy WT61" else {}
    fast_samples, fast_frames, fast_counters = _decode(stream, sizes, True, **kwargs)
    slow_samples, slow_frames, slow_counters = _decode(stream, sizes, False, **kwargs)
    assert fast_counters == slow_counters
    assert fast_frames == slow_frames
    assert len(fast_samples) == len(slow_samples) > 0
    for field in ("t_host_s", "seq", "angle_x_deg", "angle_y_deg", "angle_z_deg"):
        np.testing.assert_array_equal(fast_samples[field], slow_samples[field])
    np.testing.assert_allclose(fast_samples["tibia_deg"], slow_samples["tibia_deg"], atol=1e-9)


def test_the_small_batch_path_is_taken_on_a_clean_stream() -> None:
    codec = wit.WitMotionCodec(output_rate_hz=100)
    stream = STREAMS["clean"]
    codec.feed(stream[:440], 0.0)  # lock the tracks
    calls = []
    original = wit.WitMotionCodec._feed_all

    def spy(self: wit.WitMotionCodec, data: bytes, t: float) -> object:
        calls.append(len(data))
        return original(self, data, t)

    wit.WitMotionCodec._feed_all = spy  # type: ignore[method-assign]
    try:
        for i in range(440, 440 + 44 * 50, 22):
            codec.feed(stream[i : i + 22], 1.0)
    finally:
        wit.WitMotionCodec._feed_all = original  # type: ignore[method-assign]
    assert calls == []


@st.composite
def _noisy_stream(draw: st.DrawFn) -> tuple[bytes, list[int]]:
    """A clean lunge stream with random cuts, bit flips, dropped and inserted bytes."""
    cycles = draw(st.integers(20, 120))
    start = draw(st.integers(0, len(TIBIA) - cycles))
    data = bytearray(lunge_stream(TIBIA[start : start + cycles]))
    for _ in range(draw(st.integers(0, 6))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "drop", "insert"]))
        if action == "flip":
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "drop":
            del data[at : at + draw(st.integers(1, 15))]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=15))
    sizes = draw(st.lists(st.integers(1, 70), min_size=1, max_size=6))
    return bytes(data), sizes


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_noisy_stream())
def test_small_batch_and_bulk_paths_agree_on_random_streams(case: tuple[bytes, list[int]]) -> None:
    stream, sizes = case
    fast_samples, fast_frames, fast_counters = _decode(stream, sizes, True)
    slow_samples, slow_frames, slow_counters = _decode(stream, sizes, False)
    assert fast_counters == slow_counters
    assert fast_frames == slow_frames
    assert len(fast_samples) == len(slow_samples)
    for field in ("t_host_s", "seq", "angle_x_deg", "angle_y_deg", "angle_z_deg"):
        np.testing.assert_array_equal(fast_samples[field], slow_samples[field])
    np.testing.assert_allclose(fast_samples["tibia_deg"], slow_samples["tibia_deg"], atol=1e-9)


def test_samples_of_different_calls_do_not_share_rows() -> None:
    """Batches are slices of one block: writing into one must not change another."""
    codec = wit.WitMotionCodec(output_rate_hz=100)
    stream = STREAMS["clean"]
    batches = [codec.feed(stream[i : i + 44], float(i)) for i in range(0, 44 * 200, 44)]
    with_samples = [b.samples for b in batches if len(b.samples)]
    before = with_samples[-2]["tibia_deg"].copy()
    with_samples[-1]["tibia_deg"] = -1.0
    np.testing.assert_array_equal(with_samples[-2]["tibia_deg"], before)
    assert len({s["t_host_s"][0] for s in with_samples}) == len(with_samples)
