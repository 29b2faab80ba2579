"""The known-mass calibration wizard for a force plate (dialog over CalibrationProcedure)."""

from __future__ import annotations

import logging
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme
from clinic_app.ui.devices import idle
from clinic_app.ui.devices.calibration import CORNERS, CalibrationProcedure
from drivers.base import DeviceError
from drivers.calibration import CalibrationStore

log = logging.getLogger(__name__)

POLL_MS = 100


class CalibrationWizard(QDialog):
    """Step-by-step known-mass calibration; Enter = Next, Esc = Cancel.

    Parameters
    ----------
    plate : Device
        The force plate to calibrate (streaming).
    store : CalibrationStore, optional
        Where the result is saved by serial number.
    """

    def __init__(
        self, plate: Any, store: CalibrationStore | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Calibrate the force plate")
        self.setObjectName("calibrationWizard")
        self.setMinimumSize(640, 420)
        self.procedure = CalibrationProcedure(plate, store)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="calibration")
        self._job: Future[str] | None = None
        self.messages: list[str] = []

        layout = QVBoxLayout(self)
        layout.setSpacing(theme.GAP)
        self.counter = QLabel()
        self.counter.setObjectName("muted")
        self.title = QLabel()
        theme.set_font(self.title, theme.TITLE_PT, bold=True)
        self.instruction = QLabel()
        self.instruction.setWordWrap(True)
        theme.set_font(self.instruction, theme.BASE_PT + 2)
        mass_row = QHBoxLayout()
        self.mass_label = QLabel("Known &mass:")
        self.mass = QDoubleSpinBox()
        self.mass.setRange(1.0, 200.0)
        self.mass.setDecimals(2)
        self.mass.setSingleStep(0.5)
        self.mass.setSuffix(" kg")
        self.mass.setValue(self.procedure.mass_kg)
        self.mass.setAccessibleName("Known mass in kilograms")
        self.mass_label.setBuddy(self.mass)
        mass_row.addWidget(self.mass_label)
        mass_row.addWidget(self.mass)
        mass_row.addStretch(1)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName("Result of the last step")
        self.waiting = QLabel()
        self.waiting.setObjectName("muted")
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setAutoDefault(False)
        self.cancel_button.clicked.connect(self.reject)
        self.next_button = QPushButton("&Next")
        self.next_button.setDefault(True)
        self.next_button.clicked.connect(self.next_step)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.next_button)
        for widget in (self.counter, self.title, self.instruction):
            layout.addWidget(widget)
        layout.addLayout(mass_row)
        layout.addWidget(self.result_label)
        layout.addStretch(1)
        layout.addWidget(self.waiting)
        layout.addLayout(buttons)

        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self._poll)
        self._timer.start()
        self.procedure.enter()
        self._show_step()

    # ------------------------------------------------------------------ flow
    def next_step(self) -> None:
        """Measure the current step (off the UI thread), then move on; Close at the end."""
        if self._job is not None:
            return
        proc = self.procedure
        if proc.step.key == "save":
            self.accept()
            return
        if not proc.ready():
            return
        if proc.step.key == "mass":
            proc.set_mass(self.mass.value())
        self.next_button.setEnabled(False)
        self._job = self._pool.submit(proc.run)

    def _poll(self) -> None:
        proc = self.procedure
        if self._job is not None and self._job.done():
            job, self._job = self._job, None
            try:
                message = job.result()
            except DeviceError as exc:
                self._say(str(exc), error=True)
            except Exception as exc:  # a failed step must leave the wizard usable
                log.exception("calibration step failed")
                self._say(f"The step failed: {exc}", error=True)
            else:
                self._say(message)
                proc.advance()
                if proc.step.key == "save":
                    try:
                        self._say(proc.finish())
                    except (DeviceError, OSError, ValueError) as exc:
                        self._say(f"Could not save the calibration: {exc}", error=True)
                self._show_step()
        busy = self._job is not None
        ready = proc.ready()
        self.next_button.setEnabled(not busy and ready)
        if busy:
            self.waiting.setText("Measuring… keep the plate still.")
        elif not ready:
            self.waiting.setText("Waiting for the reading to settle…")
        else:
            self.waiting.setText("")

    def _say(self, message: str, error: bool = False) -> None:
        self.messages.append(message)
        colour = theme.BAD if error else theme.INK
        self.result_label.setStyleSheet(f"color:{colour};")
        self.result_label.setText(message)

    def _show_step(self) -> None:
        proc = self.procedure
        step = proc.step
        self.counter.setText(f"Step {proc.index + 1} of {len(proc.steps)}")
        self.title.setText(step.title)
        text = step.instruction
        if proc.simulated and step.mass_at is not None:
            text += "  (Simulated plate: the mass is placed for you.)"
        if step.key == "save":
            error = proc.check_error_pct
            if error is None:
                check = ""
            elif abs(error) < 0.05:
                check = " At the centre the plate now reads the mass exactly (within 0.1 %)."
            else:
                side = "high" if error > 0 else "low"
                check = f" At the centre the plate now reads {abs(error):.1f} % {side}."
            scales = ", ".join(
                f"{name} {scale:.4g}" for name, scale in zip(CORNERS, proc.scales, strict=True)
            )
            text = f"The new scales are in use (N per unit: {scales})." + check + " Press Close."
            self.next_button.setText("&Close")
            self.cancel_button.setEnabled(False)
        self.instruction.setText(text)
        on_mass_step = step.key == "mass"
        self.mass.setVisible(on_mass_step)
        self.mass_label.setVisible(on_mass_step)
        (self.mass if on_mass_step else self.next_button).setFocus(Qt.FocusReason.OtherFocusReason)

    def showEvent(self, event: Any) -> None:
        """The wizard reads live cell values: devices must stream while it is open."""
        super().showEvent(event)
        idle.needed_while_visible(self, True)

    def hideEvent(self, event: Any) -> None:
        """Closed or hidden: it no longer needs live values."""
        idle.needed_while_visible(self, False)
        super().hideEvent(event)

    def done(self, result: int) -> None:
        """Stop the timer and the worker when the dialog closes."""
        self._timer.stop()
        if self.procedure.simulated and not self.procedure.saved:
            self.procedure.plate.remove_test_mass()
        self._pool.shutdown(wait=False, cancel_futures=True)
        super().done(result)
