"""The patient form validates as the clinician types and saves through storage."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton

from clinic_app.storage import Database
from clinic_app.ui.patients.form import PatientFormDialog
from clinic_app.ui.selftest_support import run_modal, type_into
from tests.ui.conftest import PATIENT


def _type(qtbot: Any, form: PatientFormDialog, name: str, text: str) -> None:
    type_into(form.fields[name].editor, text)


@pytest.fixture
def form(qtbot: Any, db: Database) -> PatientFormDialog:
    dialog = PatientFormDialog(db)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _fill_valid(qtbot: Any, form: PatientFormDialog) -> None:
    for name in ("first_name", "last_name", "birth_date", "record_number", "mass_kg"):
        _type(qtbot, form, name, PATIENT[name])


def test_empty_form_cannot_be_saved_but_shows_no_errors_yet(form: PatientFormDialog) -> None:
    assert not form.save_button.isEnabled()
    assert all(form.visible_error(name) == "" for name in form.fields)
    assert "first name" in form.summary.text()


@pytest.mark.parametrize(
    ("field", "text", "expected"),
    [
        ("birth_date", "2999-01-01", "future"),
        ("birth_date", "1990-02-30", "real date"),
        ("height_cm", "300", "between 50 and 250 cm"),
        ("mass_kg", "5", "between 10 and 300 kg"),
        ("mass_kg", "heavy", "must be a number"),
    ],
)
def test_bad_value_message_appears_and_goes_away(
    qtbot: Any, form: PatientFormDialog, field: str, text: str, expected: str
) -> None:
    _fill_valid(qtbot, form)
    assert form.save_button.isEnabled()
    _type(qtbot, form, field, text)
    shown = form.visible_error(field)
    assert expected in shown
    assert shown.startswith("⚠")  # a sign, not colour alone
    assert form.fields[field].error.isVisibleTo(form)
    assert form.fields[field].editor.property("invalid") is True
    assert not form.save_button.isEnabled()
    _type(qtbot, form, field, PATIENT.get(field, "170"))
    assert form.visible_error(field) == ""
    assert not form.fields[field].error.isVisibleTo(form)
    assert form.save_button.isEnabled()


def test_clearing_a_name_says_it_is_required(qtbot: Any, form: PatientFormDialog) -> None:
    _fill_valid(qtbot, form)
    _type(qtbot, form, "last_name", "")
    assert "Last name is required" in form.visible_error("last_name")
    assert not form.save_button.isEnabled()


def test_age_is_shown_beside_a_valid_birth_date(qtbot: Any, form: PatientFormDialog) -> None:
    _type(qtbot, form, "birth_date", "17.04.1990")
    assert form.age_label is not None
    assert form.age_label.text().startswith("age ")


def test_save_creates_the_patient(qtbot: Any, form: PatientFormDialog, db: Database) -> None:
    _fill_valid(qtbot, form)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert form.result() == PatientFormDialog.DialogCode.Accepted
    assert form.saved_id is not None
    stored = db.get_patient(form.saved_id)
    assert (stored.last_name, stored.mass_kg) == ("García", 61.5)


def test_duplicate_record_number_is_shown_under_the_field(
    qtbot: Any, form: PatientFormDialog, db: Database
) -> None:
    other = db.create_patient({**PATIENT, "first_name": "Other"})
    _fill_valid(qtbot, form)
    shown = form.visible_error("record_number")  # while typing, before any save
    assert f"already used by another patient (patient id {other.id})" in shown
    assert not form.save_button.isEnabled()
    form.save()
    assert form.saved_id is None
    assert form.isVisible()
    _type(qtbot, form, "record_number", "R-0002")
    assert form.visible_error("record_number") == ""
    assert form.save_button.isEnabled()


@pytest.mark.parametrize(("answer", "saved"), [("Save a new record", True), ("Cancel", False)])
def test_same_name_and_birth_date_asks_first(
    qtbot: Any, form: PatientFormDialog, db: Database, answer: str, saved: bool
) -> None:
    twin = db.create_patient({**PATIENT, "record_number": "R-9"})
    _fill_valid(qtbot, form)
    seen: list[str] = []

    def reply(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.findChildren(QPushButton) if b.text() == answer).click()

    run_modal(form.save, reply, QMessageBox)
    assert f"as patient id {twin.id}" in seen[0]
    assert (form.saved_id is not None) is saved
    assert db.count_patients() == (2 if saved else 1)


def test_edit_loads_and_updates(qtbot: Any, db: Database) -> None:
    patient = db.create_patient(PATIENT)
    dialog = PatientFormDialog(db, patient.id)
    qtbot.addWidget(dialog)
    assert dialog.fields["last_name"].editor.text() == "García"
    assert dialog.fields["birth_date"].editor.text() == "1990-04-17"
    assert dialog.fields["sex"].editor.currentData() == "female"
    _type(qtbot, dialog, "mass_kg", "63")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert db.get_patient(patient.id).mass_kg == 63.0


@pytest.mark.parametrize("answer", ["Reload", "Cancel"])
def test_a_save_after_another_workstation_saved_says_who_and_offers_to_reload(
    qtbot: Any, db: Database, db_path: Any, answer: str
) -> None:
    patient = db.create_patient(PATIENT)
    dialog = PatientFormDialog(db, patient.id)
    qtbot.addWidget(dialog)
    # A second workstation (its own connection, its own user) saves first.
    with Database.open(db_path, backup_on_start=False, user="dr.lopez") as other:
        other.update_patient(patient.id, {"mass_kg": 70})
    _type(qtbot, dialog, "mass_kg", "63")
    seen: list[str] = []

    def reply(box: QDialog) -> None:
        assert isinstance(box, QMessageBox)
        seen.append(box.text())
        next(b for b in box.findChildren(QPushButton) if b.text() == answer).click()

    run_modal(dialog.save, reply, QMessageBox)
    assert "changed by dr.lopez at" in seen[0] and "nothing was saved" in seen[0]
    stored = db.get_patient(patient.id)
    assert stored.mass_kg == 70.0 and stored.row_version == 2  # their save stands
    assert dialog.saved_id is None
    shown = dialog.fields["mass_kg"].editor.text()
    assert shown == ("70" if answer == "Reload" else "63")
    if answer == "Reload":  # saving again now goes through, from the version just loaded
        _type(qtbot, dialog, "mass_kg", "64")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert db.get_patient(patient.id).mass_kg == 64.0
        assert db.get_patient(patient.id).row_version == 3
