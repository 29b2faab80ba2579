"""Settings › Clinic server: where this computer's DorsiLab finds the records."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app import workstation


class ServerChoiceDialog(QDialog):
    """Choose the database file here or a clinic server's address (from the next start)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverChoice")
        self.setWindowTitle("Clinic server")
        current = workstation.server_url()
        self.local = QRadioButton("The database file on this computer")
        self.server = QRadioButton("The clinic server at:")
        self.url = QLineEdit(current or "")
        self.url.setObjectName("serverUrl")
        self.url.setPlaceholderText("postgresql://server.clinic.local/dorsilab")
        (self.server if current else self.local).setChecked(True)
        self.url.setEnabled(bool(current))
        self.server.toggled.connect(self.url.setEnabled)
        note = QLabel(
            "For this computer only; DorsiLab uses it from the next start, where everyone "
            "signs in with their own login. Ask your administrator for the address."
        )
        note.setObjectName("muted")
        note.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("fieldError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.local, self.server, self.url, note, self.error, buttons):
            layout.addWidget(widget)
        self.setMinimumWidth(480)

    @Slot()
    def save(self) -> None:
        """Keep the choice for the next start, or say what is wrong with the address."""
        url = self.url.text().strip() if self.server.isChecked() else None
        try:
            workstation.set_server_url(url or None)
        except (ValueError, OSError) as exc:
            self.error.setText(f"⚠ {exc}")
            self.error.setVisible(True)
            return
        self.accept()
