"""The plan editor: review the generated plan, tick red flags, edit, save (audited), preview.

Self-contained widget::

    editor = PlanEditor(db, patient_id, session_id=None, user="Dr. Ünal")
    editor.plan_changed.connect(...)    # every edit (a clinic_app.plan.Plan)
    editor.plan_saved.connect(...)      # version number after "Save plan"

Each phase lists its exercises with dose, the dose's basis and the findings that caused it.
Edits (add from the library, remove, reorder, dose level or a custom dose, notes) go through
:mod:`clinic_app.plan.edit`; "Save plan" stores a new version with ``Database.save_plan``,
which writes the audit-log entry. The main window mounts :class:`PlanEditorPage`.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QHideEvent, QKeySequence, QShortcut
from PySide6.QtSvgWidgets import QSvgWidget
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import UserError
from clinic_app.plan import Dose, Plan, load_library
from clinic_app.plan import edit as plan_edit
from clinic_app.reports.source import (
    SessionContext,
    generate_plan,
    latest_session_with_results,
    session_context,
    session_plan,
)
from clinic_app.ui import theme

log = logging.getLogger(__name__)

LEVEL_WORDS = {"green": "OK", "amber": "Flag", "red": "Concern", "grey": "Info"}
LEVEL_COLOURS = {
    "green": theme.GOOD,
    "amber": theme.CAUTION,
    "red": theme.BAD,
    "grey": theme.MUTED,
}


class PlanEditor(QWidget):
    """Edit one session's progression plan.

    Parameters
    ----------
    db : clinic_app.storage.Database
    patient_id : int
    session_id : int, optional
        Default: the patient's latest session with results.
    user : str
        Who edits (stored as ``edited_by`` and in the audit log).
    preview : bool
        Show a live handout preview beside the editor.
    """

    plan_changed = Signal(object)
    plan_saved = Signal(int)

    def __init__(
        self,
        db: Any,
        patient_id: int,
        session_id: int | None = None,
        parent: QWidget | None = None,
        *,
        user: str = "clinician",
        preview: bool = True,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.user = user
        self.library = load_library()
        self.ctx: SessionContext = session_context(db, patient_id, session_id)
        stored = db.latest_plan(self.ctx.session_id)
        self.stored_version: int | None = stored.version if stored is not None else None
        self.plan: Plan = session_plan(db, self.ctx)
        self.dirty = False
        self.setObjectName("planEditor")
        self._build(preview)
        self._load_red_flags()
        self._refresh()

    # ------------------------------------------------------------------ layout
    def _build(self, preview: bool) -> None:
        self.flags_box = QGroupBox("Red-flag checklist (clinical reference §3.5)")
        flags_layout = QVBoxLayout(self.flags_box)
        self.flag_boxes: dict[str, QCheckBox] = {}
        for flag in self.library.red_flags.values():
            box = QCheckBox(flag.label)
            box.setToolTip(f"{flag.detail}\n→ {flag.see}")
            box.toggled.connect(self._on_red_flags)
            self.flag_boxes[flag.id] = box
            flags_layout.addWidget(box)
        self.checklist_done = QCheckBox("Checklist completed: none of the above")
        self.checklist_done.toggled.connect(self._on_checklist_done)
        flags_layout.addWidget(self.checklist_done)
        self.findings = QListWidget()
        self.findings.setWordWrap(True)
        left = QVBoxLayout()
        left.addWidget(self.flags_box)
        left.addWidget(QLabel("Findings"))
        left.addWidget(self.findings, 1)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Exercise", "Dose", "Dose basis", "Because"])
        self.tree.setColumnWidth(0, 250)
        self.tree.setColumnWidth(1, 200)
        self.tree.setColumnWidth(2, 120)
        self.tree.setMinimumHeight(240)
        self.tree.setWordWrap(True)
        self.tree.currentItemChanged.connect(lambda *_: self._on_selection())
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.level = QSpinBox()
        self.level.setMinimum(1)
        self.sets, self.reps, self.hold, self.days = (QSpinBox() for _ in range(4))
        for spin, top in ((self.sets, 10), (self.reps, 50), (self.hold, 600), (self.days, 7)):
            spin.setRange(0, top)
            spin.setSpecialValueText("–")
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("Note for the patient's card")
        self.apply_level = QPushButton("Use this level")
        self.apply_dose = QPushButton("Use this dose")
        self.apply_notes = QPushButton("Save note")
        self.up, self.down, self.remove = (
            QPushButton(t) for t in ("Move up", "Move down", "Remove")
        )
        self.add_choice = QComboBox()
        for ex in self.library.exercises.values():
            self.add_choice.addItem(f"{ex.name} ({ex.phase})", ex.id)
        self.add_button = QPushButton("Add to plan")
        form = QFormLayout()
        form.addRow("Dose level", _row(self.level, self.apply_level))
        form.addRow("Sets / reps", _row(self.sets, self.reps))
        form.addRow("Hold (s) / days a week", _row(self.hold, self.days))
        form.addRow("", self.apply_dose)
        form.addRow("Note", _row(self.notes, self.apply_notes))
        form.addRow("", _row(self.up, self.down, self.remove))
        form.addRow("Add exercise", _row(self.add_choice, self.add_button))
        self.clinician_notes = QPlainTextEdit()
        self.clinician_notes.setPlaceholderText("Clinician notes (printed on the report)")
        self.clinician_notes.setMaximumHeight(70)
        self.regenerate = QPushButton("Regenerate from results")
        self.save = QPushButton("Save plan  (Ctrl+S)")
        self.save.setDefault(True)
        self.state = QLabel()
        centre = QVBoxLayout()
        centre.addWidget(self.summary)
        centre.addWidget(self.tree, 3)
        self.picture = QSvgWidget()
        self.picture.setFixedSize(150, 150)
        self.picture.setToolTip("The drawing printed on the patient's card")
        details = QHBoxLayout()
        details.addLayout(form, 1)
        details.addWidget(self.picture, 0, Qt.AlignmentFlag.AlignTop)
        centre.addLayout(details)
        centre.addWidget(self.clinician_notes)
        self.state.setWordWrap(True)
        centre.addWidget(self.state)
        centre.addLayout(_hbox(1, self.regenerate, self.save))

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_wrap(left))
        splitter.addWidget(_wrap(centre))
        splitter.setSizes([340, 900])
        splitter.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Edit plan")
        self.preview = None
        if preview:
            from clinic_app.ui.report_preview import ReportPreview

            self.preview = ReportPreview(self.db, self.ctx.patient.id, self.ctx.session_id)
            self.preview.set_document("handout")
            self.tabs.addTab(self.preview, "Handout preview")
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(400)
        self._preview_timer.timeout.connect(self._update_preview)
        self._preview_stale = False
        self.tabs.currentChanged.connect(lambda _i: self._update_preview())

        self.apply_level.clicked.connect(self._on_level)
        self.apply_dose.clicked.connect(self._on_dose)
        self.apply_notes.clicked.connect(self._on_notes)
        self.up.clicked.connect(lambda: self._on_move(-1))
        self.down.clicked.connect(lambda: self._on_move(+1))
        self.remove.clicked.connect(self._on_remove)
        self.add_button.clicked.connect(self._on_add)
        self.regenerate.clicked.connect(self._on_regenerate)
        self.save.clicked.connect(self.save_plan)
        self.clinician_notes.textChanged.connect(self._on_clinician_notes)
        QShortcut(QKeySequence.StandardKey.Save, self, self.save_plan)

    # ------------------------------------------------------------------ display
    def _load_red_flags(self) -> None:
        for flag_id, box in self.flag_boxes.items():
            box.blockSignals(True)
            box.setChecked(flag_id in self.plan.red_flags)
            box.blockSignals(False)
        self.checklist_done.blockSignals(True)
        self.checklist_done.setChecked(self.plan.red_flags_checked and not self.plan.red_flags)
        self.checklist_done.blockSignals(False)
        self.clinician_notes.blockSignals(True)
        self.clinician_notes.setPlainText(self.plan.clinician_notes)
        self.clinician_notes.blockSignals(False)

    def _refresh(self, select: tuple[str, int] | None = None) -> None:
        plan = self.plan
        self.summary.setText(plan.summary)
        self.findings.clear()
        number = {f.id: n for n, f in enumerate(plan.findings, start=1)}
        for n, f in enumerate(plan.findings, start=1):
            self.findings.addItem(f"F{n} · {LEVEL_WORDS.get(f.level, 'Info')}: {f.text}")
            self.findings.item(self.findings.count() - 1).setForeground(
                _qcolor(LEVEL_COLOURS.get(f.level, theme.MUTED))
            )
        self.tree.clear()
        target = None
        for phase in plan.phases:
            top = QTreeWidgetItem([f"{phase.title} — {phase.status}", "", "", phase.entry])
            top.setData(0, Qt.ItemDataRole.UserRole, (phase.id, -1))
            top.setFirstColumnSpanned(False)
            self.tree.addTopLevelItem(top)
            for n, item in enumerate(phase.items):
                ex = self.library.exercises.get(item.exercise_id)
                basis = (
                    "clinic default"
                    if item.dose_evidence == "U"
                    else f"[{item.dose_evidence}] {item.dose_source}"
                )
                causes = ", ".join(
                    f"F{number[c]}" if c in number else "added by you" for c in item.because
                )
                child = QTreeWidgetItem(
                    [
                        (ex.name if ex else item.exercise_id)
                        + (f" ({item.side})" if item.side else ""),
                        item.dose.describe(),
                        basis,
                        causes,
                    ]
                )
                child.setToolTip(3, "\n".join(plan.causes_of(item)))
                child.setToolTip(2, item.dose_source)
                child.setToolTip(1, item.dose.describe())
                child.setData(0, Qt.ItemDataRole.UserRole, (phase.id, n))
                top.addChild(child)
                if select == (phase.id, n):
                    target = child
            top.setExpanded(True)
        if target is not None:
            self.tree.setCurrentItem(target)
        if self.dirty:
            words = "Unsaved changes"
        elif self.stored_version is None:
            words = "Generated from the results, not saved yet"
        else:
            words = f"Saved (version {self.stored_version})"
        self.state.setText(f"{words} · {plan.status} · re-test {plan.retest_date or '—'}")
        self._on_selection()

    def _selected(self) -> tuple[str, int] | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        phase_id, position = item.data(0, Qt.ItemDataRole.UserRole)
        return (str(phase_id), int(position)) if position >= 0 else None

    def _on_selection(self) -> None:
        chosen = self._selected()
        for w in (
            self.apply_level,
            self.apply_dose,
            self.apply_notes,
            self.up,
            self.down,
            self.remove,
        ):
            w.setEnabled(chosen is not None)
        if chosen is None:
            return
        item = next(p for p in self.plan.phases if p.id == chosen[0]).items[chosen[1]]
        ex = self.library.exercises.get(item.exercise_id)
        self.level.setMaximum(len(ex.levels) if ex else 1)
        self.level.setValue(item.level)
        self.sets.setValue(item.dose.sets or 0)
        self.reps.setValue(item.dose.reps or 0)
        self.hold.setValue(int(item.dose.hold_s or 0))
        self.days.setValue(item.dose.days_per_week or 0)
        self.notes.setText(item.notes)
        if ex is not None:
            self.picture.load(str(ex.illustration_path()))

    # ------------------------------------------------------------------ edits
    def set_plan(self, plan: Plan, *, select: tuple[str, int] | None = None) -> None:
        """Replace the plan being edited (marks it unsaved and updates the preview)."""
        self.plan = plan
        self.dirty = True
        self._refresh(select)
        self.plan_changed.emit(plan)
        self._preview_stale = True
        if self._preview_shown():
            self._preview_timer.start()

    def _preview_shown(self) -> bool:
        return (
            self.preview is not None
            and self.isVisible()
            and self.tabs.currentWidget() is self.preview
        )

    def _update_preview(self) -> None:
        # The PDF is rebuilt only while the preview tab is on screen (and once on showing it).
        if self.preview is not None and self._preview_stale and self._preview_shown():
            self._preview_stale = False
            self.preview.set_plan(self.plan)

    def hideEvent(self, event: QHideEvent) -> None:
        """Stop a pending preview rebuild: nothing to draw while hidden."""
        self._preview_timer.stop()
        super().hideEvent(event)

    def _on_level(self) -> None:
        if (chosen := self._selected()) is not None:
            self.set_plan(
                plan_edit.set_level(self.plan, *chosen, self.level.value()), select=chosen
            )

    def _on_dose(self) -> None:
        if (chosen := self._selected()) is None:
            return
        old = next(p for p in self.plan.phases if p.id == chosen[0]).items[chosen[1]].dose
        dose = dataclasses.replace(
            old,
            sets=self.sets.value() or None,
            reps=self.reps.value() or None,
            hold_s=float(self.hold.value()) or None,
            days_per_week=self.days.value() or None,
        )
        self.set_plan(plan_edit.set_dose(self.plan, *chosen, dose), select=chosen)

    def set_item_dose(self, phase_id: str, position: int, dose: Dose) -> None:
        """Set a custom dose on one item (the basis becomes the clinician's choice)."""
        self.set_plan(
            plan_edit.set_dose(self.plan, phase_id, position, dose), select=(phase_id, position)
        )

    def _on_notes(self) -> None:
        if (chosen := self._selected()) is not None:
            self.set_plan(
                plan_edit.set_notes(self.plan, *chosen, self.notes.text()), select=chosen
            )

    def _on_move(self, step: int) -> None:
        if (chosen := self._selected()) is None:
            return
        phase_id, position = chosen
        count = len(next(p for p in self.plan.phases if p.id == phase_id).items)
        new = max(0, min(count - 1, position + step))
        self.set_plan(
            plan_edit.move_item(self.plan, phase_id, position, new), select=(phase_id, new)
        )

    def _on_remove(self) -> None:
        if (chosen := self._selected()) is not None:
            self.set_plan(plan_edit.remove_item(self.plan, *chosen))

    def _on_add(self) -> None:
        exercise_id = str(self.add_choice.currentData())
        plan = plan_edit.add_exercise(self.plan, exercise_id, library=self.library)
        phase_id = self.library.exercise(exercise_id).phase
        phase = next(p for p in plan.phases if p.id == phase_id)
        self.set_plan(plan, select=(phase_id, len(phase.items) - 1))

    def _on_clinician_notes(self) -> None:
        self.plan = plan_edit.set_clinician_notes(self.plan, self.clinician_notes.toPlainText())
        self.dirty = True
        self.plan_changed.emit(self.plan)

    def _on_red_flags(self) -> None:
        ticked = [fid for fid, box in self.flag_boxes.items() if box.isChecked()]
        if ticked:
            self.checklist_done.blockSignals(True)
            self.checklist_done.setChecked(False)
            self.checklist_done.blockSignals(False)
        notes = self.plan.clinician_notes
        plan = generate_plan(self.ctx, red_flags=ticked, red_flags_checked=True)
        self.set_plan(dataclasses.replace(plan, clinician_notes=notes))
        self.state.setText(self.state.text() + " · red flags changed: plan regenerated")

    def _on_checklist_done(self, done: bool) -> None:
        if done:
            for box in self.flag_boxes.values():
                box.blockSignals(True)
                box.setChecked(False)
                box.blockSignals(False)
            if self.plan.red_flags:
                plan = generate_plan(self.ctx, red_flags_checked=True)
                self.set_plan(dataclasses.replace(plan, clinician_notes=self.plan.clinician_notes))
                return
        self.set_plan(dataclasses.replace(self.plan, red_flags_checked=done))

    def _on_regenerate(self) -> None:
        ticked = [fid for fid, box in self.flag_boxes.items() if box.isChecked()]
        checked = bool(ticked) or self.checklist_done.isChecked()
        self.set_plan(generate_plan(self.ctx, red_flags=ticked, red_flags_checked=checked))

    def save_plan(self) -> int | None:
        """Store the plan as a new version (audited by storage); return the version."""
        try:
            version = int(self.db.save_plan(self.ctx.session_id, self.plan.to_dict(), self.user))
        except UserError as exc:
            self.state.setText(f"Not saved: {exc}")
            return None
        self.dirty = False
        self.stored_version = version
        self.state.setText(f"Saved as version {version} · re-test {self.plan.retest_date or '—'}")
        log.info("plan v%d saved for session %d", version, self.ctx.session_id)
        self.plan_saved.emit(version)
        return version


def _row(*widgets: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    for w in widgets:
        layout.addWidget(w)
    return box


def _hbox(*parts: Any) -> QHBoxLayout:
    layout = QHBoxLayout()
    for part in parts:
        if isinstance(part, int):
            layout.addStretch(part)
        else:
            layout.addWidget(part)
    return layout


def _wrap(layout: QVBoxLayout) -> QWidget:
    box = QWidget()
    box.setLayout(layout)
    return box


def _qcolor(hex_colour: str) -> QColor:
    return QColor(hex_colour)


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
            examiner = str(self.host.db.get_setting("examiner_name") or "clinician")
            self.editor = PlanEditor(self.host.db, patient_id, parent=self, user=examiner)
        except UserError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        self.message.hide()
        self._layout.addWidget(self.editor)

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
