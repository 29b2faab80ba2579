""" "Connect a device" dialog: serial ports and their protocols, Bluetooth LE inclinometers, the
Wii board, simulation.

Probing a port (:func:`drivers.transport.probe_port`, about a second per baud rate) and opening
a device run on a worker thread; the dialog polls them on a timer and never freezes. A device
that connects goes into the shared :class:`drivers.registry.DeviceRegistry` (replacing, and
closing, the device that had its role).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.numbers import counted
from clinic_app.ui import theme
from drivers import ble_scan
from drivers.base import Device, DeviceError
from drivers.ble_scan import BleSensor
from drivers.registry import DeviceRegistry
from drivers.transport import PortLister, ProbeResult, list_ports, probe_port

log = logging.getLogger(__name__)

PROTOCOL_CHOICES = (
    ("auto", "Detect automatically"),
    ("witmotion", "WitMotion inclinometer"),
    ("rion", "Rion inclinometer"),
    ("lineplate", "DorsiLab line-protocol force plate"),
)
POLL_MS = 100
BLE_ID = "Bluetooth LE"
"""What the "USB id" column says for a Bluetooth sensor."""
USER_ROLE = Qt.ItemDataRole.UserRole


def make_serial_device(protocol: str, port: str, baudrate: int | None) -> Device:
    """The driver for ``protocol`` on ``port`` (the same factory as ``clinic-app devices``)."""
    from clinic_app.commands.devices import make_device

    device: Device = make_device(protocol, port, baudrate)
    return device


def _connect(device: Device) -> Device:
    try:
        device.open()
        device.start()
    except BaseException:
        device.close()
        raise
    return device


class ConnectDialog(QDialog):
    """Pick a port (or the Wii board, or simulated devices) and connect it.

    Parameters
    ----------
    registry : DeviceRegistry
        Receives the connected device.
    lister : callable, optional
        Port lister (tests pass their pseudo-terminals); the operating system's by default.
    """

    def __init__(
        self,
        registry: DeviceRegistry,
        lister: PortLister | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connect a device")
        self.setMinimumSize(760, 440)
        self.registry = registry
        self._lister = lister
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="device-connect")
        self._job: tuple[str, Future[Any]] | None = None
        self.connected: Device | None = None

        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        title = QLabel("Connect a device")
        theme.set_font(title, theme.TITLE_PT, bold=True)
        layout.addWidget(title)
        self.table = QTableWidget(0, 4)
        self.table.setHorizontalHeaderLabels(["Port", "Description", "USB id", "Protocol"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Serial ports")
        layout.addWidget(self.table, 1)

        row = QHBoxLayout()
        self.refresh_button = QPushButton("&Refresh ports")
        self.refresh_button.clicked.connect(self.refresh_ports)
        self.probe_button = QPushButton("&Find protocols")
        self.probe_button.setToolTip("Ask every port which protocol it speaks (a few seconds).")
        self.probe_button.clicked.connect(self.probe_all)
        self.protocol = QComboBox()
        for key, text in PROTOCOL_CHOICES:
            self.protocol.addItem(text, key)
        self.protocol.setAccessibleName("Protocol")
        self.connect_button = QPushButton("&Connect")
        self.connect_button.setDefault(True)
        self.connect_button.setMinimumWidth(140)
        self.connect_button.clicked.connect(self.connect_selected)
        for widget in (self.refresh_button, self.probe_button, self.protocol):
            row.addWidget(widget)
        row.addStretch(1)
        row.addWidget(self.connect_button)
        layout.addLayout(row)

        other = QHBoxLayout()
        self.ble_button = QPushButton("Bl&uetooth sensors")
        self.ble_button.setToolTip(
            "Find wireless WitMotion inclinometers (switch the sensor on first; no pairing)."
        )
        self.ble_button.clicked.connect(self.scan_ble)
        self.wii_button = QPushButton("Wii &Balance Board")
        self.wii_button.setToolTip("Pair the board over Bluetooth first (red button).")
        self.wii_button.clicked.connect(self.connect_wii)
        self.sim_button = QPushButton("&Simulated devices")
        self.sim_button.setToolTip("A simulated inclinometer and plate, for training.")
        self.sim_button.clicked.connect(self.connect_simulated)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        other.addWidget(self.ble_button)
        other.addWidget(self.wii_button)
        other.addWidget(self.sim_button)
        other.addStretch(1)
        other.addWidget(close)
        layout.addLayout(other)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Connection status")
        layout.addWidget(self.status)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        self.refresh_ports()

    # ------------------------------------------------------------------ ports
    def refresh_ports(self) -> None:
        """List the serial ports present now."""
        ports = list_ports(self._lister)
        self.table.setRowCount(len(ports))
        for i, port in enumerate(ports):
            cells = (port.device, port.description or port.manufacturer, port.vid_pid, "")
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        if ports:
            self.table.selectRow(0)
            self._say(f"{counted(len(ports), 'serial port')}. Select one and press Connect.")
        else:
            self._say("No serial ports found. Plug the device in (and pair it, for Bluetooth).")

    def probe_all(self) -> None:
        """Find out which protocol every listed port speaks (on the worker thread)."""
        ports = [
            self._cell(i, 0) for i in range(self.table.rowCount()) if self._cell(i, 2) != BLE_ID
        ]
        if ports:
            self._start("probe", lambda: [probe_port(p) for p in ports], "Asking each port…")

    def _selected_port(self) -> tuple[int, str] | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        row = rows[0].row()
        return row, self._cell(row, 0)

    def _cell(self, row: int, column: int) -> str:
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def connect_selected(self) -> None:
        """Connect the selected port with the chosen (or detected) protocol."""
        selected = self._selected_port()
        if selected is None:
            self._say("Select a port first.", error=True)
            return
        row, port = selected
        found = self.table.item(row, 3)
        sensor = found.data(USER_ROLE) if found is not None else None
        if isinstance(sensor, BleSensor):
            self._connect_ble(sensor)
            return
        protocol = str(self.protocol.currentData())
        baud: int | None = None
        if protocol == "auto":
            item = self.table.item(row, 3)
            found = item.data(USER_ROLE) if item is not None else None
            if not isinstance(found, ProbeResult) or found.protocol is None:
                self._say("Press Find protocols first, or choose the protocol.", error=True)
                return
            protocol, baud = found.protocol, found.baudrate
        try:
            device = make_serial_device(protocol, port, baud)
        except Exception as exc:  # UserError/ValueError: say it, keep the dialog
            self._say(str(exc), error=True)
            return
        self._start("connect", lambda: _connect(device), f"Connecting to {port}…")

    def scan_ble(self) -> None:
        """Scan for Bluetooth LE sensors (on the worker thread) and list them."""
        self._start("ble", lambda: ble_scan.scan(5.0), "Looking for Bluetooth sensors (5 s)…")

    def _connect_ble(self, sensor: BleSensor) -> None:
        if not sensor.supported:
            self._say(f"{sensor.name or sensor.address}: {sensor.description}.", error=True)
            return
        from drivers.witmotion_ble import WitMotionBleDevice

        device = WitMotionBleDevice(sensor.address, name=sensor.name)
        self._start("connect", lambda: _connect(device), f"Connecting to {sensor.name}…")

    def _show_ble(self, sensors: list[BleSensor]) -> None:
        for row in reversed(range(self.table.rowCount())):  # a new scan replaces the old
            if self._cell(row, 2) == BLE_ID:
                self.table.removeRow(row)
        for sensor in sensors:
            row = self.table.rowCount()
            self.table.insertRow(row)
            name = f"{sensor.name or '(no name)'} · {sensor.rssi} dBm"
            for j, text in enumerate((sensor.address, name, BLE_ID)):
                self.table.setItem(row, j, QTableWidgetItem(text))
            item = QTableWidgetItem(sensor.description)
            item.setData(USER_ROLE, sensor)
            self.table.setItem(row, 3, item)
            if sensor.supported and not self.table.selectionModel().selectedRows():
                self.table.selectRow(row)
        usable = sum(1 for s in sensors if s.supported)
        if usable:
            self._say(
                f"{counted(usable, 'Bluetooth inclinometer')} found. Select one and press Connect."
            )
        else:
            self._say(
                "No Bluetooth inclinometer found. Switch it on (its light blinks), keep it "
                "within a few metres and close any phone app that holds it.",
                error=not sensors,
            )

    def connect_wii(self) -> None:
        """Connect the first paired Wii Balance Board."""
        from drivers.wiiboard import WiiBalanceBoard

        board = WiiBalanceBoard()
        self._start("connect", lambda: _connect(board), "Looking for the balance board…")

    def connect_simulated(self) -> None:
        """Use a simulated inclinometer and plate (real time, patient on autopilot)."""
        from drivers.simulated import start_demo_devices

        for _label, old in self.registry.devices():
            old.close()
        _patient, inclinometer, _plate = start_demo_devices(self.registry)
        self.connected = inclinometer
        self._say("Simulated inclinometer and force plate connected.")
        self.accept()

    # ------------------------------------------------------------------ worker
    def _start(self, kind: str, fn: Callable[[], Any], text: str) -> None:
        if self._job is not None:
            return
        self._say(text)
        for button in (self.connect_button, self.probe_button, self.wii_button, self.ble_button):
            button.setEnabled(False)
        self._job = (kind, self._pool.submit(fn))

    def _poll(self) -> None:
        if self._job is None or not self._job[1].done():
            return
        kind, job = self._job
        self._job = None
        for button in (self.connect_button, self.probe_button, self.wii_button, self.ble_button):
            button.setEnabled(True)
        try:
            result = job.result()
        except DeviceError as exc:
            self._say(str(exc), error=True)
            return
        except Exception as exc:  # keep the dialog usable and say what failed
            log.exception("device %s failed", kind)
            self._say(f"That did not work: {exc}", error=True)
            return
        if kind == "probe":
            self._show_probes(result)
            return
        if kind == "ble":
            self._show_ble(result)
            return
        old = self.registry.add(result)
        if old is not None and old is not result:
            old.close()
        self.connected = result
        self._say(f"Connected: {result.info.model or result.info.protocol}.")
        self.accept()

    def _show_probes(self, results: list[ProbeResult]) -> None:
        names = dict(PROTOCOL_CHOICES)
        for i, result in enumerate(results):
            text = (
                f"{names.get(result.protocol, result.protocol)} @ {result.baudrate}"
                if result.protocol
                else "no known protocol"
            )
            item = QTableWidgetItem(text)
            item.setData(USER_ROLE, result)
            item.setToolTip(result.detail)
            self.table.setItem(i, 3, item)
        found = sum(1 for r in results if r.protocol)
        self._say(f"{found} of {counted(len(results), 'port')} answered a known protocol.")

    def _say(self, text: str, error: bool = False) -> None:
        self.status.setStyleSheet(f"color:{theme.BAD if error else theme.INK};")
        self.status.setText(text)

    def wait(self, timeout_s: float = 10.0) -> None:
        """Block until the running job finishes and apply it (tests)."""
        if self._job is not None:
            self._job[1].exception(timeout=timeout_s)
        self._poll()

    def done(self, result: int) -> None:
        """Stop the timer and the worker when the dialog closes."""
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().done(result)
