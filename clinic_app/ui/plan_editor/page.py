"""The plan editor: review the generated plan, tick red flags, edit, save (audited), preview.

Self-contained widget::

    editor = PlanEditor(db, patient_id, session_id=None, user="Dr. Ünal")
    editor.plan_changed.connect(...)    # every edit (a clinic_app.plan.Plan)
    editor.plan_saved.connect(...)      # version number after "Save plan"

Each phase lists its exercises with dose, the dose's basis and the findings that caused it.
Edits (add from the library, remove, reorder, dose level or a custom dose, notes) go through
:mod:`clinic_app.plan.edit`; "Save plan" stores a new version with ``Database.save_plan``,
which writes the audit-log entry. The main window mounts :class:`PlanEditorPage` (this
module), which holds one :class:`PlanEditor` (:mod:`clinic_app.ui.plan_editor.widget`) for
the selected patient's latest visit.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QMessageBox, QVBoxLayout, QWidget

from clinic_app.analysis.verdicts import LEVEL_WORDS
from clinic_app.errors import UserError
from clinic_app.reports.source import latest_session_with_results
from clinic_app.ui.plain_text import offer_reload
from clinic_app.ui.plan_editor.review import LEVEL_COLOURS
from clinic_app.ui.plan_editor.widget import PlanEditor

__all__ = ["LEVEL_COLOURS", "LEVEL_WORDS", "PlanEditor", "PlanEditorPage"]


class PlanEditorPage(QWidget):
    """The main window's "Plan" page: a :class:`PlanEditor` for the selected patient."""

    def __init__(self, host: Any) -> None:
        super().__init__()
        self.host = host
        self.editor: PlanEditor | None = None
        self.message = QLabel("Pick a patient with a finished assessment to edit their plan.")
        self.message.setWordWrap(True)
        self._layout = QVBoxLayout(self)
        self._layout.addWidget(self.message)

    def show_patient(self, patient_id: int | None) -> None:
        """Edit the plan of the patient's latest session (called by the main window)."""
        if (
            self.editor is not None
            and patient_id is not None
            and self.editor.ctx.patient.id == patient_id
            and self.editor.ctx.session_id == latest_session_with_results(self.host.db, patient_id)
        ):
            return  # same patient, same visit: keep the edits in progress
        if self.editor is not None and self.editor.dirty:
            answer = QMessageBox.question(
                self,
                "Unsaved plan",
                "Save the changes to the previous patient's plan?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard,
            )
            if answer == QMessageBox.StandardButton.Save:
                self.editor.save_plan()
        if self.editor is not None:
            self.editor.setParent(None)
            self.editor.deleteLater()
            self.editor = None
        if patient_id is None:
            self.message.setText("Pick a patient with a finished assessment to edit their plan.")
            self.message.show()
            return
        try:
            examiner = self.host.db.examiner_default or "clinician"
            self.editor = PlanEditor(self.host.db, patient_id, parent=self, user=examiner)
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self.message.hide()
        self._layout.addWidget(self.editor)
        self.editor.conflict.connect(self._offer_reload)

    def _offer_reload(self, words: str) -> None:
        """Another workstation saved this plan first: say who and when, offer theirs."""
        if offer_reload(self, words, "planConflict") and self.editor is not None:
            patient_id = self.editor.ctx.patient.id
            self.editor.dirty = False  # discarded on purpose: no "unsaved plan" question
            self.editor.setParent(None)
            self.editor.deleteLater()
            self.editor = None
            self.show_patient(patient_id)

    def can_leave(self) -> bool:
        """Ask what to do with unsaved edits: save, discard, or stay on the page."""
        if self.editor is None or not self.editor.dirty:
            return True
        buttons = (
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        answer = QMessageBox.question(
            self, "Unsaved plan", "The plan has unsaved changes. Save them?", buttons
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.editor.save_plan() is not None
        return answer == QMessageBox.StandardButton.Discard
