"""The main window's patient and application actions, with their keys and handlers.

Keys: Ctrl+N new patient · Ctrl+E edit · Ctrl+F search · Delete delete (in the list, with
confirmation) · Ctrl+Shift+R restore (from the deleted-patients view) · Ctrl+, settings ·
F1 about · Ctrl+Q quit.
"""

from __future__ import annotations

import logging
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QUrl, SignalInstance, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox, QWidget

from clinic_app import paths
from clinic_app.commands import AppContext
from clinic_app.storage import Database
from clinic_app.ui.about import AboutDialog
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.patients.page import PatientPage
from clinic_app.ui.patients.patient_list import PatientList
from clinic_app.ui.plain_text import ask, message_box
from clinic_app.ui.settings_dialog import SettingsDialog

log = logging.getLogger(__name__)


class PatientHost(Protocol):
    """What the actions use of the main window (:class:`~clinic_app.ui.main_window.MainWindow`).

    Named here so that this module does not import the window that imports it.
    """

    ctx: AppContext
    db: Database
    patient_list: PatientList
    patient_page: PatientPage

    @property
    def patient_changed(self) -> SignalInstance: ...
    @property
    def patients_changed(self) -> SignalInstance: ...
    @property
    def current_patient_id(self) -> int | None: ...
    def notify(self, message: str, timeout_ms: int = 5000) -> None: ...
    def show_page(self, key: str) -> bool: ...
    def select_patient(self, patient_id: int | None) -> None: ...
    def addAction(self, action: QAction) -> None: ...
    def close(self) -> bool: ...
    def window(self) -> QWidget: ...


class PatientActions(QObject):
    """Owns the QActions; each handler works on the window's current patient."""

    def __init__(self, host: PatientHost) -> None:
        super().__init__(host.window())
        self.host = host
        window = host
        self.new_patient = self._action("&New patient…", "Ctrl+N", self.create_patient)
        self.edit_patient = self._action("&Edit patient…", "Ctrl+E", self.edit_current)
        self.find_patient = self._action("&Find patient", "Ctrl+F", self.focus_search)
        self.delete_patient = self._action("&Delete patient…", "Del", self.delete_current)
        self.show_deleted = self._action("Show &deleted patients", "", self.toggle_deleted)
        self.show_deleted.setCheckable(True)
        self.restore_patient = self._action(
            "&Restore deleted patient…", "Ctrl+Shift+R", self.restore_current
        )
        self.settings = self._action("&Settings…", "Ctrl+,", self.open_settings)
        self.about = self._action("&About DorsiLab", "F1", self.open_about)
        self.open_logs = self._action("Open the &log folder", "", self.open_log_folder)
        self.quit = self._action("&Quit", "Ctrl+Q", window.close)
        # Delete must not steal the key from text fields: only the list reacts to it.
        self.delete_patient.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        window.patient_list.list.addAction(self.delete_patient)
        window.patient_list.restore_requested.connect(self.restore)
        window.patient_list.show_deleted.toggled.connect(self.show_deleted.setChecked)
        window.patient_page.edit_button.clicked.connect(self.edit_current)
        window.patient_changed.connect(self._update_enabled)
        self._update_enabled(None)

    def _action(self, text: str, keys: str, handler: object) -> QAction:
        action = QAction(text, self.host.window())
        action.setObjectName("action_" + text.strip("&.…").replace("&", "").replace(" ", "_"))
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(handler)
        self.host.addAction(action)
        return action

    @Slot(object)
    def _update_enabled(self, patient_id: int | None) -> None:
        deleted_view = self.host.patient_list.deleted_view
        has = patient_id is not None
        self.edit_patient.setEnabled(has and not deleted_view)
        self.delete_patient.setEnabled(has and not deleted_view)

    # ------------------------------------------------------------ handlers
    @Slot()
    def create_patient(self) -> int | None:
        """Open the empty form; select the new patient after saving."""
        window = self.host
        if window.patient_list.deleted_view:
            window.patient_list.show_deleted.setChecked(False)
        dialog = PatientFormDialog(window.db, None, window.window())
        if dialog.exec() != PatientFormDialog.DialogCode.Accepted or dialog.saved_id is None:
            return None
        window.patient_list.search.clear()
        window.patient_list.refresh()
        window.select_patient(dialog.saved_id)
        window.show_page("patient")
        window.patients_changed.emit()
        window.notify("Patient saved.")
        return dialog.saved_id

    @Slot()
    def edit_current(self) -> None:
        """Open the form with the selected patient."""
        window = self.host
        patient_id = window.current_patient_id
        if patient_id is None or window.patient_list.deleted_view:
            return
        dialog = PatientFormDialog(window.db, patient_id, window.window())
        if dialog.exec() == PatientFormDialog.DialogCode.Accepted:
            window.patient_list.refresh()
            window.patient_page.refresh()
            window.patients_changed.emit()
            window.notify("Changes saved.")

    @Slot()
    def focus_search(self) -> None:
        """Ctrl+F: the cursor goes to the search field."""
        self.host.patient_list.focus_search()

    @Slot()
    def delete_current(self) -> None:
        """Soft-delete the selected patient after a confirmation that names them."""
        window = self.host
        patient_id = window.current_patient_id
        if patient_id is None or window.patient_list.deleted_view:
            return
        patient = window.db.get_patient(patient_id)
        name = f"{patient.first_name} {patient.last_name}".strip()
        box = message_box(
            window.window(),
            QMessageBox.Icon.Warning,
            "Delete patient",
            f"Delete {name}?",
            QMessageBox.StandardButton.Cancel,
        )
        box.setInformativeText(
            "The patient disappears from the list, but nothing is erased: their visits and "
            "reports are kept and you can restore them from “Show deleted patients”."
        )
        delete = box.addButton("Delete patient", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setObjectName("confirmDelete")
        box.exec()
        if box.clickedButton() is not delete:
            return
        window.db.delete_patient(patient_id)
        log.info("patient soft-deleted: patient_id=%s", patient_id)
        window.patient_list.refresh()
        window.select_patient(window.patient_list.selected_id())
        window.patients_changed.emit()
        window.notify(f"{name} moved to the deleted patients.")

    @Slot(bool)
    def toggle_deleted(self, on: bool | None = None) -> None:
        """Switch the list between current and deleted patients."""
        box = self.host.patient_list.show_deleted
        box.setChecked(not box.isChecked() if on is None else bool(on))

    @Slot()
    def restore_current(self) -> None:
        """Ctrl+Shift+R: restore the selected deleted patient, or open the deleted view."""
        patient_list = self.host.patient_list
        if not patient_list.deleted_view:
            patient_list.show_deleted.setChecked(True)
            patient_list.list.setFocus()
            self.host.notify("Select the patient to restore, then press Ctrl+Shift+R again.")
            return
        patient_id = patient_list.selected_id()
        if patient_id is not None:
            self.restore(patient_id)

    @Slot(int)
    def restore(self, patient_id: int) -> None:
        """Restore ``patient_id`` after a confirmation, then show them in the normal list."""
        window = self.host
        patient = window.db.get_patient(patient_id)
        name = f"{patient.first_name} {patient.last_name}".strip()
        answer = ask(
            window.window(),
            "Restore patient",
            f"Restore {name} to the patient list?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Yes,
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        window.db.restore_patient(patient_id)
        log.info("patient restored: patient_id=%s", patient_id)
        window.patient_list.show_deleted.setChecked(False)
        window.patient_list.refresh()
        window.select_patient(patient_id)
        window.patients_changed.emit()
        window.notify(f"{name} is back in the patient list.")

    @Slot()
    def open_settings(self) -> None:
        """The clinic settings dialog."""
        SettingsDialog(self.host.db, self.host.window()).exec()

    @Slot()
    def open_about(self) -> None:
        """Version and where the data lives."""
        AboutDialog(self.host.ctx, self.host.window()).exec()

    @Slot()
    def open_log_folder(self) -> None:
        """Show the log folder in the file manager (for support)."""
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(paths.log_dir())))
