"""The plan editor widget: review the generated plan, tick red flags, edit, save, preview.

Import it from :mod:`clinic_app.ui.plan_editor.page`::

    editor = PlanEditor(db, patient_id, session_id=None, user="Dr. Ünal")
    editor.plan_changed.connect(...)    # every edit (a clinic_app.plan.Plan)
    editor.plan_saved.connect(...)      # version number after "Save plan"

The left column (red-flag checklist, findings) is :mod:`clinic_app.ui.plan_editor.review`;
the exercise tree and the selected exercise's form are :mod:`clinic_app.ui.plan_editor.items`.
Edits (add from the library, remove, reorder, dose level or a custom dose, notes) go through
:mod:`clinic_app.plan.edit`; "Save plan" stores a new version with ``Database.save_plan``,
which writes the audit-log entry.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QHideEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_app.errors import UserError
from clinic_app.plan import Dose, Plan, PlanItem, PlanPhase, load_library
from clinic_app.plan import edit as plan_edit
from clinic_app.plan.text import plan_summary
from clinic_app.reports.source import (
    SessionContext,
    generate_plan,
    session_context,
    session_plan,
)
from clinic_app.storage.errors import ConcurrentChangeError
from clinic_app.ui.plan_editor.items import ItemForm, ItemKey, PlanTree
from clinic_app.ui.plan_editor.review import FindingsList, RedFlagChecklist

log = logging.getLogger(__name__)


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
    conflict = Signal(str)
    """A save found a newer version saved by another workstation (the words say who)."""

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
        self._load_plan_fields()
        self._refresh()

    # ------------------------------------------------------------------ layout
    def _build(self, preview: bool) -> None:
        self.flags_box = RedFlagChecklist(self.library)
        self.flag_boxes = self.flags_box.flag_boxes
        self.checklist_done = self.flags_box.checklist_done
        self.findings = FindingsList()
        left = QVBoxLayout()
        left.addWidget(self.flags_box)
        left.addWidget(QLabel("Findings"))
        left.addWidget(self.findings, 1)

        self.tree = PlanTree(self.library)
        self.tree.currentItemChanged.connect(lambda *_: self._on_selection())
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.form = ItemForm(self.library)
        # The form's controls under their own names, as the tests and callers know them.
        self.level, self.sets, self.reps = self.form.level, self.form.sets, self.form.reps
        self.hold, self.days, self.notes = self.form.hold, self.form.days, self.form.notes
        self.apply_level, self.apply_dose = self.form.apply_level, self.form.apply_dose
        self.apply_notes, self.picture = self.form.apply_notes, self.form.picture
        self.up, self.down, self.remove = self.form.up, self.form.down, self.form.remove
        self.add_choice, self.add_button = self.form.add_choice, self.form.add_button
        self.clinician_notes = QPlainTextEdit()
        self.clinician_notes.setPlaceholderText("Clinician notes (printed on the report)")
        self.clinician_notes.setMaximumHeight(70)
        self.regenerate = QPushButton("Regenerate from results")
        self.save = QPushButton("Save plan  (Ctrl+S)")
        self.save.setDefault(True)
        self.state = QLabel()
        self.state.setWordWrap(True)
        self.clinician_notes.setMaximumHeight(56)
        # The tree and the selected exercise's form side by side: stacked, they needed
        # 790 px of height, more than a 1366×768 laptop has below the toolbars. The form
        # keeps its own width; the tree takes the rest and wraps its texts to it.
        adding = QHBoxLayout()
        adding.addWidget(QLabel("Add exercise"))
        adding.addWidget(self.add_choice, 1)
        adding.addWidget(self.add_button)
        listed = QVBoxLayout()
        listed.addWidget(self.tree, 1)
        listed.addLayout(adding)
        work = QHBoxLayout()
        work.addLayout(listed, 1)
        work.addWidget(self.form, 0, Qt.AlignmentFlag.AlignTop)
        self.form.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Preferred)
        centre = QVBoxLayout()
        centre.addWidget(self.summary)
        centre.addLayout(work, 1)
        centre.addWidget(self.clinician_notes)
        centre.addWidget(self.state)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.regenerate)
        buttons.addWidget(self.save)
        centre.addLayout(buttons)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_wrap(left))
        splitter.addWidget(_wrap(centre))
        splitter.setSizes([340, 900])
        splitter.setStretchFactor(1, 1)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Edit plan")
        self.preview = None
        if preview:
            from clinic_app.ui.plan_editor.report_preview import ReportPreview

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

        self.flags_box.flags_changed.connect(self._on_red_flags)
        self.flags_box.none_confirmed.connect(self._on_checklist_done)
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
        # Ctrl+S saves the plan on the "Edit plan" tab and the PDF on the preview tab (its
        # button says so): both live, the two shortcuts were ambiguous and neither fired.
        self.save_shortcut = QShortcut(QKeySequence.StandardKey.Save, self, self.save_plan)
        self.tabs.currentChanged.connect(
            lambda index: self.save_shortcut.setEnabled(
                self.tabs.widget(index) is not self.preview
            )
        )

    # ------------------------------------------------------------------ display
    def _load_plan_fields(self) -> None:
        self.flags_box.load(self.plan)
        with QSignalBlocker(self.clinician_notes):
            self.clinician_notes.setPlainText(self.plan.clinician_notes)

    def _refresh(self, select: ItemKey | None = None) -> None:
        plan = self.plan
        # The header is computed from the plan as edited (removed items gone, added ones in).
        self.summary.setText(plan_summary(plan, self.library))
        self.findings.show_findings(plan)
        self.tree.show_plan(plan, select)
        if self.dirty:
            words = "Unsaved changes"
        elif self.stored_version is None:
            words = "Generated from the results, not saved yet"
        else:
            words = f"Saved (version {self.stored_version})"
        self.state.setText(f"{words} · {plan.status} · re-test {plan.retest_date or '—'}")
        self._on_selection()

    def _item(self, key: ItemKey) -> PlanItem:
        return _phase(self.plan, key[0]).items[key[1]]

    def _on_selection(self) -> None:
        chosen = self.tree.selected()
        self.form.set_item_actions_enabled(chosen is not None)
        if chosen is not None:
            self.form.show_item(self._item(chosen))

    # ------------------------------------------------------------------ edits
    def set_plan(self, plan: Plan, *, select: ItemKey | None = None) -> None:
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
        if (chosen := self.tree.selected()) is not None:
            self.set_plan(
                plan_edit.set_level(self.plan, *chosen, self.level.value()), select=chosen
            )

    def _on_dose(self) -> None:
        if (chosen := self.tree.selected()) is not None:
            self.set_item_dose(*chosen, self.form.dose(self._item(chosen).dose))

    def set_item_dose(self, phase_id: str, position: int, dose: Dose) -> None:
        """Set a custom dose on one item (the basis becomes the clinician's choice)."""
        self.set_plan(
            plan_edit.set_dose(self.plan, phase_id, position, dose), select=(phase_id, position)
        )

    def _on_notes(self) -> None:
        if (chosen := self.tree.selected()) is not None:
            self.set_plan(
                plan_edit.set_notes(self.plan, *chosen, self.notes.text()), select=chosen
            )

    def _on_move(self, step: int) -> None:
        if (chosen := self.tree.selected()) is None:
            return
        phase_id, position = chosen
        count = len(_phase(self.plan, phase_id).items)
        new = max(0, min(count - 1, position + step))
        self.set_plan(
            plan_edit.move_item(self.plan, phase_id, position, new), select=(phase_id, new)
        )

    def _on_remove(self) -> None:
        if (chosen := self.tree.selected()) is not None:
            self.set_plan(plan_edit.remove_item(self.plan, *chosen))

    def _on_add(self) -> None:
        exercise_id = str(self.add_choice.currentData())
        plan = plan_edit.add_exercise(self.plan, exercise_id, library=self.library)
        phase_id = self.library.exercise(exercise_id).phase
        self.set_plan(plan, select=(phase_id, len(_phase(plan, phase_id).items) - 1))

    def _on_clinician_notes(self) -> None:
        self.plan = plan_edit.set_clinician_notes(self.plan, self.clinician_notes.toPlainText())
        self.dirty = True
        self.plan_changed.emit(self.plan)

    def _regenerated(self, red_flags: list[str]) -> Plan:
        """A fresh plan for a completed checklist, keeping the clinician's notes."""
        plan = generate_plan(self.ctx, red_flags=red_flags, red_flags_checked=True)
        return dataclasses.replace(plan, clinician_notes=self.plan.clinician_notes)

    def _on_red_flags(self, ticked: list[str]) -> None:
        self.set_plan(self._regenerated(ticked))
        self.state.setText(self.state.text() + " · red flags changed: plan regenerated")

    def _on_checklist_done(self, done: bool) -> None:
        if done and self.plan.red_flags:
            self.set_plan(self._regenerated([]))
        else:
            self.set_plan(dataclasses.replace(self.plan, red_flags_checked=done))

    def _on_regenerate(self) -> None:
        ticked = self.flags_box.ticked()
        checked = bool(ticked) or self.checklist_done.isChecked()
        plan = generate_plan(self.ctx, red_flags=ticked, red_flags_checked=checked)
        self.set_plan(dataclasses.replace(plan, clinician_notes=self.plan.clinician_notes))

    def save_plan(self) -> int | None:
        """Store the plan as a new version (audited by storage); return the version."""
        try:
            version = int(
                self.db.save_plan(
                    self.ctx.session_id,
                    self.plan.to_dict(),
                    self.user,
                    based_on=self.stored_version,
                )
            )
        except ConcurrentChangeError as exc:  # another workstation saved the plan first
            self.state.setText(f"Not saved: {exc}")
            self.conflict.emit(str(exc))
            return None
        except UserError as exc:
            self.state.setText(f"Not saved: {exc}")
            return None
        self.dirty = False
        self.stored_version = version
        self.state.setText(f"Saved as version {version} · re-test {self.plan.retest_date or '—'}")
        log.info("plan v%d saved for session %d", version, self.ctx.session_id)
        self.plan_saved.emit(version)
        return version


def _phase(plan: Plan, phase_id: str) -> PlanPhase:
    return next(p for p in plan.phases if p.id == phase_id)


def _wrap(layout: QVBoxLayout) -> QWidget:
    box = QWidget()
    box.setLayout(layout)
    return box
