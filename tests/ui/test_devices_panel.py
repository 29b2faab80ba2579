"""The Devices panel on simulated devices: state words, zero, tare, known-mass calibration."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from clinic_app.ui import theme
from clinic_app.ui.devices.calibration import MEASURE_S, SETTLE_S, CalibrationProcedure
from clinic_app.ui.devices.panel import DevicesDialog, DevicesPanel, zero_words
from clinic_app.ui.devices.wizard import CalibrationWizard
from drivers.base import DeviceError, DeviceState
from drivers.calibration import STANDARD_GRAVITY, CalibrationStore
from drivers.registry import DeviceRegistry
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices


@pytest.fixture
def sim():
    clock = ManualClock(start_s=100.0)
    patient = SimulatedPatient(21, 68.0, {"left": 36.0, "right": 41.0}, clock=clock)
    inc, plate = create_simulated_devices(patient)
    registry = DeviceRegistry()
    registry.add(inc)
    registry.add(plate)
    yield clock, patient, inc, plate, registry
    inc.close()
    plate.close()


@pytest.fixture
def panel(qtbot, sim, tmp_path):
    *_, registry = sim
    widget = DevicesPanel(registry=registry, store=CalibrationStore(tmp_path))
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    return widget


def connect_all(panel: DevicesPanel) -> None:
    for role in ("inclinometer", "force_plate"):
        panel.cards[role].connect_button.click()
    panel.wait_for_actions()


def test_state_words_and_colours_follow_the_device(panel, sim) -> None:
    clock, _, inc, plate, _ = sim
    card = panel.cards["inclinometer"]
    assert "not connected" in card.pill.text()
    assert card.connect_button.text() == "Connect &inclinometer"
    assert not card.action_buttons["zero"].isEnabled()

    connect_all(panel)
    clock.advance(1.5)
    panel.refresh()
    assert card.pill.text() == "● streaming 100 Hz"
    assert panel.cards["force_plate"].pill.text() == "● streaming 1000 Hz"
    assert theme.DEVICE_LOOKS["streaming"].foreground in card.pill.styleSheet()
    assert card.stats.text() == "Measured rate 100 Hz · Lost samples 0"
    assert card.live.text().endswith("°")
    assert card.detail.text() == "tibial angle from vertical"
    assert card.connect_button.text() == "Disconnect &inclinometer"

    plate_card = panel.cards["force_plate"]
    plate_card.action_buttons["dropout"].click()
    panel.wait_for_actions()
    assert plate.state is DeviceState.LOST
    assert plate_card.pill.text() == "● connection lost"
    assert theme.DEVICE_LOOKS["lost"].foreground in plate_card.pill.styleSheet()
    clock.advance(2.7)
    panel.refresh()
    assert plate_card.pill.text() == "● lost, reconnecting…"
    clock.advance(1.0)
    panel.refresh()
    assert plate_card.pill.text() == "● streaming 1000 Hz"
    lost = int(plate_card.stats.text().rsplit(" ", 1)[-1])
    assert lost == pytest.approx(3000, abs=2)  # 3 s at 1 kHz

    card.connect_button.click()
    panel.wait_for_actions()
    assert inc.state is DeviceState.DISCONNECTED
    assert "not connected" in card.pill.text()


def test_empty_registry_says_what_to_do_and_picks_up_new_devices(qtbot, tmp_path) -> None:
    registry = DeviceRegistry()
    widget = DevicesPanel(registry=registry, store=CalibrationStore(tmp_path))
    qtbot.addWidget(widget)
    card = widget.cards["force_plate"]
    assert "No force plate connected" in card.identity.text()
    assert not card.connect_button.isEnabled()
    patient = SimulatedPatient(1, clock=ManualClock())
    _, plate = create_simulated_devices(patient)
    registry.add(plate)  # e.g. from another screen or thread
    widget.refresh()
    assert card.device is plate
    assert "serial SIM-FORC-0001" in card.identity.text()
    assert card.connect_button.isEnabled()


def test_zero_button_removes_the_inclinometer_bias(panel, sim) -> None:
    clock, patient, inc, _, _ = sim

    def error_deg() -> float:  # reading minus the patient's true shin angle
        s = inc.buffer.latest(20)
        return float(np.mean(s["tibia_deg"] - patient.pose(s["t_host_s"]).tibia_deg))

    connect_all(panel)
    clock.advance(1.0)
    before = error_deg()
    card = panel.cards["inclinometer"]
    panel.refresh()
    assert card.action_buttons["zero"].isEnabled()
    card.action_buttons["zero"].click()
    panel.wait_for_actions()
    clock.advance(1.0)
    assert before == pytest.approx(inc.bias_deg, abs=0.02)
    after = error_deg()
    assert abs(after) < 0.02
    # The message states the change the clinician sees, in the direction it went.
    said = card.message.text()
    assert said.startswith("Zeroed: the inclinometer now reads 0.0° here; every reading is now")
    stated = float(re.search(r"now ([0-9.]+)° (lower|higher)", said).group(1))
    moved = after - before
    assert ("lower" if moved < 0 else "higher") in said
    assert stated == pytest.approx(abs(moved), abs=0.03)
    # Zeroing again on the same surface changes nothing, and says so.
    card.action_buttons["zero"].click()
    panel.wait_for_actions()
    assert card.message.text().endswith("as before: readings unchanged."), card.message.text()


def test_the_zero_message_never_claims_a_change_it_did_not_make() -> None:
    assert zero_words(1.224, 0.0) == (
        "Zeroed: the inclinometer now reads 0.0° here; every reading is now 1.22° lower "
        "than before."
    )
    assert zero_words(-0.5, 90.0).endswith(
        "now reads 90.0° here; every reading is now 0.50° higher than before."
    )
    assert zero_words(-0.001, 0.0).endswith("as before: readings unchanged.")
    assert "−0" not in zero_words(-0.001, -0.01)


def test_tare_button_zeroes_the_empty_plate(panel, sim) -> None:
    clock, _, _, plate, _ = sim
    connect_all(panel)
    clock.advance(1.0)
    assert abs(plate.buffer.latest(200)["fz_n"].mean()) > 3.0
    card = panel.cards["force_plate"]
    panel.refresh()
    card.action_buttons["tare"].click()
    panel.wait_for_actions()
    assert card.message.text() == "Tared: the empty plate now reads 0 N."
    clock.advance(0.5)
    panel.refresh()
    assert abs(plate.buffer.latest(200)["fz_n"].mean()) < 0.5
    assert card.live.text().startswith(("0 N", "1 N", "−1 N"))


def test_every_action_has_its_own_alt_key_and_works_from_the_keyboard(panel, sim, qtbot) -> None:
    clock, _, inc, _, _ = sim
    texts = [panel.cards[r].connect_button.text() for r in panel.cards] + [
        b.text()
        for card in panel.cards.values()
        for n, b in card.action_buttons.items()
        if n != "dropout"
    ]
    keys = [t[t.index("&") + 1].lower() for t in texts]
    assert len(keys) == len(set(keys)) == 6  # i, p, z, s (sensor settings), t, c
    connect_all(panel)
    clock.advance(1.0)
    panel.refresh()
    button = panel.cards["inclinometer"].action_buttons["zero"]
    assert button.focusPolicy() & Qt.FocusPolicy.TabFocus
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)
    panel.wait_for_actions()
    assert inc.zero_offset_deg != 0.0


def step_wizard(qtbot, wizard: CalibrationWizard, clock: ManualClock) -> None:
    """Press Next once the reading has settled, and wait for the step to finish."""
    index = wizard.procedure.index
    clock.advance(MEASURE_S + SETTLE_S + 0.1)
    qtbot.waitUntil(wizard.next_button.isEnabled, timeout=3000)
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: wizard.procedure.index > index or wizard.procedure.saved, timeout=3000)


def test_calibration_wizard_finds_each_cells_scale(panel, sim, qtbot, tmp_path) -> None:
    clock, _, _, plate, _ = sim
    connect_all(panel)
    clock.advance(1.0)
    wizard = panel.open_calibration(plate, modal=False)
    assert isinstance(wizard, CalibrationWizard)
    qtbot.addWidget(wizard)
    assert wizard.title.text() == "Known mass"
    wizard.mass.setValue(12.5)
    for _ in range(len(wizard.procedure.steps) - 1):
        step_wizard(qtbot, wizard, clock)
    proc = wizard.procedure
    assert proc.saved and proc.step.key == "save"
    # The plate's true cell gains are 0.97–1.03: each scale must undo its cell's gain.
    assert np.allclose(proc.scales, 1.0 / plate.true_gain, rtol=2e-3)
    assert abs(proc.check_error_pct) < 0.3
    assert proc.centre_before_n is not None
    assert plate.calibration.scales == pytest.approx(list(1.0 / plate.true_gain), rel=2e-3)
    stored = json.loads((tmp_path / CalibrationStore.FILENAME).read_text())
    assert plate.info.serial_number in stored["plates"]
    assert stored["plates"][plate.info.serial_number]["masses_kg"] == [12.5] * 4
    # The mass is gone again, and the calibrated plate weighs a 20 kg mass right.
    clock.advance(0.5)
    assert abs(plate.buffer.latest(200)["fz_n"].mean()) < 0.5
    plate.place_test_mass(20.0, 50.0, -30.0)
    clock.advance(0.5)
    assert plate.buffer.latest(200)["fz_n"].mean() == pytest.approx(
        20 * STANDARD_GRAVITY, rel=1e-3
    )
    qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
    assert not wizard.isVisible()


def test_a_mass_on_the_wrong_corner_is_refused(sim) -> None:
    clock, _, _, plate, _ = sim
    plate.start()
    clock.advance(1.0)
    proc = CalibrationProcedure(plate)
    while proc.step.key != "corner1":
        proc.run()
        proc.advance()
        clock.advance(MEASURE_S + SETTLE_S + 0.1)
    plate.place_test_mass(10.0, 200.0, 200.0)  # front right, but the step asks for back right
    clock.advance(MEASURE_S + SETTLE_S + 0.1)
    with pytest.raises(DeviceError, match="back right cell is not the most loaded"):
        proc.run()


def test_devices_dialog_wraps_the_panel(qtbot, sim, tmp_path) -> None:
    *_, registry = sim
    dialog = DevicesDialog(registry=registry, store=CalibrationStore(tmp_path))
    qtbot.addWidget(dialog)
    assert dialog.panel.registry is registry
    assert dialog.windowTitle() == "Devices"


def test_serial_link_health_is_shown_when_the_device_has_codec_counters(sim) -> None:
    from clinic_app.ui.devices.status import describe

    _, _, inc, _, _ = sim

    class Codec:
        checksum_failures = 2
        dropped_bytes = 37

    inc.codec = Codec()  # what WitMotion, Rion and line-plate devices expose
    assert describe(inc).stats.endswith("Checksum failures 2 · Dropped bytes 37")
    del inc.codec
    assert "Checksum" not in describe(inc).stats


def test_calibration_wizard_on_a_line_protocol_plate_over_a_real_pty(qtbot, tmp_path) -> None:
    """The same wizard drives the real serial driver; the emulator plays the known mass."""
    from drivers.emulators.lineplate import LinePlateEmulator
    from drivers.lineplate import LinePlateDevice

    half = 200.0  # the emulator's 400 × 400 mm plate
    where = {"tare": None, "centre": (0.0, 0.0), "check": (0.0, 0.0)}
    where |= {
        f"corner{i}": xy
        for i, xy in enumerate([(half, half), (half, -half), (-half, half), (-half, -half)])
    }
    with LinePlateEmulator(
        link=tmp_path / "ttyPLATE", rate_hz=500, units="counts", sway_mm=(0.0, 0.0), noise_n=0.2
    ) as emu:
        plate = LinePlateDevice(emu.port, calibration_dir=tmp_path / "device-store")
        registry = DeviceRegistry()
        registry.add(plate)
        panel = DevicesPanel(registry=registry, store=CalibrationStore(tmp_path))
        qtbot.addWidget(panel)
        try:
            panel.cards["force_plate"].connect_button.click()
            panel.wait_for_actions(10.0)
            assert plate.state is DeviceState.STREAMING
            wizard = panel.open_calibration(plate, modal=False)
            qtbot.addWidget(wizard)
            wizard.mass.setValue(10.0)
            proc = wizard.procedure
            while proc.step.key != "save":
                key = proc.step.key
                if key in where:
                    xy = where[key]
                    emu.mass_kg, emu.cop_mm = (0.0, (0.0, 0.0)) if xy is None else (10.0, xy)
                    proc.enter()  # readings from now on see the new load
                index = proc.index
                qtbot.waitUntil(wizard.next_button.isEnabled, timeout=5000)
                qtbot.mouseClick(wizard.next_button, Qt.MouseButton.LeftButton)
                qtbot.waitUntil(lambda i=index: proc.index > i, timeout=5000)
            assert proc.saved, wizard.messages
            np.testing.assert_allclose(plate.calibration.scales, 1.0 / emu.counts_per_n, rtol=2e-3)
            assert abs(proc.check_error_pct) < 0.5
            stored = CalibrationStore(tmp_path).load("FP-000123")
            assert stored is not None and stored.is_calibrated and stored.unit == "counts"
        finally:
            plate.close()


def test_tare_is_refused_while_someone_stands_on_the_plate(panel, sim) -> None:
    clock, patient, _, plate, _ = sim
    connect_all(panel)
    on = patient.step_on("left", "eo_firm")
    clock.advance(on.t_end - clock.now() + 1.0)
    card = panel.cards["force_plate"]
    panel.refresh()
    card.action_buttons["tare"].click()
    panel.wait_for_actions()
    assert "step off" in card.message.text()
    assert np.all(plate.tare_n == 0.0)  # nothing was tared away


def test_loaded_check_is_skipped_for_raw_counts_of_an_uncalibrated_plate(sim) -> None:
    from dataclasses import replace

    from clinic_app.ui.devices.calibration import check_empty

    clock, patient, _, plate, _ = sim
    plate.start()
    on = patient.step_on("left", "eo_firm")
    clock.advance(on.t_end - clock.now() + 0.5)
    with pytest.raises(DeviceError, match="step off"):
        check_empty(plate)
    plate._info = replace(plate.info, extra={**plate.info.extra, "units": "counts"})
    check_empty(plate)  # counts with nominal scales: offsets unknown, no judgement


def test_connect_dialog_finds_and_connects_a_plate_on_a_real_pty(qtbot, tmp_path) -> None:
    from clinic_app.ui.devices.connect import ConnectDialog
    from drivers.emulators.lineplate import LinePlateEmulator
    from drivers.transport import PortInfo

    with LinePlateEmulator(link=tmp_path / "ttyPLATE", rate_hz=200) as emu:
        registry = DeviceRegistry()
        dialog = ConnectDialog(registry, lister=lambda: [PortInfo(emu.port, description="pty")])
        qtbot.addWidget(dialog)
        assert dialog.table.rowCount() == 1
        dialog.connect_selected()  # auto-detect without probing first: says what to do
        assert "Find protocols" in dialog.status.text()
        dialog.probe_all()
        dialog.wait(15.0)
        assert dialog.table.item(0, 3).text() == "DorsiLab line-protocol force plate @ 115200"
        dialog.connect_selected()
        dialog.wait(15.0)
        try:
            plate = registry.plate
            assert plate is not None and plate.info.protocol == "lineplate"
            assert plate.state is DeviceState.STREAMING
            assert dialog.result() == QDialog.DialogCode.Accepted
        finally:
            registry.close_all()


def test_connect_dialog_offers_simulated_devices_and_explains_no_ports(qtbot) -> None:
    from clinic_app.ui.devices.connect import ConnectDialog

    registry = DeviceRegistry()
    dialog = ConnectDialog(registry, lister=lambda: [])
    qtbot.addWidget(dialog)
    assert "No serial ports found" in dialog.status.text()
    dialog.connect_simulated()
    try:
        assert [label for label, _ in registry.devices()] == ["Inclinometer", "Force plate"]
        assert all(d.info.protocol == "simulated" for _, d in registry.devices())
    finally:
        registry.close_all()


def test_panel_opens_the_connect_dialog(panel, qtbot) -> None:
    dialog = panel.open_connect_dialog(modal=False)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "Connect a device"
    assert panel.connect_other.text() == "Connect a &device…"
