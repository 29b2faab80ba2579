"""WitMotion 0x55 codec plausibility and tibia angle: forged and implausible frames never
become samples, relock, accelerometer vs fused angles, the pitch sign convention."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.codecs import witmotion as wit
from drivers.codecs.tilt import euler_from_gravity, up_for_tilt
from tests.drivers.helpers import pieces, with_insertions
from tests.drivers.witmotion_streams import lunge_stream


# ---------------------------------------------------------------- plausibility
def test_a_checksum_valid_garbage_frame_never_reaches_the_samples() -> None:
    clean = lunge_stream(np.full(12, 30.0))
    odd_version = wit.encode_angle([0.0, -60.0, 15.0], version=0x4321)
    jump = wit.encode_angle([40.0, 10.0, 15.0], version=0x1234)
    hot = wit.encode_acc([0.0, 0.0, 1.0], temp_c=300.0)
    stream = clean[:176] + odd_version + jump + hot + clean[176:]
    codec = wit.WitMotionCodec()
    batch = codec.feed(stream)
    assert codec.implausible == 3
    assert len(batch.samples) == 10
    np.testing.assert_allclose(batch.samples["tibia_deg"], 30.0, atol=0.05)


def test_track_relocks_after_a_real_jump() -> None:
    before = lunge_stream(np.full(6, 10.0))
    after = lunge_stream(np.full(12, 80.0))
    codec = wit.WitMotionCodec(output_rate_hz=100)
    batch = codec.feed(before + after)
    tibia = batch.samples["tibia_deg"]
    assert tibia[:4] == pytest.approx(10.0, abs=0.05)
    assert tibia[-4:] == pytest.approx(80.0, abs=0.05)
    assert codec.implausible > 0


def test_tibia_from_gravity_and_from_euler_agree_and_axis_is_a_parameter() -> None:
    tibia = np.linspace(0.0, 60.0, 40)
    stream = lunge_stream(tibia)
    from_acc = wit.WitMotionCodec(output_rate_hz=200).feed(stream).samples["tibia_deg"]
    from_euler = wit.WitMotionCodec(output_rate_hz=200, tibia_source="euler").feed(stream)
    np.testing.assert_allclose(from_acc, tibia[2:], atol=0.05)
    np.testing.assert_allclose(from_euler.samples["tibia_deg"], tibia[2:], atol=0.01)
    # Without 0x51 frames the fused angles are used.
    angles_only = b"".join(stream[i + 22 : i + 33] for i in range(0, len(stream), 44))
    fallback = wit.WitMotionCodec(output_rate_hz=200).feed(angles_only).samples["tibia_deg"]
    np.testing.assert_allclose(fallback, tibia[2:], atol=0.01)
    # The same pose read with the y axis along the tibia: y stays horizontal → 90°.
    y_axis = wit.WitMotionCodec(output_rate_hz=200, mounting_axis="y").feed(stream)
    np.testing.assert_allclose(y_axis.samples["tibia_deg"], 90.0, atol=0.05)
    with pytest.raises(ValueError, match="mounting axis"):
        wit.WitMotionCodec(mounting_axis="w")


def test_moving_accelerometer_falls_back_to_fused_angles() -> None:
    up = up_for_tilt(np.full(5, 30.0), "x", "z")
    roll_pitch = euler_from_gravity(up)
    stream = b"".join(
        wit.encode_acc(1.6 * u) + wit.encode_angle([rp[0], rp[1], 0.0])
        for u, rp in zip(up, roll_pitch, strict=True)
    )
    samples = wit.WitMotionCodec().feed(stream).samples
    np.testing.assert_allclose(samples["tibia_deg"], 30.0, atol=0.01)


CLEAN_TIBIA = 30.0 + 8.0 * np.sin(np.linspace(0.0, 3.0, 40))
CLEAN = lunge_stream(CLEAN_TIBIA)
GENUINE = {
    tuple(np.round(row, 6)): tibia
    for row, tibia in zip(
        wit.WitMotionCodec(check_plausibility=False).feed(CLEAN).angle, CLEAN_TIBIA, strict=True
    )
}
noise_pieces = st.one_of(
    # Random bytes as a line produces them (hypothesis itself would happily forge valid
    # angle frames, three identical ones of which look exactly like a real sensor).
    st.builds(
        lambda seed, size: np.random.default_rng(seed).bytes(size),
        st.integers(0, 2**32 - 1),
        st.integers(1, 30),
    ),
    st.builds(
        lambda t, w: wit.encode_frame(t, w),
        # Forged angle frames are left to the dedicated tests above: three identical forged
        # frames in a row are, by construction, indistinguishable from a real sensor.
        st.sampled_from([wit.GYRO, wit.MAG, wit.QUATERNION, wit.TIME]),
        st.lists(st.integers(-32768, 32767), min_size=4, max_size=4),
    ),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, len(CLEAN)), noise_pieces), max_size=12),
    st.integers(1, 64),
)
def test_injected_noise_never_reaches_a_sample(
    insertions: list[tuple[int, bytes]], chunk: int
) -> None:
    stream = with_insertions(CLEAN, insertions)
    codec = wit.WitMotionCodec(output_rate_hz=50)
    samples = [codec.feed(piece).samples for piece in pieces(stream, [chunk])]
    for row in np.concatenate(samples):
        key = tuple(np.round([row["angle_x_deg"], row["angle_y_deg"], row["angle_z_deg"]], 6))
        assert key in GENUINE
        assert row["tibia_deg"] == pytest.approx(GENUINE[key], abs=0.05)


def test_the_other_pitch_sign_convention_is_learnt_from_the_accelerometer() -> None:
    tibia = np.linspace(10.0, 40.0, 30)
    up = up_for_tilt(tibia, "x", "z")
    roll_pitch = euler_from_gravity(up)
    roll_pitch[:, 1] *= -1.0  # a device whose pitch is positive the other way round
    angles = np.column_stack((roll_pitch, np.zeros(len(up))))
    acc_rows = np.frombuffer(wit.encode_acc(up), np.uint8).reshape(-1, 11)
    angle_rows = np.frombuffer(wit.encode_angle(angles), np.uint8).reshape(-1, 11)
    codec = wit.WitMotionCodec(output_rate_hz=50)
    both = codec.feed(np.stack((acc_rows, angle_rows), axis=1).tobytes()).samples
    np.testing.assert_allclose(both["tibia_deg"], tibia[2:], atol=0.05)
    # Later frames without a usable accelerometer use the learnt convention.
    later = codec.feed(angle_rows[-5:].tobytes()).samples
    np.testing.assert_allclose(later["tibia_deg"], tibia[-5:], atol=0.01)


def test_a_lost_cycle_never_pairs_an_angle_with_the_previous_accelerometer_frame() -> None:
    # Found by test_injected_noise_never_reaches_a_sample (hypothesis), pinned here.
    stream = with_insertions(CLEAN, [(155, b"_"), (166, b"_"), (177, b"_")])
    samples = wit.WitMotionCodec(output_rate_hz=50).feed(stream).samples
    for row in samples:
        key = tuple(np.round([row["angle_x_deg"], row["angle_y_deg"], row["angle_z_deg"]], 6))
        assert row["tibia_deg"] == pytest.approx(GENUINE[key], abs=0.05)
