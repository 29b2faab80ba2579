"""The Devices page: each device's state in words and colour, live value, rate, lost samples,
and the actions connect/disconnect, zero the inclinometer, tare and calibrate the plate.

Devices come from the Qt-free :class:`drivers.registry.DeviceRegistry` that the main window and
the assessment screens share. The panel never receives a signal per sample: one QTimer
(8 Hz) reads each device's state and newest samples (:mod:`clinic_app.ui.devices_status`).
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
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme
from clinic_app.ui.devices_status import DeviceView, describe
from drivers.base import Device, DeviceError, DeviceState
from drivers.calibration import CalibrationStore
from drivers.registry import DeviceRegistry, default_registry

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


class DeviceCard(QFrame):
    """One device: title, identity, state pill, live value, statistics, actions, messages."""

    def __init__(self, role: str, title: str, empty_text: str, panel: DevicesPanel) -> None:
        super().__init__()
        self.role = role
        self.panel = panel
        self.device: Device | None = None
        self.view: DeviceView | None = None
        self.setObjectName(f"deviceCard_{role}")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet(
            f"#deviceCard_{role} {{ background:{theme.SURFACE}; border:1px solid {theme.BORDER};"
            f" border-radius:{theme.RADIUS}px; }}"
        )
        grid = QGridLayout(self)
        grid.setContentsMargins(theme.GAP * 2, theme.GAP, theme.GAP * 2, theme.GAP)
        grid.setVerticalSpacing(theme.GAP // 2)
        self.title = QLabel(title)
        theme.set_font(self.title, theme.TITLE_PT, bold=True)
        self.pill = QLabel()
        self.pill.setObjectName(f"statePill_{role}")
        self.identity = QLabel(empty_text)
        self.identity.setObjectName("muted")
        self.identity.setWordWrap(True)
        self.live = QLabel("—")
        theme.set_font(self.live, theme.HEADLINE_PT, bold=True)
        self.live.setAccessibleName(f"{title} live value")
        self.detail = QLabel("")
        self.detail.setObjectName("muted")
        self.stats = QLabel("")
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(f"{title} message")
        grid.addWidget(self.title, 0, 0)
        grid.addWidget(self.pill, 0, 1)
        grid.addWidget(self.identity, 1, 0, 1, 2)
        grid.addWidget(self.live, 2, 0, 1, 2)
        grid.addWidget(self.detail, 3, 0, 1, 2)
        grid.addWidget(self.stats, 4, 0, 1, 2)
        grid.addWidget(self.message, 5, 0, 1, 2)
        grid.setColumnStretch(0, 1)

        buttons = QHBoxLayout()
        key = "&inclinometer" if role == "inclinometer" else "&plate"
        self.connect_button = QPushButton(f"Connect {key}")
        self.connect_button.clicked.connect(self.toggle_connection)
        buttons.addWidget(self.connect_button)
        self.action_buttons: dict[str, QPushButton] = {}
        if role == "inclinometer":
            self._add_action(
                buttons,
                "zero",
                "&Zero inclinometer",
                "Lay the inclinometer flat on a level surface and keep it still, "
                "then zero it (about one second).",
            )
        else:
            self._add_action(
                buttons,
                "tare",
                "&Tare plate",
                "Step off the plate and keep it empty, then tare it.",
            )
            self._add_action(
                buttons,
                "calibrate",
                "&Calibrate plate…",
                "Calibrate every load cell with a known mass (about 5 minutes).",
            )
        self._add_action(
            buttons,
            "dropout",
            "Simulate unplug",
            "Simulated device only: pretend the cable is pulled for 3 seconds.",
        )
        buttons.addStretch(1)
        grid.addLayout(buttons, 6, 0, 1, 2)
        self.show_view(None)

    def _add_action(self, layout: QHBoxLayout, name: str, text: str, tip: str) -> None:
        button = QPushButton(text)
        button.setToolTip(tip)
        button.setAccessibleDescription(tip)
        button.clicked.connect(lambda _checked=False, n=name: self.panel.run_action(self.role, n))
        layout.addWidget(button)
        self.action_buttons[name] = button

    def set_device(self, device: Device | None) -> None:
        """Show this device (None: the role is empty)."""
        self.device = device
        self.message.setText("")

    def show_view(self, view: DeviceView | None) -> None:
        """Update the texts and colours from a fresh :class:`DeviceView`."""
        self.view = view
        device = self.device
        state = view.state if view else "disconnected"
        look = theme.DEVICE_LOOKS.get(state, theme.DEVICE_LOOKS["disconnected"])
        words = view.state_words if view else "not connected"
        self.pill.setText(f"● {words}")
        self.pill.setAccessibleName(f"{self.title.text()} state: {words}")
        self.pill.setStyleSheet(
            f"background:{look.background}; color:{look.foreground}; border-radius:14px;"
            f" padding:4px 14px; font-weight:bold; font-size:{theme.BASE_PT + 1}pt;"
        )
        if view is not None:
            self.identity.setText(view.identity)
            self.live.setText(view.live)
            self.detail.setText(view.detail)
            self.stats.setText(view.stats + (f" · {view.error}" if view.error else ""))
        else:
            self.live.setText("—")
            self.detail.setText("")
            self.stats.setText("")
        connected = device is not None and device.state not in (
            DeviceState.DISCONNECTED,
            DeviceState.ERROR,
        )
        key = "&inclinometer" if self.role == "inclinometer" else "&plate"
        self.connect_button.setText(f"Disconnect {key}" if connected else f"Connect {key}")
        self.connect_button.setEnabled(device is not None and not self.panel.busy(self.role))
        streaming = device is not None and device.state is DeviceState.STREAMING
        for name, button in self.action_buttons.items():
            capable = device is not None and self.panel.supports(device, name)
            button.setVisible(capable or name != "dropout")
            button.setEnabled(capable and streaming and not self.panel.busy(self.role))

    def toggle_connection(self) -> None:
        """Connect (open and start streaming) or disconnect the device."""
        device = self.device
        if device is None:
            return
        if device.state in (DeviceState.DISCONNECTED, DeviceState.ERROR):
            self.panel.run_action(self.role, "connect")
        else:
            self.panel.run_action(self.role, "disconnect")


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
    """

    def __init__(
        self,
        host: QWidget | None = None,
        registry: DeviceRegistry | None = None,
        store: CalibrationStore | None = None,
    ) -> None:
        super().__init__(host)
        self.setObjectName("devicesPanel")
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
        layout.addWidget(heading)
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
        """Refresh at once when the page comes into view."""
        super().showEvent(event)
        self.refresh()

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

    def open_calibration(self, device: Device, modal: bool = True) -> QDialog:
        """Open the known-mass calibration wizard for ``device``."""
        from clinic_app.ui.devices_wizard import CalibrationWizard

        store = self._store if self._store is not None else _default_store()
        wizard = CalibrationWizard(device, store, self)
        self.last_wizard = wizard
        if modal:
            wizard.exec()
        else:
            wizard.show()
        return wizard

    def closeEvent(self, event: Any) -> None:
        """Stop the timer and the workers."""
        self._timer.stop()
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
    result = device.zero()
    if isinstance(result, float):
        return f"Zeroed: {result:+.2f}° removed."
    return "Zeroed on the level surface."


def _tare(device: Any) -> str:
    device.tare()
    return "Tared: the empty plate now reads 0 N."


def _dropout(device: Any) -> str:
    device.simulate_dropout(3.0)
    return "Cable 'unplugged' for 3 s; the device reconnects by itself."


__all__ = ["DeviceCard", "DevicesDialog", "DevicesPanel"]
