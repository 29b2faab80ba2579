"""The bar that offers an interrupted assessment for recovery at start-up.

A visit left ``in_progress`` (the program was killed, the power went) keeps every trial
journaled so far. At the next start this bar names the patient and the time and opens
the patient, where the visit is listed as "unfinished"; the assessment screen can resume
or close it (``Database.finish_session``).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from clinic_app.ui import theme
from clinic_app.ui.patients.page import format_date
from clinic_app.ui.plain_text import plain

log = logging.getLogger(__name__)


class RecoveryBar(QWidget):
    """Hidden unless the database holds unfinished visits."""

    open_patient = Signal(int)

    def __init__(self, db: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setObjectName("recoveryBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.message = plain(QLabel())
        self.message.setWordWrap(True)
        self.open_button = QPushButton("Open patient")
        self.dismiss_button = QPushButton("Not now")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(theme.GAP, 6, theme.GAP, 6)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.dismiss_button)
        self.open_button.clicked.connect(self._open)
        self.dismiss_button.clicked.connect(self.hide)
        self._patient_id: int | None = None
        self.check()

    @Slot()
    def check(self) -> None:
        """Look for unfinished visits; show the oldest (hide the bar when there is none)."""
        unfinished = self.db.unfinished_sessions()
        if not unfinished:
            self.hide()
            return
        session = unfinished[0]
        patient = self.db.get_patient(session.patient_id)
        self._patient_id = patient.id
        more = f" ({len(unfinished)} unfinished visits in all)" if len(unfinished) > 1 else ""
        self.message.setText(
            f"⚠ An assessment was interrupted: {patient.full_name}, started "
            f"{format_date(session.started_at)}. The trials saved before the "
            f"interruption are kept{more}."
        )
        log.info("unfinished sessions found at start: %d", len(unfinished))
        self.show()

    @Slot()
    def _open(self) -> None:
        if self._patient_id is not None:
            self.open_patient.emit(self._patient_id)
        self.hide()
