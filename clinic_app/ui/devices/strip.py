"""The always-visible device strip: one pill per device, its state in words and colour.

The strip polls a *source* (a plain callable, so no Qt reaches the drivers) twice a
second. Polling, rather than a signal per state change, keeps device threads from ever
touching a widget. The default source is the process-wide :mod:`drivers.registry`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from clinic_app.ui import theme
from drivers.base import DeviceState
from drivers.registry import active_devices

log = logging.getLogger(__name__)

POLL_MS = 500


@dataclass(frozen=True)
class DeviceStatus:
    """What one pill shows.

    Attributes
    ----------
    name : str
        "Inclinometer", "Force plate", … (no port names: they mean nothing to a clinician).
    state : str
        A :class:`drivers.base.DeviceState` value (``"streaming"``, ``"lost"`` …).
    words : str
        The state in words, e.g. ``"streaming 200 Hz"`` or ``"lost, reconnecting…"``.
    """

    name: str
    state: str
    words: str


StatusSource = Callable[[], Sequence[DeviceStatus]]


def registry_source() -> Sequence[DeviceStatus]:
    """Statuses of the active devices in :func:`drivers.registry.active_devices`."""
    statuses = []
    for label, device in active_devices():
        state = device.state
        words = state.describe()
        info = device.info
        rate = info.rate_hz
        if state is DeviceState.STREAMING and rate:
            words = f"streaming {rate:.0f} Hz"
        if state is DeviceState.CONNECTED and getattr(device, "paused", False):
            words = "ready (paused while not measuring)"
        lost = device.lost_samples
        if lost and state is DeviceState.STREAMING:
            words += f", {lost} samples lost"
        if info.battery:
            words += f", battery {info.battery}"
        statuses.append(DeviceStatus(label, state.value, words))
    return statuses


class DevicePill(QLabel):
    """One device: "Force plate · streaming 1000 Hz" on a colour that matches the words."""

    def show_status(self, status: DeviceStatus) -> None:
        look = theme.DEVICE_LOOKS.get(status.state, theme.DEVICE_LOOKS["disconnected"])
        self.setText(f"● {status.name} · {status.words}")
        self.setAccessibleName(f"{status.name}: {status.words}")
        self.setStyleSheet(
            f"background:{look.background}; color:{look.foreground}; border-radius:12px;"
            f"padding:3px 12px; font-weight:bold;"
        )


class DeviceStrip(QWidget):
    """A row of :class:`DevicePill` plus a button that opens the Devices page."""

    open_devices = Signal()

    def __init__(self, source: StatusSource = registry_source, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("deviceStrip")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._source = source
        self._pills: list[DevicePill] = []
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(theme.GAP, 4, theme.GAP, 4)
        title = QLabel("Devices:")
        title.setObjectName("muted")
        self._layout.addWidget(title)
        self._empty = QLabel("none connected")
        self._empty.setObjectName("muted")
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self._button = QPushButton("Devices…")
        self._button.setToolTip("Connect, zero and calibrate devices (Ctrl+D)")
        self._button.clicked.connect(self.open_devices)
        self._layout.addWidget(self._button)
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self.refresh()

    def set_source(self, source: StatusSource) -> None:
        """Read device statuses from ``source`` from now on (the seam for the registry)."""
        self._source = source
        self.refresh()

    def stop(self) -> None:
        """Stop polling (the window is closing)."""
        self._timer.stop()

    def statuses(self) -> list[str]:
        """The pills' texts, left to right (for tests and the selftest)."""
        return [p.text() for p in self._pills]

    def refresh(self) -> None:
        """Poll the source and redraw the pills."""
        try:
            statuses = list(self._source())
        except Exception:  # a broken device must never take the window down
            log.exception("device status source failed")
            statuses = [DeviceStatus("Devices", "error", "status unavailable")]
        while len(self._pills) < len(statuses):
            pill = DevicePill()
            self._layout.insertWidget(1 + len(self._pills), pill)
            self._pills.append(pill)
        while len(self._pills) > len(statuses):
            self._pills.pop().deleteLater()
        for pill, status in zip(self._pills, statuses):
            pill.show_status(status)
        self._empty.setVisible(not statuses)
