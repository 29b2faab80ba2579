"""The WitMotion pty emulator itself, driven with bare pyserial and the codec."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import serial

from drivers.codecs import witmotion_wire as wire
from drivers.codecs.witmotion import WitMotionCodec, decode_frames
from drivers.emulators.witmotion import WitEmulator
from tests.drivers.helpers import read_for


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[WitEmulator]:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50) as emulator:
        yield emulator


def test_streams_the_default_content_at_the_set_rate(emu: WitEmulator) -> None:
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        frames = decode_frames(read_for(port, 0.5))
    types = set(frames["type"].tolist())
    assert types == {wire.ACC, wire.GYRO, wire.ANGLE, wire.MAG}
    assert 15 <= int((frames["type"] == wire.ANGLE).sum()) <= 35


def test_register_read_back_and_the_unlock_sequence(emu: WitEmulator) -> None:
    codec = WitMotionCodec()
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        port.write(wire.cmd_output_rate(10))  # locked: ignored
        time.sleep(0.05)
        for command in (wire.cmd_unlock(), wire.cmd_output_rate(20), wire.cmd_save()):
            port.write(command)
            time.sleep(0.02)
        port.write(wire.cmd_read_registers(wire.REG_RSW))
        registers = codec.feed(read_for(port, 0.2)).registers
    assert emu.ignored_writes == 1
    assert registers[-1].tolist()[:3] == [0x1E, wire.RATE_CODES[20.0], wire.BAUD_CODES[115200]]
    assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[20.0]


def test_wrong_baud_scrambles_output_and_ignores_commands(emu: WitEmulator) -> None:
    with serial.Serial(emu.port, 9600, timeout=0.05) as port:
        assert not emu.baud_matches() or not emu.host_connected
        port.write(wire.cmd_unlock() + wire.cmd_output_rate(20))
        data = read_for(port, 0.3)
    assert len(data) > 100
    assert len(decode_frames(data)) == 0
    assert emu.registers[wire.REG_RRATE] == wire.RATE_CODES[50.0]


def test_baud_write_switches_the_device_rate(emu: WitEmulator) -> None:
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        port.write(wire.cmd_unlock())
        time.sleep(0.02)
        port.write(wire.cmd_baud(9600))
        time.sleep(0.05)
        assert emu.device_baud == 9600
        port.baudrate = 9600
        port.reset_input_buffer()
        assert len(decode_frames(read_for(port, 0.3))) > 3


def test_replug_is_a_new_pty_at_the_same_path_with_stored_settings(emu: WitEmulator) -> None:
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        port.write(wire.cmd_unlock())
        time.sleep(0.02)
        port.write(wire.cmd_output_rate(20))  # not saved
        time.sleep(0.05)
        emu.unplug()
        assert not os.path.exists(emu.port)
        # A pulled cable fails the next read (SerialException) or, when the unplug lands
        # between reads, the in_waiting ioctl (OSError EIO): the device handles both.
        with pytest.raises((serial.SerialException, OSError)):
            read_for(port, 0.2)
    emu.replug()
    assert os.path.exists(emu.port)  # a fresh pty (the kernel may reuse the number)
    assert emu.registers[wire.REG_RRATE] == wire.RATE_CODES[50.0]
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        assert len(decode_frames(read_for(port, 0.2))) > 3


def test_angle_reference_command_zeroes_the_angles(emu: WitEmulator) -> None:
    emu.ramp_s, emu.hold_s, emu.peak_deg = 0.001, 1e6, 30.0
    codec = WitMotionCodec(output_rate_hz=50)
    with serial.Serial(emu.port, 115200, timeout=0.05) as port:
        time.sleep(0.1)
        port.write(wire.cmd_unlock())
        time.sleep(0.02)
        port.write(wire.cmd_zero_angles())
        time.sleep(0.05)
        port.reset_input_buffer()
        angles = codec.feed(read_for(port, 0.3)).angle
    assert abs(angles[-1][:2]).max() < 0.01


def test_output_waits_for_a_host(emu: WitEmulator) -> None:
    time.sleep(0.2)
    assert emu.samples_emitted == 0 and not emu.host_connected
