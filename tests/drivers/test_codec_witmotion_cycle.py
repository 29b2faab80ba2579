"""WitMotion 0x55 codec: ``tibia_deg`` uses the 0x51 frame of the same output cycle only.

The streams' gravity vectors lean 2° further than the fused angles (within the 5°
agreement), so every sample shows where its ``tibia_deg`` came from: the accelerometer
of its own cycle (``ACC_TIBIA``), the fused angles (``TIBIA``), or - the bug these tests
guard against - the accelerometer of an earlier cycle (one ramp step off).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import witmotion as wit
from tests.drivers.helpers import pieces
from tests.drivers.witmotion_streams import lunge_stream

CYCLES = 30
TIBIA = np.linspace(20.0, 40.0, CYCLES)  # 0.69° per cycle
ACC_TIBIA = TIBIA + 2.0
STREAM = lunge_stream(TIBIA, acc_tibia_deg=ACC_TIBIA)
FRAMES = [STREAM[i : i + 11] for i in range(0, len(STREAM), 11)]
SLOT = {wit.ACC: 0, wit.GYRO: 1, wit.ANGLE: 2, wit.MAG: 3}  # position in a cycle
LOCKED_FROM = 2  # the angle track withholds the first two angle frames
CHUNKS = [*range(1, 46), 4096]


def frame(cycle: int, frame_type: int) -> int:
    """Index in ``FRAMES`` of one frame of one cycle."""
    return 4 * cycle + SLOT[frame_type]


def decode(stream: bytes, chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Cycle index and ``tibia_deg`` of every sample, the stream read ``chunk`` bytes at a
    time (the cycle is found from the pitch, which the ramp makes unique)."""
    codec = wit.WitMotionCodec(output_rate_hz=50)
    samples = np.concatenate([codec.feed(piece).samples for piece in pieces(stream, [chunk])])
    cycles = np.abs((90.0 + samples["angle_y_deg"])[:, None] - TIBIA[None, :]).argmin(axis=1)
    return cycles, samples["tibia_deg"]


def expect(cycles: np.ndarray, fused: set[int]) -> np.ndarray:
    """Accelerometer tilt of each cycle, or the fused tilt for the cycles in ``fused``."""
    return np.array([TIBIA[c] if c in fused else ACC_TIBIA[c] for c in cycles])


@pytest.mark.parametrize("chunk", CHUNKS)
def test_a_cycle_split_between_reads_still_pairs_its_accelerometer_frame(chunk: int) -> None:
    cycles, tibia = decode(STREAM, chunk)
    np.testing.assert_array_equal(cycles, np.arange(LOCKED_FROM, CYCLES))
    np.testing.assert_allclose(tibia, ACC_TIBIA[LOCKED_FROM:], atol=0.05)


def _corrupt(*indices: int) -> Callable[[list[bytes]], list[bytes]]:
    """One byte of each frame damaged: the resync drops its bytes one by one."""

    def change(frames: list[bytes]) -> list[bytes]:
        for index in indices:
            frames[index] = (
                frames[index][:3] + bytes([frames[index][3] ^ 0x40]) + frames[index][4:]
            )
        return frames

    return change


def _insert(after: int, extra: bytes) -> Callable[[list[bytes]], list[bytes]]:
    return lambda frames: [*frames[: after + 1], extra, *frames[after + 1 :]]


def _remove(*indices: int) -> Callable[[list[bytes]], list[bytes]]:
    return lambda frames: [f for i, f in enumerate(frames) if i not in indices]


N = 6  # the cycle the damage is done to
CASES = {
    # The bug hypothesis found: 0x53, 0x54 and the next 0x51 lost to corrupted bytes.
    "lost angle, mag and next acc": (
        _corrupt(frame(N, wit.ANGLE), frame(N, wit.MAG), frame(N + 1, wit.ACC)),
        {N + 1},
        {N},
    ),
    # The same frames gone without a dropped byte: two 0x52 frames sit in between.
    "frames missing, no byte dropped": (
        _remove(frame(N, wit.ANGLE), frame(N, wit.MAG), frame(N + 1, wit.ACC)),
        {N + 1},
        {N},
    ),
    "byte dropped between acc and gyro": (_insert(frame(N, wit.ACC), b"\x00"), {N}, set()),
    "byte dropped between gyro and angle": (_insert(frame(N, wit.GYRO), b"\xaa"), {N}, set()),
    "gyro frame corrupted": (_corrupt(frame(N, wit.GYRO)), {N}, set()),
    "quaternion frame between acc and gyro": (
        _insert(frame(N, wit.ACC), wit.encode_quaternion([1.0, 0.0, 0.0, 0.0])),
        {N},
        set(),
    ),
    "second gyro frame between acc and angle": (
        _insert(frame(N, wit.GYRO), wit.encode_gyro([[0.0, 0.0, 0.0]])),
        {N},
        set(),
    ),
    "acc frame rejected (temperature jump)": (
        lambda frames: [
            *frames[: frame(N, wit.ACC)],
            wit.encode_acc(np.frombuffer(frames[frame(N, wit.ACC)][2:8], "<i2") / 2048, 31.0),
            *frames[frame(N, wit.ACC) + 1 :],
        ],
        {N},
        set(),
    ),
    # 0x52 output may be disabled: a 0x51 touching the 0x53 is its cycle's.
    "gyro frame absent, acc touches angle": (_remove(frame(N, wit.GYRO)), set(), set()),
}


@pytest.mark.parametrize("chunk", [1, 7, 11, 23, 44, 4096])
@pytest.mark.parametrize("case", CASES)
def test_an_angle_frame_without_an_intact_same_cycle_acc_frame_uses_the_fused_angles(
    case: str, chunk: int
) -> None:
    change, fused, lost = CASES[case]
    cycles, tibia = decode(b"".join(change(list(FRAMES))), chunk)
    kept = [c for c in range(LOCKED_FROM, CYCLES) if c not in lost]
    np.testing.assert_array_equal(cycles, kept)
    np.testing.assert_allclose(tibia, expect(cycles, fused), atol=0.05)


def test_reset_forgets_the_carried_frames() -> None:
    codec = wit.WitMotionCodec(output_rate_hz=50, check_plausibility=False)
    split = 11 * frame(N, wit.ANGLE)  # the acc and gyro frames of cycle N are read
    codec.feed(STREAM[:split])
    codec.reset()
    samples = codec.feed(STREAM[split:]).samples
    assert samples["tibia_deg"][0] == pytest.approx(TIBIA[N], abs=0.05)
    np.testing.assert_allclose(samples["tibia_deg"][1:], ACC_TIBIA[N + 1 :], atol=0.05)


@settings(max_examples=60, deadline=None)
@given(
    st.sets(st.integers(4 * 3, len(FRAMES) - 1), max_size=12),
    st.integers(0, 10),
    st.integers(1, 255),
    st.integers(1, 64),
)
def test_corrupted_frames_never_pair_an_angle_with_another_cycle(
    damaged: set[int], byte: int, xor: int, chunk: int
) -> None:
    frames = list(FRAMES)
    for index in damaged:
        raw = bytearray(frames[index])
        raw[byte] ^= xor
        frames[index] = bytes(raw)
    cycles, tibia = decode(b"".join(frames), chunk)
    intact = [c for c in range(CYCLES) if frame(c, wit.ANGLE) not in damaged]
    np.testing.assert_array_equal(cycles, intact[LOCKED_FROM:])
    fused = {
        c for c in range(CYCLES) if frame(c, wit.ACC) in damaged or frame(c, wit.GYRO) in damaged
    }
    np.testing.assert_allclose(tibia, expect(cycles, fused), atol=0.05)
