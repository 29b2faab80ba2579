"""The "Sensor settings" dialog: the one place in the window that changes what a sensor stores.

Connecting and measuring never write to a sensor (drivers/witmotion.py). Here the clinician
sees the settings read back from the sensor, picks an output rate (and whether to send only
what DorsiLab uses), and the button says exactly what it will change - "Store in the sensor:
output rate 10 Hz → 100 Hz" - before anything is sent. The change runs on a worker thread
(unlock → write → save, verified by read-back, logged by the driver) and its outcome is shown
in words. A listen-only sensor (TX-only wiring, a replayed log) gets the reason instead.
"""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme
from drivers.base import DeviceError

log = logging.getLogger(__name__)

RATES_HZ = (10.0, 20.0, 50.0, 100.0, 200.0)
"""Rates offered: 10 Hz (factory) to 200 Hz; a lunge needs ≥ 50 Hz for a smooth trace."""
LEGACY_RATES_HZ = (20.0, 100.0)
LEAN_CONTENT = (0x51, 0x53)
"""Acceleration (for the tibial angle) and angle: all DorsiLab uses, half the bandwidth."""


class ConfigureDialog(QDialog):
    """Show a sensor's stored settings and change its output rate on request.

    Parameters
    ----------
    device : object
        A device with ``plan(...)`` and ``configure(...)`` (a WitMotion inclinometer).
    """

    def __init__(self, device: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.device = device
        self.setWindowTitle("Sensor settings")
        self.setMinimumWidth(560)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sensor-settings")
        self._job: Future[Any] | None = None
        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        title = QLabel("Sensor settings")
        theme.set_font(title, theme.TITLE_PT, bold=True)
        layout.addWidget(title)
        self.current = QLabel("")
        self.current.setWordWrap(True)
        self.current.setAccessibleName("Settings stored in the sensor")
        layout.addWidget(self.current)
        form = QFormLayout()
        self.rate = QComboBox()
        self.rate.setAccessibleName("Output rate")
        legacy = bool(getattr(device, "legacy", False))
        for rate in LEGACY_RATES_HZ if legacy else RATES_HZ:
            self.rate.addItem(f"{rate:g} Hz", rate)
        form.addRow("Output &rate", self.rate)
        self.lean = QCheckBox("Send only acceleration and angle (what DorsiLab uses)")
        self.lean.setVisible(not legacy)
        form.addRow("", self.lean)
        layout.addLayout(form)
        self.outcome = QLabel("")
        self.outcome.setWordWrap(True)
        self.outcome.setAccessibleName("Result")
        layout.addWidget(self.outcome)
        row = QHBoxLayout()
        self.apply_button = QPushButton("")
        self.apply_button.clicked.connect(self.apply)
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.reject)
        row.addWidget(self.apply_button, 1)
        row.addWidget(close)
        layout.addLayout(row)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        info = device.info
        rate = info.nominal_rate_hz or info.measured_rate_hz
        index = self.rate.findData(rate)
        self.rate.setCurrentIndex(index if index >= 0 else self.rate.count() - 1)
        self.rate.currentIndexChanged.connect(self.update_plan)
        self.lean.toggled.connect(self.update_plan)
        self.update_plan()

    # ------------------------------------------------------------------ plan
    def _wanted(self) -> dict[str, Any]:
        wanted: dict[str, Any] = {"rate_hz": float(self.rate.currentData())}
        if self.lean.isVisible() and self.lean.isChecked():
            wanted["content"] = LEAN_CONTENT
        return wanted

    def update_plan(self) -> None:
        """Show the current settings and what the button would change."""
        info = self.device.info
        settings = getattr(self.device, "settings", None)
        if getattr(self.device, "legacy", False):
            now = f"WT61/JY61 (legacy firmware), {info.measured_rate_hz:g} Hz measured"
        elif settings is not None:
            now = settings.describe()
        else:
            now = "unknown"
        self.current.setText(f"Stored in the sensor now: {now}.")
        try:
            changes = self.device.plan(**self._wanted())
        except DeviceError as exc:  # listen-only: say why, offer nothing
            self.rate.setEnabled(False)
            self.lean.setEnabled(False)
            self._button("Nothing can be changed from here", enabled=False)
            self._say(str(exc), error=False)
            return
        except ValueError as exc:
            self._button("Cannot store this", enabled=False)
            self._say(str(exc), error=True)
            return
        if not changes:
            self._button("Nothing to change", enabled=False)
            return
        self._button("Store in the sensor: " + "; ".join(str(c) for c in changes), enabled=True)

    def _button(self, text: str, enabled: bool) -> None:
        self.apply_button.setText(text)
        self.apply_button.setEnabled(enabled and self._job is None)

    # ------------------------------------------------------------------ apply
    def apply(self) -> None:
        """Store the planned change (worker thread), then show the outcome."""
        if self._job is not None:
            return
        wanted = self._wanted()
        self._say("Storing… keep the sensor switched on.")
        self.apply_button.setEnabled(False)
        self._job = self._pool.submit(lambda: self.device.configure(**wanted))

    def _poll(self) -> None:
        job = self._job
        if job is None or not job.done():
            return
        self._job = None
        try:
            changes = job.result()
        except DeviceError as exc:
            self._say(str(exc), error=True)
        except Exception as exc:  # keep the dialog alive and say what failed
            log.exception("sensor settings change failed")
            self._say(f"The change failed: {exc}", error=True)
        else:
            done = "; ".join(str(c) for c in changes) or "nothing needed changing"
            self._say(f"Stored and verified in the sensor: {done}.")
        self.update_plan()

    def wait(self, timeout_s: float = 20.0) -> None:
        """Block until a running change finishes and show it (tests)."""
        if self._job is not None:
            self._job.exception(timeout=timeout_s)
        self._poll()

    def _say(self, text: str, error: bool = False) -> None:
        self.outcome.setStyleSheet(f"color:{theme.BAD if error else theme.INK};")
        self.outcome.setText(text)

    def done(self, result: int) -> None:
        """Stop the timer and the worker when the dialog closes."""
        self._timer.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().done(result)
