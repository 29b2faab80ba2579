"""WitMotion device over a real pty: baud scan, configuration, samples, zero, states."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from drivers.base import DeviceError, DeviceState, ProtocolMismatchError
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.tilt import gravity_from_euler, tilt_from_vertical
from drivers.emulators.witmotion import WitEmulator
from drivers.witmotion import WitMotionDevice, ZeroOffsets
from tests.drivers.helpers import assert_contiguous_run, wait_for


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[WitEmulator]:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50, ramp_s=1.0, hold_s=0.5) as emulator:
        yield emulator


def test_connects_by_listening_and_streams_the_scripted_lunge(emu: WitEmulator) -> None:
    device = WitMotionDevice(emu.port)
    states: list[DeviceState] = []
    device.add_state_listener(lambda state, message: states.append(state))
    device.open()
    try:
        assert device.info.nominal_rate_hz == 50.0  # read back, not set
        assert device.info.measured_rate_hz == 50.0
        assert not device.info.listen_only
        assert device.info.extra["baud"] == 115200
        assert device.info.firmware == "0x1234"  # the version register 0x2E
        device.start()
        assert wait_for(lambda: device.buffer.total >= 60)
    finally:
        device.close()
    assert states[:3] == [DeviceState.CONNECTING, DeviceState.CONNECTED, DeviceState.STREAMING]
    assert states[-1] is DeviceState.DISCONNECTED
    # Looking never writes: the sensor received register reads and nothing else.
    commands, stray = wire.host_commands(bytes(emu.received))
    assert stray == 0 and commands
    assert {register for register, _ in commands} == {wire.REG_READ}
    assert emu.accepted_writes == [] and emu.flash == emu.registers
    got = device.buffer.latest(device.buffer.total)
    sent = np.array(emu.sent_angles)
    received = np.column_stack((got["angle_x_deg"], got["angle_y_deg"], got["angle_z_deg"]))
    # Every received sample is one the emulator sent, in order, unchanged.
    assert_contiguous_run(received, sent)
    # tibia_deg (from the accelerometer) is the scripted tilt of the fused attitude.
    expected = tilt_from_vertical(gravity_from_euler(received[:, 0], received[:, 1]), "x")
    # The 0x51 quantum (16 g / 32768) is ≈ 0.03° of tilt: hence the tolerance.
    np.testing.assert_allclose(got["tibia_deg"], expected, atol=0.06)
    assert got["tibia_deg"].min() >= 0.0
    assert got["tibia_deg"].max() <= 40.1
    assert np.ptp(got["tibia_deg"]) > 5.0
    assert np.all(np.diff(got["t_host_s"]) >= 0)


def test_configure_writes_only_what_differs_and_verifies_it(emu: WitEmulator) -> None:
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        content = (wire.ACC, wire.ANGLE)
        planned = device.plan(rate_hz=100, content=content)
        assert [str(c) for c in planned] == [
            "output acceleration, angular rate, angle, magnetic field → acceleration, angle",
            "output rate 50 Hz → 100 Hz",
        ]
        assert emu.accepted_writes == []  # planning sends nothing
        changes = device.configure(rate_hz=100, content=content)
        assert changes == planned
        assert (
            emu.flash[wire.REG_RSW] == wire.CONTENT_BITS[wire.ACC] | wire.CONTENT_BITS[wire.ANGLE]
        )
        assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[100.0]
        assert emu.accepted_writes[-1] == (wire.REG_SAVE, 0)
        assert device.info.nominal_rate_hz == 100.0
        writes = len(emu.accepted_writes)
        assert device.configure(rate_hz=100, content=content) == []
        assert len(emu.accepted_writes) == writes  # already stored: flash spared
    finally:
        device.close()


def test_device_rate_is_read_back_when_not_configured(emu: WitEmulator) -> None:
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        registers = device.read_registers(wire.REG_RSW)
    finally:
        device.close()
    assert device.info.nominal_rate_hz == 50.0
    assert emu.accepted_writes == []
    assert registers[:3] == (0x1E, wire.RATE_CODES[50.0], wire.BAUD_CODES[115200])


def test_level_surface_zero(tmp_path: Path) -> None:
    # Lying flat, with the chip tilted 1.2° in its case: tibia reads 91.2° until zeroed.
    with WitEmulator(
        link=tmp_path / "ttyWIT", rate_hz=50, peak_deg=91.2, ramp_s=0.001, hold_s=1e6
    ) as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            with pytest.raises(DeviceError, match="Start"):
                device.zero()
            device.start()
            assert wait_for(lambda: device.buffer.total >= 5)
            offsets = device.zero(seconds=0.3)
            assert offsets.tibia_deg == pytest.approx(1.2, abs=0.05)
            cursor = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= cursor + 5)
            after, _, _ = device.buffer.read_new(cursor)
            np.testing.assert_allclose(after["tibia_deg"], 90.0, atol=0.05)
        finally:
            device.close()
    again = WitMotionDevice("loop://", zero_offsets=ZeroOffsets(0.5, -0.25, 1.2))
    assert again.zero_offsets.tibia_deg == 1.2


def test_zero_refuses_a_sensor_that_is_not_lying_flat(emu: WitEmulator) -> None:
    emu.peak_deg, emu.ramp_s, emu.hold_s = 30.0, 0.001, 1e6
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 5)
        with pytest.raises(DeviceError, match="level surface"):
            device.zero(seconds=0.2)
    finally:
        device.close()


def test_silent_port_is_a_protocol_mismatch_and_releases_the_port(emu: WitEmulator) -> None:
    emu.faults.mute = True
    emu.faults.ignore_commands = True
    device = WitMotionDevice(emu.port, scan=False)
    with pytest.raises(ProtocolMismatchError, match="No WitMotion data"):
        device.open()
    assert device.state is DeviceState.ERROR
    assert "switched on" in device.last_error
    emu.faults.mute = emu.faults.ignore_commands = False
    device.open()  # the port was released
    device.close()


def test_rejects_unsupported_settings(emu: WitEmulator) -> None:
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        with pytest.raises(ValueError, match="not one of"):
            device.plan(rate_hz=33)
        with pytest.raises(ValueError, match="baud"):
            device.configure(baud=12345)
    finally:
        device.close()
    assert emu.accepted_writes == []


def test_configure_while_streaming_keeps_streaming(emu: WitEmulator) -> None:
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        device.start()
        device.configure(rate_hz=20)
        assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[20.0]
        assert device.info.nominal_rate_hz == 20.0
        assert device.state is DeviceState.STREAMING
        cursor = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= cursor + 10)
    finally:
        device.close()


def test_a_rate_beyond_9600_baud_moves_the_sensor_to_115200(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10, device_baud=9600) as emu:
        device = WitMotionDevice(emu.port, baudrate=9600)
        device.open()
        try:
            assert device.info.extra["baud"] == 9600
            assert emu.accepted_writes == []
            with pytest.raises(DeviceError, match="bit/s"):
                device.configure(rate_hz=100, auto_baud=False)
            assert [str(c) for c in device.plan(rate_hz=100)] == [
                "output rate 10 Hz → 100 Hz",
                "baud rate 9600 → 115200",
            ]
            device.configure(rate_hz=100)
            assert device.info.extra["baud"] == 115200
            assert emu.flash[wire.REG_BAUD] == wire.BAUD_CODES[115200]
            assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[100.0]
            device.start()
            assert wait_for(lambda: device.buffer.total >= 50)
        finally:
            device.close()
