"""The Devices page's "Sensor settings" dialog on a WitMotion emulator over a real pty."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_app.ui.devices.configure import ConfigureDialog
from clinic_app.ui.devices.panel import DevicesPanel
from drivers.calibration import CalibrationStore
from drivers.codecs import witmotion_wire as wire
from drivers.emulators.witmotion import WitEmulator
from drivers.registry import DeviceRegistry
from drivers.witmotion import WitMotionDevice


@pytest.fixture
def emu(tmp_path: Path):
    with WitEmulator(link=tmp_path / "ttyWIT", rate_hz=10) as emulator:
        yield emulator


def _panel(qtbot, device: WitMotionDevice, tmp_path: Path) -> DevicesPanel:
    registry = DeviceRegistry()
    registry.add(device)
    panel = DevicesPanel(registry=registry, store=CalibrationStore(tmp_path))
    qtbot.addWidget(panel)
    panel.show()
    panel.refresh()
    return panel


def test_the_button_says_what_it_will_store_and_the_change_is_verified(
    qtbot, emu: WitEmulator, tmp_path: Path
) -> None:
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        panel = _panel(qtbot, device, tmp_path)
        card = panel.cards["inclinometer"]
        assert "Firmware 0x1234" in card.settings.text()
        assert "stored settings 10 Hz" in card.settings.text()
        assert card.action_buttons["configure"].isEnabled()
        dialog = panel.open_configure(device, modal=False)
        assert isinstance(dialog, ConfigureDialog)
        assert "10 Hz; acceleration, angular rate, angle, magnetic field" in dialog.current.text()
        assert dialog.apply_button.text() == "Nothing to change"
        assert not dialog.apply_button.isEnabled()
        dialog.rate.setCurrentIndex(dialog.rate.findData(100.0))
        dialog.lean.setChecked(True)
        assert dialog.apply_button.text() == (
            "Store in the sensor: output acceleration, angular rate, angle, magnetic field → "
            "acceleration, angle; output rate 10 Hz → 100 Hz"
        )
        assert emu.accepted_writes == []  # nothing is sent before the click
        dialog.apply_button.click()
        dialog.wait()
        assert "Stored and verified" in dialog.outcome.text()
        assert emu.flash[wire.REG_RRATE] == wire.RATE_CODES[100.0]
        assert dialog.apply_button.text() == "Nothing to change"
        dialog.close()
    finally:
        device.close()


def test_a_listen_only_sensor_explains_why_nothing_can_be_changed(
    qtbot, emu: WitEmulator, tmp_path: Path
) -> None:
    emu.faults.ignore_commands = True
    device = WitMotionDevice(emu.port)
    device.open()
    try:
        panel = _panel(qtbot, device, tmp_path)
        card = panel.cards["inclinometer"]
        assert "Listen-only: firmware unknown, configured rate unknown, measured 10 Hz" in (
            card.settings.text()
        )
        dialog = panel.open_configure(device, modal=False)
        assert not dialog.apply_button.isEnabled()
        assert "only sends" in dialog.outcome.text()
        assert "unknown" in dialog.current.text()
        dialog.close()
    finally:
        device.close()
    commands, stray = wire.host_commands(bytes(emu.received))
    assert stray == 0 and {r for r, _ in commands} == {wire.REG_READ}
