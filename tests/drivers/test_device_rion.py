"""Rion 0x68 device over a real pty: polling, retries, timeouts, zero, auto mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from drivers.base import DeviceState, ProtocolMismatchError
from drivers.emulators.rion import RionEmulator
from drivers.rion import RionDevice
from tests.drivers.helpers import assert_contiguous_run, wait_for


@pytest.fixture
def emu(tmp_path: Path) -> Iterator[RionEmulator]:
    with RionEmulator(link=tmp_path / "ttyRION", ramp_s=1.0, hold_s=0.5) as emulator:
        yield emulator


def _received(device: RionDevice) -> np.ndarray:
    got = device.buffer.latest(device.buffer.total)
    return np.column_stack((got["angle_x_deg"], got["angle_y_deg"]))


def test_polls_and_decodes_every_reply(emu: RionEmulator) -> None:
    device = RionDevice(emu.port, rate_hz=50)
    device.open()
    try:
        assert device.info.model == "Rion 0x68"
        device.start()
        assert wait_for(lambda: device.buffer.total >= 25)
    finally:
        device.close()
    received = _received(device)
    sent = np.array(emu.sent_angles)
    assert_contiguous_run(received, sent)
    got = device.buffer.latest(device.buffer.total)
    np.testing.assert_allclose(got["tibia_deg"], 90.0 - np.abs(received[:, 0]))
    assert np.isnan(got["angle_z_deg"]).all()
    assert device.lost_samples == 0


def test_broken_replies_are_retried_not_lost(emu: RionEmulator) -> None:
    device = RionDevice(emu.port, rate_hz=20, reply_timeout_s=0.08)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 5)
        emu.truncate_next = True
        assert wait_for(lambda: not emu.truncate_next)
        emu.bad_checksum_next = True
        assert wait_for(lambda: not emu.bad_checksum_next)
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 5)
        assert device.timeouts >= 2
        assert device.lost_samples == 0
        assert device.state is DeviceState.STREAMING
    finally:
        device.close()


def test_unanswered_polls_count_as_lost_then_the_link_as_lost(emu: RionEmulator) -> None:
    device = RionDevice(emu.port, rate_hz=20, reply_timeout_s=0.05, retries=1, lost_after_s=0.6)
    states: list[tuple[DeviceState, str]] = []
    device.add_state_listener(lambda s, m: states.append((s, m)))
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 3)
        emu.faults.ignore_commands = True
        assert wait_for(lambda: device.state is DeviceState.RECONNECTING)
        assert device.lost_samples >= 1
        lost_message = next(m for s, m in states if s is DeviceState.LOST)
        assert "stopped answering" in lost_message
        emu.faults.ignore_commands = False
        assert wait_for(lambda: device.state is DeviceState.STREAMING)
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total > total)
    finally:
        device.close()


def test_relative_zero_and_back(emu: RionEmulator) -> None:
    emu.peak_deg, emu.ramp_s, emu.hold_s = 88.0, 0.001, 1e6  # sensor lying nearly flat
    device = RionDevice(emu.port, rate_hz=50)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 3)
        device.zero()
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 5)
        after = device.buffer.latest(3)
        np.testing.assert_allclose(after["angle_x_deg"], 0.0, atol=0.011)
        np.testing.assert_allclose(after["tibia_deg"], 90.0, atol=0.011)
        device.clear_zero()
        total = device.buffer.total
        assert wait_for(lambda: device.buffer.total >= total + 5)
        np.testing.assert_allclose(device.buffer.latest(1)["angle_x_deg"], 2.0, atol=0.011)
    finally:
        device.close()


def test_auto_output_mode(emu: RionEmulator) -> None:
    device = RionDevice(emu.port, rate_hz=50, auto=True)
    device.open()
    try:
        device.start()
        assert wait_for(lambda: device.buffer.total >= 20)
        assert emu.auto
        polls = emu.polls
    finally:
        device.close()
    assert not emu.auto  # back to poll mode on close
    assert polls == 1  # only the identification poll


def test_nothing_answering_is_reported(emu: RionEmulator) -> None:
    emu.faults.ignore_commands = True
    device = RionDevice(emu.port, reply_timeout_s=0.05, retries=0)
    with pytest.raises(ProtocolMismatchError, match="No Rion inclinometer"):
        device.open()
