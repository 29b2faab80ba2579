"""The Devices page: each device's state in words and colour, live value, rate, lost samples,
and the actions connect/disconnect, zero the inclinometer, tare and calibrate the plate.

Devices come from the Qt-free :class:`drivers.registry.DeviceRegistry` that the main window and
the assessment screens share. The panel never receives a signal per sample: one QTimer
(8 Hz) reads each device's state and newest samples (:mod:`clinic_app.ui.devices.status`).
Actions that can take a moment (zeroing waits for a second of still readings; a serial device
answers within a bounded time) run on a worker thread; their result is shown in words on the
device's card.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.numbers import MINUS, fixed
from clinic_app.ui import theme
from clinic_app.ui.devices import idle
from clinic_app.ui.devices.calibration import check_empty
from clinic_app.ui.devices.card import DeviceCard
from clinic_app.ui.devices.status import describe
from drivers.base import Device, DeviceError
from drivers.calibration import CalibrationStore
from drivers.inclinometer_zero import LEVEL_TIBIA_DEG, ZeroOffsets
from drivers.registry import DeviceRegistry, default_registry
from drivers.transport import PortLister

log = logging.getLogger(__name__)

REFRESH_MS = 125
"""8 Hz: smooth enough for a live number, cheap enough for any number of devices."""

ROLES = (
    (
        "inclinometer",
        "Inclinometer",
        "No inclinometer connected. Plug it in (USB or Bluetooth "
        "serial) or start DorsiLab with --demo for simulated devices.",
    ),
    (
        "force_plate",
        "Force plate",
        "No force plate connected. Plug it in, pair the Wii "
        "Balance Board, or start DorsiLab with --demo for simulated devices.",
    ),
)


def _default_store() -> CalibrationStore:
    from clinic_app import paths

    return CalibrationStore(paths.config_dir())


class DevicesPanel(QWidget):
    """Every device of the registry on one calm page (a main-window page or in a dialog).

    Parameters
    ----------
    host : QWidget, optional
        The main window (the page contract passes it); only used as the Qt parent.
    registry : DeviceRegistry, optional
        The shared devices (default: :func:`drivers.registry.default_registry`).
    store : CalibrationStore, optional
        Where plate calibrations are saved (default: the user's config folder).
    lister : callable, optional
        Serial-port lister for the connect dialog (tests pass their pseudo-terminals).
    """

    def __init__(
        self,
        host: QWidget | None = None,
        registry: DeviceRegistry | None = None,
        store: CalibrationStore | None = None,
        lister: PortLister | None = None,
    ) -> None:
        super().__init__(host)
        self.setObjectName("devicesPanel")
        self._lister = lister
        self.last_dialog: QDialog | None = None
        self.registry = registry if registry is not None else default_registry()
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="device-action")
        self._jobs: dict[str, tuple[str, Future[str]]] = {}
        self._dirty = threading.Event()
        self.last_wizard: QDialog | None = None

        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        heading = QLabel("Devices")
        theme.set_font(heading, theme.HEADLINE_PT, bold=True)
        hint = QLabel(
            "Zero the inclinometer on a level surface and tare the plate with nobody "
            "on it before each session."
        )
        hint.setObjectName("muted")
        hint.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        self.connect_other = QPushButton("Connect a &device…")
        self.connect_other.setToolTip("Choose a serial port, the Wii Balance Board or simulation.")
        self.connect_other.clicked.connect(lambda: self.open_connect_dialog())
        top.addWidget(self.connect_other)
        layout.addLayout(top)
        layout.addWidget(hint)
        self.cards: dict[str, DeviceCard] = {}
        for role, title, empty in ROLES:
            card = DeviceCard(role, title, empty, self)
            self.cards[role] = card
            layout.addWidget(card)
        layout.addStretch(1)

        self.registry.add_listener(self._on_registry_change)
        self._sync_devices()
        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self.refresh()

    # ------------------------------------------------------------------ refresh
    def _on_registry_change(self, _role: str, _device: object) -> None:
        self._dirty.set()  # any thread; the timer applies it in the UI thread

    def _sync_devices(self) -> None:
        for role, card in self.cards.items():
            device = self.registry.get(role)
            if device is not card.device:
                card.set_device(device)

    def _tick(self) -> None:
        if self.isVisible() or self._jobs:  # a hidden page costs nothing
            self.refresh()

    def showEvent(self, event: Any) -> None:
        """Refresh at once when the page comes into view; devices stream while it shows."""
        super().showEvent(event)
        idle.needed_while_visible(self, True, self.registry)
        self.refresh()

    def hideEvent(self, event: Any) -> None:
        """Out of view: its devices may pause (unless another screen needs them)."""
        idle.needed_while_visible(self, False, self.registry)
        super().hideEvent(event)

    def refresh(self) -> None:
        """Re-read every device (called by the timer; cheap)."""
        if self._dirty.is_set():
            self._dirty.clear()
            self._sync_devices()
        self._collect_jobs()
        for card in self.cards.values():
            try:
                card.show_view(describe(card.device) if card.device is not None else None)
            except Exception:  # a misbehaving device must not take the page down
                log.exception("device status failed")
                card.message.setText("The device's status could not be read.")

    # ------------------------------------------------------------------ actions
    @staticmethod
    def supports(device: Device, action: str) -> bool:
        """Whether ``device`` offers ``action`` (zero, tare, calibrate, dropout)."""
        needs = {
            "zero": ("zero",),
            "tare": ("tare",),
            "calibrate": ("tare", "cell_values", "calibration", "apply_calibration"),
            "dropout": ("simulate_dropout",),
            "configure": ("plan", "configure"),
        }.get(action, ())
        return all(hasattr(device, n) for n in needs)

    def busy(self, role: str) -> bool:
        """True while an action runs on that role's device."""
        return role in self._jobs

    def run_action(self, role: str, action: str) -> None:
        """Start ``action`` on the device in ``role`` (calibrate opens the wizard)."""
        card = self.cards[role]
        device = card.device
        if device is None or self.busy(role):
            return
        if action == "calibrate":
            self.open_calibration(device)
            return
        if action == "configure":
            self.open_configure(device)
            return
        work: dict[str, tuple[str, Callable[[], str]]] = {
            "connect": ("Connecting…", lambda: _connect(device)),
            "disconnect": ("Disconnecting…", lambda: _disconnect(device)),
            "zero": (
                "Zeroing… keep the inclinometer still on a level surface.",
                lambda: _zero(device),
            ),
            "tare": ("Taring… keep the plate empty.", lambda: _tare(device)),
            "dropout": ("Simulating an unplugged cable…", lambda: _dropout(device)),
        }
        busy_text, fn = work[action]
        card.message.setStyleSheet(f"color:{theme.MUTED};")
        card.message.setText(busy_text)
        self._jobs[role] = (action, self._pool.submit(fn))
        self.refresh()

    def _collect_jobs(self) -> None:
        for role, (action, job) in list(self._jobs.items()):
            if not job.done():
                continue
            del self._jobs[role]
            card = self.cards[role]
            try:
                text, colour = job.result(), theme.GOOD
            except DeviceError as exc:
                text, colour = str(exc), theme.BAD
            except Exception as exc:  # keep the page alive and say what failed
                log.exception("device action %s failed", action)
                text, colour = f"{action.capitalize()} failed: {exc}", theme.BAD
            card.message.setStyleSheet(f"color:{colour};")
            card.message.setText(text)

    def wait_for_actions(self, timeout_s: float = 5.0) -> None:
        """Block until running actions finish (tests and the selftest), then refresh."""
        for _action, job in list(self._jobs.values()):
            job.exception(timeout=timeout_s)
        self.refresh()

    def open_connect_dialog(self, modal: bool = True) -> QDialog:
        """Open the "Connect a device" dialog (ports, Wii board, simulation)."""
        from clinic_app.ui.devices.connect import ConnectDialog

        dialog = ConnectDialog(self.registry, self._lister, self)
        self.last_dialog = dialog
        if modal:
            dialog.exec()
            self.refresh()
        else:
            dialog.show()
        return dialog

    def open_calibration(self, device: Device, modal: bool = True) -> QDialog:
        """Open the known-mass calibration wizard for ``device``."""
        from clinic_app.ui.devices.wizard import CalibrationWizard

        store = self._store if self._store is not None else _default_store()
        wizard = CalibrationWizard(device, store, self)
        self.last_wizard = wizard
        if modal:
            wizard.exec()
        else:
            wizard.show()
        return wizard

    def open_configure(self, device: Device, modal: bool = True) -> QDialog:
        """Open the sensor-settings dialog (the one place that changes stored settings)."""
        from clinic_app.ui.devices.configure import ConfigureDialog

        dialog = ConfigureDialog(device, self)
        self.last_dialog = dialog
        if modal:
            dialog.exec()
            self.refresh()
        else:
            dialog.show()
        return dialog

    def closeEvent(self, event: Any) -> None:
        """Stop the timer and the workers."""
        self._timer.stop()
        idle.needed_while_visible(self, False, self.registry)
        self.registry.remove_listener(self._on_registry_change)
        self._pool.shutdown(wait=False)
        super().closeEvent(event)


class DevicesDialog(QDialog):
    """The Devices panel in its own window (Esc or Close to leave)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        registry: DeviceRegistry | None = None,
        store: CalibrationStore | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Devices")
        self.resize(900, 680)
        layout = QVBoxLayout(self)
        self.panel = DevicesPanel(self, registry, store)
        layout.addWidget(self.panel)
        close = QPushButton("Close")
        close.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(close)
        layout.addLayout(row)


# ---------------------------------------------------------------------- worker functions


def _connect(device: Device) -> str:
    device.open()
    device.start()
    return "Connected and streaming."


def _disconnect(device: Device) -> str:
    device.close()
    return "Disconnected."


def _zero(device: Any) -> str:
    before = _tibia_offset(device)
    device.zero()
    after = _tibia_offset(device)
    if before is None or after is None:  # zeroed inside the sensor (Rion): no offset to tell
        return "Zeroed on the level surface."
    level = LEVEL_TIBIA_DEG if hasattr(device, "zero_offsets") else 0.0
    return zero_words(after - before, level)


def _tibia_offset(device: Any) -> float | None:
    """The software offset subtracted from the tibial angle (°), None if the sensor zeroes."""
    offsets = getattr(device, "zero_offsets", None)
    if isinstance(offsets, ZeroOffsets):
        return offsets.tibia_deg
    offset = getattr(device, "zero_offset_deg", None)
    return float(offset) if isinstance(offset, int | float) else None


def zero_words(added_deg: float, level_reads_deg: float) -> str:
    """What zeroing did, in the words of the reading on screen.

    Parameters
    ----------
    added_deg : float
        How much more is now subtracted from every tibial angle (°): the shown reading
        moved by ``-added_deg``.
    level_reads_deg : float
        What the sensor now reads lying on the level surface (°).
    """
    here = f"Zeroed: the inclinometer now reads {fixed(level_reads_deg, minus=MINUS)}° here"
    size = fixed(abs(added_deg), 2)
    if size == fixed(0.0, 2):
        return f"{here}, as before: readings unchanged."
    way = "lower" if added_deg > 0 else "higher"
    return f"{here}; every reading is now {size}° {way} than before."


def _tare(device: Any) -> str:
    check_empty(device)
    device.tare()
    return "Tared: the empty plate now reads 0 N."


def _dropout(device: Any) -> str:
    device.simulate_dropout(3.0)
    return "Cable 'unplugged' for 3 s; the device reconnects by itself."


__all__ = ["DeviceCard", "DevicesDialog", "DevicesPanel"]
