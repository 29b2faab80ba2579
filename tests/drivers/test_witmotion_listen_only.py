"""WitMotion sensors that only send, over real ptys: TX-only wiring, WT61 legacy, a replayed log.

Each emulator records every byte the host writes, which proves that connecting and
streaming sent nothing but register reads (and nothing at all to legacy firmware).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from drivers.base import DeviceError, DeviceState
from drivers.codecs import witmotion_legacy as legacy
from drivers.codecs import witmotion_wire as wire
from drivers.codecs.witmotion import decode_frames
from drivers.emulators.witmotion import WitEmulator
from drivers.emulators.witmotion_variants import (
    WitReplayEmulator,
    WT61Emulator,
    render_capture,
    split_cycles,
)
from drivers.witmotion import WitMotionDevice
from tests.drivers.helpers import assert_contiguous_run, wait_for


def _angles(device: WitMotionDevice) -> np.ndarray:
    got = device.buffer.latest(device.buffer.total)
    return np.column_stack((got["angle_x_deg"], got["angle_y_deg"], got["angle_z_deg"]))


def _only_reads(received: bytes) -> bool:
    commands, stray = wire.host_commands(received)
    return stray == 0 and all(register == wire.REG_READ for register, _ in commands)


def test_tx_only_wiring_streams_listen_only_with_the_rate_measured(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50, ramp_s=1.0, hold_s=0.5) as emu:
        emu.faults.ignore_commands = True  # the sensor's RX pin is not connected
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            info = device.info
            assert info.listen_only and device.settings is None
            assert info.firmware == "" and info.nominal_rate_hz == 0.0  # unknown
            assert info.measured_rate_hz == 50.0
            assert info.rate_hz == 50.0
            device.start()
            assert "listen-only" in device._streaming_message()
            assert wait_for(lambda: device.buffer.total >= 40)
            with pytest.raises(DeviceError, match="only sends"):
                device.plan(rate_hz=100)
        finally:
            device.close()
        assert _only_reads(bytes(emu.received))
        assert emu.accepted_writes == []
        assert_contiguous_run(_angles(device), np.array(emu.sent_angles))


def test_legacy_wt61_is_recognised_from_its_stream_and_receives_nothing(tmp_path: Path) -> None:
    with WT61Emulator(link=tmp_path / "ttyWT61", temperature_c=21.0) as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            assert device.legacy and device.info.listen_only
            assert "WT61" in device.info.model
            assert device.info.firmware == ""
            assert device.info.measured_rate_hz == 100.0
            rejected = device.codec.implausible
            device.start()
            assert wait_for(lambda: device.buffer.total >= 100)
        finally:
            device.close()
        assert bytes(emu.received) == b""  # no read, no command: legacy firmware has none
        # 21 °C by the legacy formula, no version word: nothing is rejected.
        assert device.codec.implausible == rejected
        got = device.buffer.latest(device.buffer.total)
        assert_contiguous_run(_angles(device), np.array(emu.sent_angles))
        assert float(got["tibia_deg"].min()) >= 0.0 and float(got["tibia_deg"].max()) <= 40.1


def test_legacy_rate_change_uses_the_3_byte_preset_and_is_verified(tmp_path: Path) -> None:
    with WT61Emulator(link=tmp_path / "ttyWT61") as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            with pytest.raises(ValueError, match="20 Hz or 100 Hz"):
                device.plan(rate_hz=50)
            assert [str(c) for c in device.plan(rate_hz=20)] == [
                "rate and baud 100 Hz at 115200 baud → 20 Hz at 9600 baud"
            ]
            assert bytes(emu.received) == b""
            device.configure(rate_hz=20)
            assert device.baudrate == 9600 and device.info.measured_rate_hz == 20.0
            device.start()
            assert wait_for(lambda: device.buffer.total >= 10)
        finally:
            device.close()
        assert bytes(emu.received) == legacy.command(legacy.SLOW_9600_20HZ)
        assert emu.legacy_commands == [legacy.SLOW_9600_20HZ]
        assert emu.flash[wire.REG_BAUD] == wire.BAUD_CODES[9600]


def test_sd_card_log_replayed_through_a_serial_pair(tmp_path: Path) -> None:
    capture = render_capture(6.0, rate_hz=10.0)  # 0x50 time + 0x51-0x54, as a WT901SD logs
    with WitReplayEmulator(capture, rate_hz=20.0, link=tmp_path / "ttyLOG") as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            assert device.info.listen_only and not device.legacy
            assert device.info.measured_rate_hz == 20.0  # the replay's pace, measured
            assert device.info.extra["version_word"] == "0x1234"
            device.start()
            assert wait_for(lambda: device.buffer.total >= 30)
        finally:
            device.close()
        assert _only_reads(bytes(emu.received))
    # The samples are the log's angle frames, in order.
    cycles = split_cycles(capture)
    frames = decode_frames(b"".join(cycles))
    logged = wire.words_scaled(frames["words"][frames["type"] == wire.ANGLE], 180.0)
    assert_contiguous_run(_angles(device), np.concatenate((logged, logged)))


def test_listen_only_loss_and_reconnection_stay_honest(tmp_path: Path) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50) as emu:
        emu.faults.ignore_commands = True
        device = WitMotionDevice(emu.port)
        states: list[DeviceState] = []
        device.add_state_listener(lambda state, message: states.append(state))
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 20)
            emu.faults.mute = True  # switched off behind a live USB bridge
            assert wait_for(lambda: device.state is DeviceState.RECONNECTING, 5.0)
            emu.faults.mute = False
            assert wait_for(lambda: device.state is DeviceState.STREAMING, 10.0)
            cursor = device.buffer.total
            assert wait_for(lambda: device.buffer.total >= cursor + 20)
        finally:
            device.close()
        assert DeviceState.LOST in states
        assert _only_reads(bytes(emu.received))
