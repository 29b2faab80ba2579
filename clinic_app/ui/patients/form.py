"""The patient form (create and edit), validated as the clinician types.

Each field shows what is wrong right under it, in red **with** a warning sign and words
(never colour alone), as soon as the field has been touched; the Save button stays
disabled while anything is wrong and a line beside it says what is missing. The rules
themselves live in :func:`clinic_app.storage.validate_patient`, so the command line, the
importers and this form agree; the form only turns typed text into values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from clinic_app.storage.errors import (
    ConcurrentChangeError,
    DuplicateRecordNumberError,
    StorageError,
    ValidationError,
)
from clinic_app.storage.validation import CHOICES, DEFAULTS, parse_patient_fields
from clinic_app.storage.validation import LABELS as STORAGE_LABELS
from clinic_app.ui import theme
from clinic_app.ui.plain_text import message_box, offer_reload

log = logging.getLogger(__name__)

SEXES = list(CHOICES["sex"])
LEGS = list(CHOICES["dominant_leg"])
SIDES = list(CHOICES["involved_side"])
UNITS = {"height_cm": "cm", "mass_kg": "kg", "weekly_km": "km/week", "years_running": "years"}
LABELS = dict(STORAGE_LABELS, birth_date="Date of birth", weekly_km="Weekly distance")

ERROR_LINES = 2
"""Lines reserved under every field for its message (the full text is also its tooltip)."""

FIELD_MIN_WIDTH = 300
"""Width of a field (px): the longest message then takes two lines of small type."""


def _form_layout() -> QFormLayout:
    form = QFormLayout()
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
    form.setVerticalSpacing(2)
    form.setHorizontalSpacing(theme.GAP)
    return form


def age_years(birth_date: str, today: date | None = None) -> int | None:
    """Age in whole years on ``today`` for an ISO birth date; None if it does not parse."""
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    today = today or date.today()
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


class _Field:
    """One input with the error label under it."""

    def __init__(self, name: str, editor: QWidget, error: QLabel, row: QWidget) -> None:
        self.name = name
        self.editor = editor
        self.error = error
        self.row = row
        self.touched = False


class PatientFormDialog(QDialog):
    """Create a patient (``patient_id=None``) or edit one; ``saved_id`` after accept."""

    def __init__(self, db: Any, patient_id: int | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.db = db
        self.patient_id = patient_id
        self.loaded_version: int | None = None
        self.saved_id: int | None = None
        self.setObjectName("patientForm")
        self.setWindowTitle("Edit patient" if patient_id else "New patient")
        self.fields: dict[str, _Field] = {}
        self._errors: dict[str, str] = {}

        # Two columns, and every error line reserved in advance: with the errors shown
        # under the fields of one column the dialog grew past 768 px and fields jumped
        # under the pointer as messages appeared.
        left, right = _form_layout(), _form_layout()
        self._line(left, "first_name")
        self._line(left, "last_name")
        self._line(left, "record_number", placeholder="the clinic's own number (optional)")
        self.age_label = self._line(
            left, "birth_date", placeholder="YYYY-MM-DD, e.g. 1990-04-17", unit=" "
        )
        self._combo(left, "sex", SEXES)
        self._line(right, "height_cm", unit=UNITS["height_cm"])
        self._line(right, "mass_kg", unit=UNITS["mass_kg"])
        self._combo(right, "dominant_leg", LEGS)
        self._combo(right, "involved_side", SIDES)
        self._line(right, "weekly_km", unit=UNITS["weekly_km"])
        self._line(right, "years_running", unit=UNITS["years_running"])
        notes = QPlainTextEdit()
        notes.setPlaceholderText("Injury history, goals, footwear… (optional)")
        notes.setTabChangesFocus(True)
        notes.setFixedHeight(notes.fontMetrics().lineSpacing() * 3 + 16)
        bottom_form = _form_layout()
        self._add(bottom_form, "notes", notes, notes.textChanged)
        columns = QHBoxLayout()
        columns.setSpacing(theme.GAP * 2)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)

        self.summary = QLabel("")
        self.summary.setObjectName("muted")
        self.summary.setWordWrap(True)
        # Its text changes as the clinician types; it must not change the dialog's width.
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.summary.setFixedHeight(self.summary.fontMetrics().lineSpacing() * 2 + 2)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.buttons)

        layout = QVBoxLayout(self)
        heading = QLabel(self.windowTitle())
        theme.set_font(heading, theme.TITLE_PT, bold=True)
        layout.addWidget(heading)
        layout.addLayout(columns)
        layout.addLayout(bottom_form)
        layout.addLayout(bottom)
        layout.setSizeConstraint(QVBoxLayout.SizeConstraint.SetFixedSize)
        if patient_id is not None:
            self._load(patient_id)
        self._revalidate()
        self.fields["first_name"].editor.setFocus()

    # ------------------------------------------------------------ building
    def _add(self, form: QFormLayout, name: str, editor: QWidget, changed: Any) -> None:
        editor.setObjectName(f"field_{name}")
        error = QLabel("")
        error.setObjectName("fieldError")
        error.setWordWrap(True)
        error.setTextFormat(Qt.TextFormat.PlainText)
        theme.set_font(error, theme.SMALL_PT)
        # Room for two lines, kept while hidden, so nothing moves when a message appears.
        error.setFixedHeight(error.fontMetrics().lineSpacing() * ERROR_LINES + 2)
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        policy.setRetainSizeWhenHidden(True)
        error.setSizePolicy(policy)
        error.setVisible(False)
        container = QWidget()
        box = QVBoxLayout(container)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(0)
        editor.setMinimumWidth(FIELD_MIN_WIDTH)
        box.addWidget(editor)
        box.addWidget(error)
        label = QLabel(LABELS[name])
        label.setBuddy(editor)
        form.addRow(label, container)
        field = _Field(name, editor, error, container)
        self.fields[name] = field
        changed.connect(self._touch_callback(field))

    def _line(
        self, form: QFormLayout, name: str, placeholder: str = "", unit: str = ""
    ) -> QLabel | None:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        if unit:
            row = QWidget()
            box = QHBoxLayout(row)
            box.setContentsMargins(0, 0, 0, 0)
            box.addWidget(edit, 1)
            unit_label = QLabel(unit)
            unit_label.setObjectName("muted")
            unit_label.setMinimumWidth(unit_label.fontMetrics().horizontalAdvance("km/week "))
            box.addWidget(unit_label)
            self._add(form, name, row, edit.textChanged)
            self.fields[name].editor = edit
            edit.setObjectName(f"field_{name}")
            return unit_label
        self._add(form, name, edit, edit.textChanged)
        return None

    def _combo(self, form: QFormLayout, name: str, choices: list[tuple[str, str]]) -> None:
        combo = QComboBox()
        for value, text in choices:
            combo.addItem(text, value)
        combo.setCurrentIndex(max(combo.findData(DEFAULTS.get(name)), 0))
        combo.setMinimumContentsLength(12)
        self._add(form, name, combo, combo.currentIndexChanged)

    def _touch_callback(self, field: _Field) -> Callable[..., None]:
        def touched(*_args: object) -> None:
            field.touched = True
            self._revalidate()

        return touched

    # ------------------------------------------------------------ values
    def _text(self, name: str) -> str:
        editor = self.fields[name].editor
        if isinstance(editor, QLineEdit):
            return editor.text()
        if isinstance(editor, QPlainTextEdit):
            return editor.toPlainText()
        raise TypeError(name)

    def values(self) -> dict[str, Any]:
        """The form as storage fields: text as typed (storage parses it), choices as values."""
        values: dict[str, Any] = {}
        for name, field in self.fields.items():
            editor = field.editor
            values[name] = (
                editor.currentData() if isinstance(editor, QComboBox) else self._text(name)
            )
        return values

    def _load(self, patient_id: int) -> None:
        patient = self.db.get_patient(patient_id)
        # The version this form shows: a save from it must not overwrite a newer one.
        self.loaded_version = patient.row_version
        for name, field in self.fields.items():
            value = getattr(patient, name)
            editor = field.editor
            if isinstance(editor, QComboBox):
                index = editor.findData(value)
                editor.setCurrentIndex(max(index, 0))
            elif isinstance(editor, QPlainTextEdit):
                editor.setPlainText(value or "")
            elif isinstance(editor, QLineEdit):
                editor.setText("" if value is None else _format_value(value))
            field.touched = True

    # ------------------------------------------------------------ validation
    @Slot()
    def _revalidate(self) -> None:
        parsed, errors = parse_patient_fields(self.values())
        number = parsed.get("record_number")
        if number and "record_number" not in errors:
            owner = self.db.record_number_owner(number, exclude_id=self.patient_id)
            if owner is not None:
                errors["record_number"] = DuplicateRecordNumberError(
                    owner, self.db.get_patient(owner).is_deleted
                ).errors["record_number"]
        self._errors = errors
        for name, field in self.fields.items():
            message = errors.get(name, "") if field.touched else ""
            field.error.setText(f"⚠ {message}" if message else "")
            field.error.setToolTip(message)
            field.error.setVisible(bool(message))
            field.editor.setProperty("invalid", bool(message))
            field.editor.setAccessibleDescription(message)
            field.editor.style().unpolish(field.editor)
            field.editor.style().polish(field.editor)
        self.save_button.setEnabled(not errors)
        if errors:
            missing = ", ".join(LABELS[n].lower() for n in errors if n in LABELS)
            self.summary.setText(f"To save, check: {missing}.")
        else:
            self.summary.setText("")
        born = parsed.get("birth_date")
        age = age_years(born.isoformat()) if isinstance(born, date) else None
        if self.age_label is not None:
            self.age_label.setText(f"age {age}" if age is not None and age >= 0 else "")

    def errors(self) -> dict[str, str]:
        """Current problems by field (including untouched fields)."""
        return dict(self._errors)

    def visible_error(self, name: str) -> str:
        """The error text shown under field ``name`` ("" when none is shown)."""
        label = self.fields[name].error
        return label.text() if label.isVisible() or not label.isHidden() else ""

    # ------------------------------------------------------------ saving
    @Slot()
    def save(self) -> None:
        """Write the patient, or show what is wrong; closes the dialog on success."""
        for field in self.fields.values():
            field.touched = True
        self._revalidate()
        if self._errors:
            return
        values = self.values()
        if self.patient_id is None and not self._confirm_not_duplicate(values):
            return
        try:
            if self.patient_id is None:
                self.saved_id = int(self.db.create_patient(values).id)
                log.info("patient created: patient_id=%s", self.saved_id)
            else:
                self.db.update_patient(
                    self.patient_id, values, expected_version=self.loaded_version
                )
                self.saved_id = self.patient_id
                log.info("patient updated: patient_id=%s", self.saved_id)
        except ValidationError as exc:
            for name, message in exc.errors.items():
                failed = self.fields.get(name)
                if failed is not None:
                    failed.error.setText(f"⚠ {message}")
                    failed.error.setVisible(True)
                    failed.editor.setFocus()
            self.summary.setText(str(exc))
            return
        except ConcurrentChangeError as exc:
            self._offer_reload(exc)
            return
        except StorageError as exc:  # e.g. the server refused it for this role, or is down
            message_box(
                self,
                QMessageBox.Icon.Warning,
                "Not saved",
                str(exc),
                QMessageBox.StandardButton.Ok,
            ).exec()
            return
        self.accept()

    def _offer_reload(self, exc: ConcurrentChangeError) -> None:
        """Another workstation saved this patient first: say who and when, offer to reload."""
        if offer_reload(self, str(exc), "concurrentChange") and self.patient_id is not None:
            self._load(self.patient_id)
            self._revalidate()
            self.summary.setText("Reloaded the latest version of this record.")

    def _confirm_not_duplicate(self, values: dict[str, Any]) -> bool:
        """Ask before saving a second record for what may be the same person."""
        parsed, _ = parse_patient_fields(values)
        twins = self.db.possible_duplicates(
            parsed["first_name"], parsed["last_name"], parsed["birth_date"]
        )
        if not twins:
            return True
        twin = twins[0]
        where = " (in the deleted list)" if twin.is_deleted else ""
        box = message_box(
            self,
            QMessageBox.Icon.Question,
            "Possible duplicate",
            f"{twin.full_name}, born {twin.birth_date.isoformat()}, is already registered"
            f"{where} as patient id {twin.id}.",
            QMessageBox.StandardButton.Cancel,
        )
        box.setObjectName("duplicateWarning")
        box.setInformativeText("Save a new record anyway, or cancel and open that patient?")
        save = box.addButton("Save a new record", QMessageBox.ButtonRole.AcceptRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is save


def _format_value(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


__all__ = ["PatientFormDialog", "age_years"]
