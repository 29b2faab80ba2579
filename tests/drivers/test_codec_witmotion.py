"""WitMotion 0x55 codec: devices.md §1.9 vectors, commands and the §4.5 fault matrix."""

from __future__ import annotations

import datetime

import numpy as np
import pytest

from drivers.codecs import witmotion as wit
from tests.drivers.helpers import hx
from tests.drivers.witmotion_streams import frames_bytes, lunge_stream


# ---------------------------------------------------------------- devices.md §1.9 vectors
def test_real_hwt901b_capture_decodes_exactly() -> None:
    batch = wit.WitMotionCodec(check_plausibility=False).feed(
        hx("55 51 00 00 3D 00 21 08 07 0A 1D 55 52 00 00 00 00 00 00 07 0A B8")
    )
    np.testing.assert_allclose(batch.acc, [[0.0, 61 / 2048, 2081 / 2048, 25.67]])
    np.testing.assert_allclose(batch.acc[0, :3], [0.0, 0.0298, 1.0161], atol=1e-4)
    np.testing.assert_allclose(batch.gyro, [[0.0, 0.0, 0.0, 25.67]])


def test_stm32_capture_with_odd_words_decodes_and_keeps_the_version_word() -> None:
    data = hx(
        "55 51 00 00 00 00 00 00 B6 01 5D 55 52 00 00 00 00 00 00 C9 89 F9 "
        "55 53 4E 05 36 FF 00 00 06 C1 F7"
    )
    frames = wit.decode_frames(data)
    assert frames["type"].tolist() == [0x51, 0x52, 0x53]
    batch = wit.WitMotionCodec(check_plausibility=False).feed(data)
    np.testing.assert_allclose(batch.angle, [[7.460, -1.110, 0.0]], atol=1e-3)
    assert batch.of_type(wit.ANGLE)[0, 3].astype(np.uint16) == 0xC106
    # The 0x52 temperature word (-302.63 °C) is impossible: the plausibility layer drops it.
    codec = wit.WitMotionCodec(lock_count=1)
    assert wit.GYRO not in codec.feed(data).types.tolist()
    assert codec.implausible == 1


@pytest.mark.parametrize(
    ("vector", "angles"),
    [
        ("55 53 00 00 E4 18 00 00 00 00 A4", [0.0, 35.0024, 0.0]),
        ("55 53 1C F7 E4 18 00 40 00 00 F7", [-12.5024, 35.0024, 90.0]),
    ],
)
def test_synthetic_angle_vectors(vector: str, angles: list[float]) -> None:
    batch = wit.WitMotionCodec(lock_count=1).feed(hx(vector))
    np.testing.assert_allclose(batch.angle, [angles], atol=1e-3)
    assert len(batch.samples) == 1
    np.testing.assert_allclose(batch.samples["angle_y_deg"], [angles[1]], atol=1e-3)


def test_synthetic_acc_readback_and_published_vectors() -> None:
    data = hx(
        "55 51 00 00 97 04 8E 06 C4 09 A2 55 5F 1E 00 06 00 02 00 00 00 DA "
        "55 51 00 00 00 00 00 08 C4 09 7B 55 52 00 20 00 C0 00 00 00 00 87"
    )
    batch = wit.WitMotionCodec(check_plausibility=False).feed(data)
    np.testing.assert_allclose(batch.acc, [[0, 0.5736, 0.8192, 25.0], [0, 0, 1, 25]], atol=1e-3)
    assert batch.registers.tolist() == [[0x1E, 6, 2, 0]]
    np.testing.assert_allclose(batch.gyro[:, :3], [[500.0, -1000.0, 0.0]])


def test_encoders_reproduce_the_vectors() -> None:
    assert wit.encode_acc([0, 0.5736, 0.8192], 25.0) == hx("55 51 00 00 97 04 8E 06 C4 09 A2")
    assert wit.encode_angle([-12.5, 35.0, 90.0]) == hx("55 53 1C F7 E4 18 00 40 00 00 F7")
    assert wit.encode_readback([0x1E, 6, 2, 0]) == hx("55 5F 1E 00 06 00 02 00 00 00 DA")
    assert wit.encode_gyro([500, -1000, 0], 0.0) == hx("55 52 00 20 00 C0 00 00 00 00 87")
    assert wit.encode_frame(0x53, [0x5555] * 3 + [0]) == hx("55 53 55 55 55 55 55 55 00 00 A6")


def int32_words(first: int, second: int) -> list[int]:
    raw = np.array([first, second], dtype="<i4").view("<i2")
    return [int(w) for w in raw]


def test_every_frame_type_decodes_to_physical_values() -> None:
    moment = datetime.datetime(2026, 11, 24, 2, 20, 5, 123000)
    stream = (
        wit.encode_time(moment)
        + wit.encode_mag([120, -40, 300], 24.5)
        + wit.encode_frame(wit.PORT, [1, 2, 3, 4])
        + wit.encode_frame(wit.PRESSURE, int32_words(101325, 1234))
        + wit.encode_frame(wit.GPS, int32_words(1162345678, -339876543))
        + wit.encode_frame(wit.GPS_SPEED, [123, 4500, *int32_words(12345, 0)[:2]])
        + wit.encode_quaternion([1.0, 0.0, 0.0, 0.0])
        + wit.encode_frame(wit.GPS_ACCURACY, [8, 150, 90, 120])
        + wit.encode_readback([0x1E, 6, 2, 0xFFFF])
    )
    batch = wit.WitMotionCodec(check_plausibility=False).feed(stream)
    time = batch.physical(wit.TIME)
    assert [int(time[k][0]) for k in ("year", "month", "day", "hour", "minute", "second")] == [
        2026,
        11,
        24,
        2,
        20,
        5,
    ]
    assert int(time["millisecond"][0]) == 123
    mag = batch.physical(wit.MAG)
    assert (int(mag["hx"][0]), int(mag["hz"][0]), float(mag["temperature_c"][0])) == (
        120,
        300,
        24.5,
    )
    assert batch.physical(wit.PORT)["d3"].tolist() == [4]
    pressure = batch.physical(wit.PRESSURE)
    assert (pressure["pressure_pa"][0], pressure["altitude_m"][0]) == (101325, 12.34)
    gps = batch.physical(wit.GPS)
    assert gps["longitude_deg"][0] == pytest.approx(116 + 23.45678 / 60)
    assert gps["latitude_deg"][0] == pytest.approx(-(33 + 98.76543 / 60))
    speed = batch.physical(wit.GPS_SPEED)
    assert (speed["height_m"][0], speed["yaw_deg"][0]) == (12.3, 45.0)
    assert speed["ground_speed_kmh"][0] == pytest.approx(12.345)
    assert batch.physical(wit.QUATERNION)["q0"][0] == pytest.approx(1.0, abs=1e-4)
    accuracy = batch.physical(wit.GPS_ACCURACY)
    assert (accuracy["satellites"][0], accuracy["hdop"][0]) == (8, 0.9)
    assert batch.physical(wit.READBACK)["r3"].tolist() == [0xFFFF]
    with pytest.raises(ValueError, match="frame type"):
        wit.decode_physical(0x42, [[0, 0, 0, 0]])


def test_wrong_checksum_counter_example_is_rejected() -> None:
    codec = wit.WitMotionCodec()
    batch = codec.feed(hx("55 51 00 00 00 00 00 04 00 00 5A"))
    assert len(batch.types) == 0
    assert codec.checksum_failures == 1
    assert codec.feed(b"").types.size == 0


def test_command_encoders_match_devices_md() -> None:
    assert wit.cmd_unlock() == hx("FF AA 69 88 B5")
    assert wit.cmd_save() == hx("FF AA 00 00 00")
    assert wit.cmd_restore_defaults() == hx("FF AA 00 01 00")
    assert wit.cmd_output_rate(50) == hx("FF AA 03 08 00")
    assert wit.cmd_output_rate(10) == hx("FF AA 03 06 00")
    assert wit.cmd_output_content([0x51, 0x52, 0x53, 0x54]) == hx("FF AA 02 1E 00")
    assert wit.cmd_baud(115200) == hx("FF AA 04 06 00")
    assert wit.cmd_orientation(True) == hx("FF AA 23 01 00")
    assert wit.cmd_algorithm(True) == hx("FF AA 24 01 00")
    assert wit.cmd_calibrate(wit.CAL_ACCEL) == hx("FF AA 01 01 00")
    assert wit.cmd_zero_angles() == hx("FF AA 01 08 00")
    assert wit.cmd_read_registers(0x3D) == hx("FF AA 27 3D 00")
    with pytest.raises(ValueError, match="output rate"):
        wit.cmd_output_rate(33)
    with pytest.raises(ValueError, match="baud"):
        wit.cmd_baud(1234)


def test_device_side_command_parser_resyncs_one_byte_at_a_time() -> None:
    parser = wit.WitCommandParser()
    stream = b"\x00\xff" + wit.cmd_unlock() + b"\xaa" + wit.cmd_output_rate(50)
    got = [c for i in range(len(stream)) for c in parser.feed(stream[i : i + 1])]
    assert got == [(0x69, 0xB588), (0x03, 0x08)]
    assert parser.dropped_bytes == 3


# ---------------------------------------------------------------- devices.md §4.5 matrix
def test_split_at_every_byte_boundary_and_one_byte_reads() -> None:
    stream = lunge_stream(np.linspace(20, 22, 6))
    whole = frames_bytes(wit.WitMotionCodec(check_plausibility=False).feed(stream))
    assert len(whole) == 24
    for cut in range(len(stream) + 1):
        codec = wit.WitMotionCodec(check_plausibility=False)
        got = frames_bytes(codec.feed(stream[:cut])) + frames_bytes(codec.feed(stream[cut:]))
        assert got == whole, cut
    codec = wit.WitMotionCodec()
    samples = [codec.feed(stream[i : i + 1]).samples for i in range(len(stream))]
    assert sum(len(s) for s in samples) == 6 - 2  # the first two confirm the track
    # The last cycle's 0x54 frame waits for the next angle frame (small-batch path) …
    assert codec.buffered == 11
    assert len(codec.flush().types) == 1  # … unless asked now
    assert codec.buffered == 0


def test_one_and_a_half_frames_per_read() -> None:
    stream = lunge_stream(np.linspace(20, 30, 50))
    codec = wit.WitMotionCodec()
    samples = np.concatenate([codec.feed(stream[i : i + 16]).samples for i in range(0, 2200, 16)])
    assert len(samples) == 48
    assert codec.dropped_bytes == 0 and codec.checksum_failures == 0
    np.testing.assert_allclose(samples["tibia_deg"], np.linspace(20, 30, 50)[2:], atol=0.05)


def test_leading_and_interleaved_garbage_is_dropped_and_counted() -> None:
    frames = [lunge_stream(np.array([25.0 + 0.1 * i])) for i in range(8)]
    garbage = [b"\x55\x55\x00", b"\xff" * 7, b"\x55", b"\x55\x53\x01", b""] * 2
    stream = b"\x13\x55\x51" + b"".join(g + f for g, f in zip(garbage, frames, strict=False))
    codec = wit.WitMotionCodec()
    batch = codec.feed(stream)
    assert len(batch.samples) == 6
    assert codec.frames == 32
    assert codec.dropped_bytes == 3 + sum(len(g) for g in garbage[:8])


def test_payload_full_of_0x55_is_not_skipped() -> None:
    frame = hx("55 53 55 55 55 55 55 55 00 00 A6")
    for prefix in (b"", b"\x55", b"\x55\x55", b"\x55\x53\x55"):
        batch = wit.WitMotionCodec(check_plausibility=False).feed(prefix + frame + frame)
        assert batch.types.tolist() == [0x53, 0x53], prefix
        assert batch.words[:, 0].tolist() == [0x5555, 0x5555]


def test_bit_flip_drops_that_frame_and_the_next_one_is_recovered() -> None:
    stream = bytearray(lunge_stream(np.full(10, 30.0)))
    reference = frames_bytes(wit.WitMotionCodec(check_plausibility=False).feed(bytes(stream)))
    for position, bit in ((10, 0), (5 * 11 + 4, 3), (9 * 11, 6)):
        corrupted = bytearray(stream)
        corrupted[position] ^= 1 << bit
        codec = wit.WitMotionCodec(check_plausibility=False)
        got = frames_bytes(codec.feed(bytes(corrupted)))
        assert got == reference[: position // 11] + reference[position // 11 + 1 :]
