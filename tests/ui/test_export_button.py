"""The patient page offers Export… (issue 14 §5): the real window, the real dialog."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from clinic_app.storage import Database
from clinic_app.ui.patients.export_dialog import ExportDialog
from tests.ui.conftest import PATIENT


def test_export_from_the_patient_page_writes_the_patient_and_says_so(
    make_window: Any, db: Database, tmp_path: Any, qtbot: Any
) -> None:
    patient_id = db.create_patient(PATIENT).id
    window = make_window()
    window.select_patient(patient_id)
    assert window.show_page("patient")
    page = window.patient_page
    assert page.export_button.isVisible() and page.export_button.text() == "Export…"
    QTest.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    dialogs = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, ExportDialog) and w.isVisible()
    ]
    assert len(dialogs) == 1 and dialogs[0].patient_id == patient_id
    dialog = dialogs[0]
    dialog.folder.setText(str(tmp_path / "out"))
    dialog.choose("csv")
    QTest.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    (written,) = (tmp_path / "out").iterdir()
    assert written.name == f"patient-{patient_id}-trials.csv"
    assert window.statusBar().currentMessage().startswith("Exported 1 file to ")
