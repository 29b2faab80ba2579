"""The fault matrix of devices.md §4.5 (items 1-9), over real ptys, through the devices.

Every case runs the real path: emulator on the pty master, pyserial on the slave, the
device's worker thread, the codec and the ring buffer.
"""

from __future__ import annotations

import resource
import time
from pathlib import Path

import numpy as np
import pytest

from drivers.base import DeviceState
from drivers.codecs import witmotion_wire as wire
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.emulators.rion import RionEmulator
from drivers.emulators.witmotion import WitEmulator
from drivers.lineplate import LinePlateDevice
from drivers.rion import RionDevice
from drivers.transport import PortInfo
from drivers.witmotion import WitMotionDevice
from tests.drivers.helpers import assert_contiguous_run, wait_for

PAYLOAD_OF_0x55 = bytes.fromhex("55 53 55 55 55 55 55 55 00 00 A6")


def _angles(device: WitMotionDevice) -> np.ndarray:
    got = device.buffer.latest(device.buffer.total)
    return np.column_stack((got["angle_x_deg"], got["angle_y_deg"], got["angle_z_deg"]))


def _assert_all_sent(received: np.ndarray, sent: list[tuple[float, float, float]]) -> None:
    """Every received sample is a sample the emulator sent (no garbage reaches the buffer)."""
    sent_set = {tuple(np.round(row, 9)) for row in np.array(sent)}
    bad = [row for row in np.round(received, 9) if tuple(row) not in sent_set]
    assert not bad, f"{len(bad)} samples that were never sent, e.g. {bad[:3]}"


def _streaming_wit(emu: WitEmulator, count: int) -> WitMotionDevice:
    device = WitMotionDevice(emu.port)
    device.open()
    device.configure(rate_hz=100)  # explicit: connecting never writes
    device.start()
    assert wait_for(lambda: device.buffer.total >= count, 10.0)
    return device


# 1 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("chunk", [1, 16], ids=["every-byte", "1.5-frames"])
def test_1_frames_split_at_every_boundary(tmp_path: Path, chunk: int) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=100, ramp_s=0.5, hold_s=0.1) as emu:
        device = _streaming_wit(emu, 5)
        emu.faults.chunk_size, emu.faults.chunk_gap_s = chunk, 0.0003
        assert wait_for(lambda: device.buffer.total >= 45, 10.0)
        device.close()
    received = _angles(device)
    sent = np.array(emu.sent_angles)
    assert_contiguous_run(received, sent)


# 2 ----------------------------------------------------------------------------------
def test_2_garbage_payload_of_0x55_and_bit_flips(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=100, ramp_s=0.5, hold_s=0.1) as emu:
        emu.inject(b"\x00\x55\x55\xaa\x13garbage before the first frame")
        emu.faults.garbage_every = 3
        device = _streaming_wit(emu, 20)
        emu.inject(PAYLOAD_OF_0x55)
        emu.faults.bit_flip_every = 5
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 40, 10.0)
        device.close()
    _assert_all_sent(_angles(device), emu.sent_angles)
    codec = device.codec
    assert codec.checksum_failures + codec.implausible > 0
    assert codec.dropped_bytes > 0


# 3 ----------------------------------------------------------------------------------
def test_3_truncated_rion_reply_takes_the_timeout_path(tmp_path: Path) -> None:
    with RionEmulator(link=tmp_path / "ttyRION") as emu:
        device = RionDevice(emu.port, rate_hz=20, reply_timeout_s=0.08)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 4)
            for _ in range(3):
                emu.truncate_next = True
                assert wait_for(lambda: not emu.truncate_next)
            total = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= total + 4)
            assert device.timeouts >= 3
            assert device.state is DeviceState.STREAMING
            assert device.last_error == ""
        finally:
            device.close()
    got = device.buffer.latest(device.buffer.total)
    sent = {tuple(a) for a in emu.sent_angles}
    assert all((x, y) in sent for x, y in zip(got["angle_x_deg"], got["angle_y_deg"], strict=True))


# 4 ----------------------------------------------------------------------------------
def test_4_wrong_baud_is_found_by_the_scan(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=20, device_baud=9600) as emu:
        device = WitMotionDevice(emu.port, baudrate=115200)
        device.open()
        try:
            assert device.info.extra["baud"] == 9600
            assert emu.baud_matches()
        finally:
            device.close()


# 5 ----------------------------------------------------------------------------------
def test_5_unlock_window_expiry_means_unlocking_again(tmp_path: Path) -> None:
    window = 0.35  # the device's 10 s, shortened so that the test is fast
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10, unlock_window_s=window) as emu:
        device = WitMotionDevice(emu.port, unlock_window_s=window)
        device.open()
        device.configure(rate_hz=50, content=(wire.ACC, wire.ANGLE, wire.QUATERNION))
        device.close()
    assert emu.ignored_writes == 0
    assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[50.0]
    assert emu.flash[wire.REG_RSW] == sum(
        wire.CONTENT_BITS[t] for t in (wire.ACC, wire.ANGLE, wire.QUATERNION)
    )


def test_5b_writes_after_the_window_are_ignored_by_the_emulator(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10, unlock_window_s=0.2) as emu:
        import serial

        port = serial.Serial(emu.port, 115200, timeout=0.1)
        try:
            port.write(wire.cmd_unlock())
            time.sleep(0.3)
            port.write(wire.cmd_output_rate(50))
            assert wait_for(lambda: emu.ignored_writes == 1)
        finally:
            port.close()
    assert emu.registers[wire.REG_RRATE] == wire.RATE_CODES[10.0]


# 6 ----------------------------------------------------------------------------------
def test_6_rate_change_gives_20_ms_between_frames(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10) as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            device.configure(rate_hz=50)
            assert (wire.REG_RRATE, 0x08) in emu.accepted_writes  # FF AA 03 08 00
            device.start()
            assert wait_for(lambda: device.buffer.total >= 30)
        finally:
            device.close()
    interval = np.median(np.diff(device.buffer.latest(30)["t_host_s"]))
    assert interval == pytest.approx(0.020, abs=0.005)


# 7 ----------------------------------------------------------------------------------
def test_7_unplug_mid_stream_keeps_samples_and_reconnects(tmp_path: Path) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=500) as emu:
        device = LinePlateDevice(emu.port)
        events: list[tuple[DeviceState, str, float]] = []
        device.add_state_listener(lambda s, m: events.append((s, m, time.monotonic())))
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 100)
            emu.inject(b"$FP,99,12")  # a partial line, then the cable is pulled
            unplugged_at = time.monotonic()
            emu.unplug()
            assert wait_for(lambda: device.state is DeviceState.RECONNECTING)
            before = device.buffer.total
            kept = device.buffer.latest(before)
            assert len(kept) == before and np.isfinite(kept["fz_n"]).all()
            lost = next(e for e in events if e[0] is DeviceState.LOST)
            assert "stopped answering" in lost[1] and "kept" in lost[1]
            emu.replug()
            assert wait_for(lambda: device.state is DeviceState.STREAMING)
            assert wait_for(lambda: device.buffer.total >= before + 100)
        finally:
            device.close()
    states = [e[0] for e in events]
    assert states.index(DeviceState.LOST) < states.index(DeviceState.RECONNECTING)
    assert states.count(DeviceState.STREAMING) == 2
    # Informative (not asserted as a timing): how long the loss took to notice.
    print(f"LOST reported {lost[2] - unplugged_at:.3f} s after the unplug")


def test_7b_unplug_of_an_inclinometer_resumes_with_its_settings(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10, device_baud=9600) as emu:
        device = _streaming_wit(emu, 10)
        try:
            emu.unplug()
            assert wait_for(lambda: device.state is DeviceState.RECONNECTING)
            emu.replug()
            assert wait_for(lambda: device.state is DeviceState.STREAMING)
            total = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= total + 20)
        finally:
            device.close()
    assert device.info.nominal_rate_hz == 100.0
    assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[100.0]


# 8 ----------------------------------------------------------------------------------
def test_8_noise_soak(tmp_path: Path) -> None:
    rng = np.random.default_rng(8)
    noise = rng.integers(0, 256, 1 << 20, dtype=np.uint8).tobytes()
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=100, ramp_s=0.5, hold_s=0.1) as emu:
        device = _streaming_wit(emu, 10)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        for start in range(0, len(noise), 1 << 16):
            emu.inject(noise[start : start + (1 << 16)])
        assert wait_for(lambda: device.bytes_read >= len(noise), 30.0)
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 20)
        assert device.codec.buffered <= 10
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        device.close()
    _assert_all_sent(_angles(device), emu.sent_angles)
    assert device.state is DeviceState.DISCONNECTED
    assert rss_after - rss_before < 64 * 1024  # KiB: bounded memory


# 9 ----------------------------------------------------------------------------------
@pytest.mark.parametrize("ending", [b"\r\n", b"\n", b"\r"], ids=["CRLF", "LF", "CR"])
def test_9_line_endings(tmp_path: Path, ending: bytes) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=500) as emu:
        emu.line_ending = ending
        device = LinePlateDevice(emu.port)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 100)
        finally:
            device.close()
    assert device.lost_samples == 0
    assert device.codec.checksum_failures == 0


def test_9_missing_checksum_overlong_and_non_utf8_lines(tmp_path: Path) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=500) as emu:
        device = LinePlateDevice(emu.port)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 50)
            emu.inject(b"$FP," + b"1" * 300 + b"*00\r\n")
            emu.inject(b"$FP,1,2,3\xff\xfe,4,5,6*00\r\n")
            emu.omit_checksum = True
            time.sleep(0.1)
            emu.omit_checksum = False
            total = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= total + 50)
            assert device.state is DeviceState.STREAMING
        finally:
            device.close()
    codec = device.codec
    assert codec.malformed >= 2
    got = device.buffer.latest(device.buffer.total)
    sent = {row[0] for row in emu.sent}
    assert set((got["seq"] % (1 << 32)).tolist()) <= sent
    # The lines without a checksum were refused, so the stream has a gap that is counted.
    assert device.lost_samples > 0


def test_7c_a_usb_device_is_found_again_by_serial_number_under_a_new_name(
    tmp_path: Path,
) -> None:
    """After an unplug the device re-enumerates as another port; same serial = same plate."""
    listed: list[PortInfo] = []
    with LinePlateEmulator(link=tmp_path / "ttyUSB0", rate_hz=200) as first:
        listed[:] = [PortInfo(first.port, 0x1A86, 0x7523, "PLATE-7", "1-1.2:1.0")]
        device = LinePlateDevice(first.port, lister=lambda: list(listed))
        device.open()
        device.start()
        assert wait_for(lambda: device.buffer.total >= 20)
        listed[:] = [PortInfo("/dev/ttyS0", serial_number="")]  # unplugged
        first.unplug()
        assert wait_for(lambda: device.state is DeviceState.RECONNECTING)
    try:
        with LinePlateEmulator(link=tmp_path / "ttyUSB1", rate_hz=200) as second:
            # Another bridge in the old socket must not be taken for the plate.
            listed[:] = [
                PortInfo(str(tmp_path / "ttyUSB0"), 0x1A86, 0x7523, "OTHER", "1-1.2:1.0"),
                PortInfo(str(tmp_path / "ttyUSB1"), 0x1A86, 0x7523, "PLATE-7", "1-1.4:1.0"),
            ]
            assert wait_for(lambda: device.state is DeviceState.STREAMING)
            assert device.info.port == second.port
            total = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= total + 20)
    finally:
        device.close()


def test_a_silent_pause_is_a_lost_link_that_recovers(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50) as emu:
        device = WitMotionDevice(emu.port)
        states: list[DeviceState] = []
        device.add_state_listener(lambda s, m: states.append(s))
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 10)
            emu.pause(2.0)
            assert wait_for(lambda: DeviceState.LOST in states)
            total = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= total + 20, 15.0)
            assert device.state is DeviceState.STREAMING
        finally:
            device.close()
