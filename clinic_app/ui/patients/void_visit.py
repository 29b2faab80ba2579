"""Void a visit recorded by mistake (wrong patient, a test run) or restore it.

A voided visit stays stored with its trials and recordings and can be restored; it counts
nowhere (history, trends, comparisons, "last visit"). The reason is required and kept
with the visit; the audit log records that the visit was voided (storage does that).
"""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.ui import theme
from clinic_app.ui.plain_text import ask

log = logging.getLogger(__name__)

REASON_MAX = 200
"""Longest reason (characters): one line in the visit list."""


class VoidVisitDialog(QDialog):
    """Ask why a visit is voided; :attr:`reason` after accept.

    Parameters
    ----------
    when : str
        The visit's date in words ("2 Dec 2026").
    """

    def __init__(self, when: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("voidVisit")
        self.setWindowTitle("Void visit")
        heading = QLabel(f"Void the visit of {when}?")
        theme.set_font(heading, theme.TITLE_PT, bold=True)
        explain = QLabel(
            "The visit stays stored with its trials and can be restored, but it counts "
            "nowhere: not in the history, the trends or the comparison with earlier visits."
        )
        explain.setWordWrap(True)
        self.reason_field = QLineEdit()
        self.reason_field.setObjectName("voidReason")
        self.reason_field.setMaxLength(REASON_MAX)
        self.reason_field.setPlaceholderText("e.g. recorded for the wrong patient")
        label = QLabel("&Why is it voided?")
        label.setBuddy(self.reason_field)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.void_button: QPushButton = self.buttons.addButton(
            "Void visit", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.void_button.setEnabled(False)
        self.void_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason_field.textChanged.connect(
            lambda text: self.void_button.setEnabled(bool(text.strip()))
        )
        layout = QVBoxLayout(self)
        for widget in (heading, explain, label, self.reason_field, self.buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(520)
        self.reason_field.setFocus(Qt.FocusReason.OtherFocusReason)

    @property
    def reason(self) -> str:
        """The reason typed (stripped)."""
        return self.reason_field.text().strip()


def void_or_restore(parent: QWidget, db: Any, session: Any, when: str) -> bool:
    """Void ``session`` (asking why) or, if it is voided, restore it (asking first).

    Returns
    -------
    bool
        True when the visit changed.
    """
    if session.is_voided:
        answer = ask(
            parent,
            "Restore visit",
            f"Restore the visit of {when}? It will count again in the history and trends.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return False
        db.restore_session(session.id)
        log.info("session %d restored from the patient page", session.id)
        return True
    dialog = VoidVisitDialog(when, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or not dialog.reason:
        return False
    db.void_session(session.id, dialog.reason)
    log.info("session %d voided from the patient page", session.id)
    return True


__all__ = ["VoidVisitDialog", "void_or_restore"]
