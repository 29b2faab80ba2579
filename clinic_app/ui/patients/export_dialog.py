"""Export a patient's data from the patient page (CSV, JSON, FHIR or raw recordings).

The dialog runs :func:`clinic_app.disclosure.export_to_folder`, the function behind
``clinic-app export``, so it makes the same checks (never the database's folder files, a
backup or a file of another kind), writes nothing on any refusal or disk failure, and
commits the audit row before the files appear. Existing files of the same kind are
replaced only after "Replace?". The folder offered is the one last used for this patient
(:mod:`clinic_app.ui.documents`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QBoxLayout,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from clinic_app.disclosure import Cancelled, ExportJob, export_to_folder, files_listing
from clinic_app.errors import UserError
from clinic_app.exchange.export import FORMATS
from clinic_app.ui import documents

log = logging.getLogger(__name__)

FORMAT_WORDS = {
    "csv": ("CSV table", "one row per trial with its results, for a spreadsheet"),
    "json": ("DorsiLab JSON", "everything, to move the patient to another DorsiLab"),
    "fhir": ("FHIR R4 bundle", "for an electronic health record"),
    "fhir-transaction": ("FHIR transaction", "a bundle a FHIR server applies as it is"),
    "raw": ("Raw recordings", "one CSV per trial and device, and a C3D per plate trial"),
}


class ExportDialog(QDialog):
    """Choose the format and the folder, then export one patient.

    Parameters
    ----------
    db : clinic_app.storage.Database
    patient_id : int
    parent : QWidget, optional
    """

    def __init__(self, db: Any, patient_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.patient_id = patient_id
        self.written: list[Path] = []
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export patient data")

        self.formats = QButtonGroup(self)
        choices = QVBoxLayout()
        for index, fmt in enumerate(FORMATS):
            title, what = FORMAT_WORDS.get(fmt, (fmt.upper(), ""))
            button = QRadioButton(f"{title} — {what}" if what else title)
            button.setObjectName(f"format_{fmt}")
            button.setProperty("format", fmt)
            self.formats.addButton(button, index)
            choices.addWidget(button)
        self.formats.button(0).setChecked(True)
        self.deidentify = QCheckBox("De-identify (pseudonyms instead of names and ids)")
        self.recordings = QCheckBox("Include the raw samples (JSON; much larger)")
        self.recordings.setChecked(True)
        self.folder = QLineEdit(str(documents.folder_for(db, patient_id)))
        self.folder.setObjectName("exportFolder")
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        # Room for three lines from the start, so nothing moves when a message appears.
        self.error.setMinimumHeight(self.error.fontMetrics().lineSpacing() * 3 + 4)
        self.error.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.export_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("Export")
        self.export_button.setMinimumWidth(self.export_button.sizeHint().width() + 24)
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Format"))
        layout.addLayout(choices)
        layout.addWidget(self.deidentify)
        layout.addWidget(self.recordings)
        layout.addWidget(QLabel("Folder"))
        layout.addLayout(folder_row)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.formats.idToggled.connect(lambda _i, _on: self._format_changed())
        self._format_changed()

    @property
    def fmt(self) -> str:
        """The chosen format."""
        button = self.formats.checkedButton()
        return FORMATS[0] if button is None else str(button.property("format"))

    def choose(self, fmt: str) -> None:
        """Select ``fmt`` (tests, keyboard)."""
        self.formats.button(list(FORMATS).index(fmt)).setChecked(True)

    def _format_changed(self) -> None:
        self.recordings.setEnabled(self.fmt == "json")

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def export(self) -> None:
        """Run the export; close on success, say what is wrong otherwise."""
        text = self.folder.text().strip()
        if not text:
            self.error.setText("Choose a folder to export into.")
            return
        job = ExportJob(
            fmt=self.fmt,
            patient_ids=(self.patient_id,),
            deidentify=self.deidentify.isChecked(),
            recordings=self.recordings.isChecked(),
        )
        try:
            self.written = export_to_folder(
                self.db, job, Path(text).expanduser(), confirm_replace=self._confirm_replace
            )
        except Cancelled:
            self.error.setText("Nothing was exported: the existing files were kept.")
            return
        except UserError as exc:
            self.error.setText(f"Nothing was exported: {exc}")
            return
        documents.remember_folder(self.db, self.patient_id, Path(text).expanduser())
        log.info("export %s from the patient page: %d files", job.fmt, len(self.written))
        self.accept()

    def _confirm_replace(self, paths: list[Path]) -> bool:
        answer = QMessageBox.question(
            self,
            "Replace the files?",
            f"{len(paths)} file{'s' if len(paths) != 1 else ''} of this export already "
            f"exist ({files_listing(paths)}). Replace them?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes


def add_export_button(page: Any, actions: QBoxLayout) -> QPushButton:
    """Put "Export…" before the last item of ``actions`` (the page's one-line hook)."""
    button = QPushButton("Export…")
    button.setObjectName("exportPatient")
    button.setMinimumHeight(button.sizeHint().height() + 8)
    button.setToolTip("Export this patient's data as CSV, JSON, FHIR or raw recordings")
    actions.insertWidget(max(actions.count() - 1, 0), button, 0, Qt.AlignmentFlag.AlignTop)

    def open_dialog() -> None:
        if page.patient_id is None:
            return
        dialog = ExportDialog(page.host.db, page.patient_id, page)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def done(result: int) -> None:
            if result == QDialog.DialogCode.Accepted and dialog.written:
                notify = getattr(page.host, "notify", None)
                if notify is not None:
                    count = len(dialog.written)
                    files = "1 file" if count == 1 else f"{count} files"
                    notify(f"Exported {files} to {documents.folder_for(page.host.db, None)}.")

        dialog.finished.connect(done)
        dialog.open()

    button.clicked.connect(open_dialog)
    return button
