"""Quiet when idle (issue 16 §3): pausing devices over real ptys, with honest loss detection."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from drivers.base import DeviceState
from drivers.codecs import witmotion_wire as wire
from drivers.emulators.lineplate import LinePlateEmulator
from drivers.emulators.witmotion import WitEmulator
from drivers.lineplate import LinePlateDevice
from drivers.registry import DeviceRegistry
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices
from drivers.witmotion import WitMotionDevice
from tests.drivers.helpers import assert_contiguous_run, wait_for


def _angles(device: WitMotionDevice) -> np.ndarray:
    got = device.buffer.latest(device.buffer.total)
    return np.column_stack((got["angle_x_deg"], got["angle_y_deg"], got["angle_z_deg"]))


def test_a_paused_witmotion_delivers_nothing_writes_nothing_and_resumes_at_once(
    tmp_path: Path,
) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=100, ramp_s=1.0, hold_s=0.3) as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 20)
            sent_before = len(emu.received)
            device.pause()
            assert wait_for(lambda: device.state is DeviceState.CONNECTED)
            assert device.paused
            time.sleep(0.1)
            total, read = device.buffer.total, device.bytes_read
            time.sleep(0.6)
            assert device.buffer.total == total  # nothing decoded or delivered
            assert device.bytes_read > read  # but the link is still read (alive)
            assert len(emu.received) == sent_before  # and nothing is written to it
            rejected = device.codec.implausible + device.codec.unconfirmed
            device.resume()
            assert wait_for(lambda: device.buffer.total >= total + 30)
            assert device.state is DeviceState.STREAMING
        finally:
            device.close()
        # No frame withheld or rejected after the pause; what arrived is what was sent.
        assert device.codec.implausible + device.codec.unconfirmed == rejected
        after = _angles(device)[total:]
        assert_contiguous_run(after, np.array(emu.sent_angles))


def test_a_paused_plate_is_stopped_asked_for_a_heartbeat_and_loses_nothing(
    tmp_path: Path,
) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=500) as emu:
        device = LinePlateDevice(emu.port)
        device.open()
        try:
            device.start()
            assert wait_for(lambda: device.buffer.total >= 100)
            device.pause()
            assert wait_for(lambda: not emu.streaming)  # 'S'
            queries = emu.received.count(b"?")
            assert wait_for(lambda: emu.received.count(b"?") >= queries + 2, 4.0)
            assert device.state is DeviceState.CONNECTED
            total = device.buffer.total
            device.resume()
            assert wait_for(lambda: device.buffer.total >= total + 100)
        finally:
            device.close()
    seq = device.buffer.latest(device.buffer.total)["seq"]
    assert np.array_equal(seq, np.arange(seq[0], seq[0] + len(seq)))  # S/G: seq continues
    assert device.lost_samples == 0


def test_loss_while_paused_is_reported_and_the_device_comes_back_paused(
    tmp_path: Path,
) -> None:
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50) as emu:
        device = WitMotionDevice(emu.port)
        states: list[DeviceState] = []
        device.add_state_listener(lambda state, _message: states.append(state))
        device.open()
        try:
            device.start()
            device.pause()
            assert wait_for(lambda: device.state is DeviceState.CONNECTED)
            emu.unplug()
            assert wait_for(lambda: DeviceState.LOST in states, 5.0)
            total = device.buffer.total
            emu.replug()
            assert wait_for(lambda: device.state is DeviceState.CONNECTED, 10.0)
            time.sleep(0.3)
            assert device.paused and device.buffer.total == total  # back, still paused
            device.resume()
            assert wait_for(lambda: device.buffer.total >= total + 20)
        finally:
            device.close()


def test_a_plate_that_stops_answering_while_paused_is_lost(tmp_path: Path) -> None:
    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=200) as emu:
        device = LinePlateDevice(emu.port, reconnect=False)
        device.open()
        try:
            device.start()
            device.pause()
            assert wait_for(lambda: device.state is DeviceState.CONNECTED)
            emu.faults.mute = emu.faults.ignore_commands = True
            assert wait_for(lambda: device.state is DeviceState.LOST, 8.0)
            assert "stopped answering" in device.last_error
        finally:
            device.close()


def test_the_registry_pauses_when_no_screen_needs_data_and_only_when_managed(
    tmp_path: Path,
) -> None:
    clock = ManualClock(start_s=10.0)
    patient = SimulatedPatient(3, 70.0, {"left": 38.0, "right": 40.0}, clock=clock)
    inc, plate = create_simulated_devices(patient)
    inc.start()
    plate.start()
    registry = DeviceRegistry()
    registry.add(inc)
    assert registry.streaming_wanted and not inc.paused  # nobody manages: stream
    registry.manage("window")
    assert inc.paused and inc.state is DeviceState.CONNECTED
    registry.add(plate)  # a device added while idle is paused at once
    assert plate.paused
    total = plate.buffer.total
    clock.advance(2.0)
    assert plate.buffer.total == total  # no samples produced while paused
    registry.set_needed("assessment", True)
    assert not inc.paused and inc.state is DeviceState.STREAMING
    clock.advance(0.5)
    got = plate.buffer.latest(plate.buffer.total - total)
    assert len(got) == 500 and got["t_host_s"][0] >= 12.0  # the paused time is skipped
    registry.set_needed("assessment", False)
    assert inc.paused
    registry.remove(inc)  # its new owner decides: no longer paused on our behalf
    assert not inc.paused
    registry.manage("window", False)
    assert not plate.paused
    inc.close()
    plate.close()


def test_configure_content_stays_after_a_pause(tmp_path: Path) -> None:
    """Pausing never writes settings: the stored output is the same before and after."""
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=50) as emu:
        device = WitMotionDevice(emu.port)
        device.open()
        try:
            device.start()
            device.pause()
            time.sleep(0.5)
            device.resume()
            assert wait_for(lambda: device.state is DeviceState.STREAMING)
        finally:
            device.close()
        assert emu.accepted_writes == [] and emu.flash == emu.registers
        commands, stray = wire.host_commands(bytes(emu.received))
        assert stray == 0 and {r for r, _ in commands} == {wire.REG_READ}
