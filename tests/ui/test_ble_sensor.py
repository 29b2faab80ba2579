"""The wireless shin sensor in the Connect dialog, the device strip and the command line,
like any inclinometer (bleak's real front-end on the fake backends: there is no adapter)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QDialog

import drivers.transport
from clinic_app.cli import main
from clinic_app.ui.devices import strip
from clinic_app.ui.devices.connect import ConnectDialog
from drivers import ble_scan
from drivers.base import DeviceState
from drivers.emulators.witmotion_ble import FakeBleakClient, FakeBleakScanner, FakeWitPeripheral
from drivers.registry import DeviceRegistry


@pytest.fixture
def sensors(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FakeWitPeripheral, ...]]:
    monkeypatch.setattr(ble_scan, "CLIENT_BACKEND", FakeBleakClient)
    monkeypatch.setattr(ble_scan, "SCANNER_BACKEND", FakeBleakScanner)
    shin = FakeWitPeripheral("C0:FF:EE:00:01:01", name="WT901BLE68", rate_hz=50.0).register()
    other = FakeWitPeripheral("C0:FF:EE:00:01:02", name="WTVB01-BT50").register()
    yield shin, other
    shin.unregister()
    other.unregister()


def test_connect_dialog_scans_and_connects_the_shin_sensor(
    qtbot, sensors: tuple[FakeWitPeripheral, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    shin, other = sensors
    monkeypatch.setattr(ble_scan, "scan", lambda timeout_s=5.0: _real_scan(0.3))
    registry = DeviceRegistry()
    dialog = ConnectDialog(registry, lister=lambda: [])
    qtbot.addWidget(dialog)
    dialog.scan_ble()
    dialog.wait(15.0)
    rows = {dialog.table.item(i, 0).text(): i for i in range(dialog.table.rowCount())}
    assert set(rows) == {shin.address, other.address}
    assert dialog.table.item(rows[other.address], 3).text().startswith("not usable")
    assert "1 Bluetooth inclinometer found" in dialog.status.text()
    dialog.table.selectRow(rows[other.address])
    dialog.connect_selected()
    assert "vibration sensor" in dialog.status.text()
    dialog.table.selectRow(rows[shin.address])
    dialog.connect_selected()
    dialog.wait(20.0)
    try:
        device = registry.inclinometer
        assert device is not None and device.info.protocol == "witmotion-ble"
        assert device.state is DeviceState.STREAMING
        assert dialog.result() == QDialog.DialogCode.Accepted
        monkeypatch.setattr(strip, "active_devices", registry.devices)
        (status,) = strip.registry_source()
        assert status.name == "Inclinometer"
        assert status.words == "streaming 50 Hz, battery 80 %"
    finally:
        registry.close_all()


_real_scan = ble_scan.scan
"""The real scan, shortened for the dialog test (5 s in the application)."""


def test_cli_lists_and_streams_the_ble_sensor(
    sensors: tuple[FakeWitPeripheral, ...],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shin, _other = sensors
    monkeypatch.setattr(drivers.transport, "system_ports", lambda: [])
    assert main(["devices", "list", "--no-probe", "--ble"]) == 0
    listing = capsys.readouterr().out
    line = next(row for row in listing.splitlines() if row.startswith(shin.address))
    assert "WT901BLE68" in line and line.rstrip().endswith("witmotion-ble")
    assert "not usable: a vibration sensor" in listing
    args = ["devices", "stream", "--protocol", "witmotion-ble", "--port", shin.address]
    assert main([*args, "--seconds", "1.5", "--csv"]) == 0
    captured = capsys.readouterr()
    rows = list(csv.reader(io.StringIO(captured.out)))
    assert rows[0] == ["t_s", "angle_x_deg", "angle_y_deg", "angle_z_deg"]
    assert len(rows) > 30
    assert "Streaming 50 Hz over Bluetooth" in captured.err


class _NoAdapter(FakeBleakScanner):
    async def start(self) -> None:
        raise FileNotFoundError(2, "No such file or directory")


def test_cli_without_bluetooth_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ble_scan, "SCANNER_BACKEND", _NoAdapter)
    monkeypatch.setattr(drivers.transport, "system_ports", lambda: [])
    assert main(["devices", "list", "--no-probe", "--ble"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Bluetooth is not available on this computer" in err
