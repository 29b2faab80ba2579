"""Small defaults that went wrong (issue 14 §5): leg lists, the profile card."""

from __future__ import annotations

from typing import Any

from clinic_app.storage import Database
from clinic_app.ui.patients.form import PatientFormDialog
from tests.ui.conftest import PATIENT


def test_dominant_leg_and_involved_side_list_left_and_right_in_the_same_order(
    qtbot: Any, db: Database
) -> None:
    dialog = PatientFormDialog(db)
    qtbot.addWidget(dialog)
    lists = {
        name: [
            dialog.fields[name].editor.itemData(i)
            for i in range(dialog.fields[name].editor.count())
        ]
        for name in ("dominant_leg", "involved_side")
    }
    assert lists["dominant_leg"][:2] == lists["involved_side"][:2] == ["left", "right"]
    assert dialog.values()["dominant_leg"] == "unknown"  # the default is unchanged


def test_the_profile_card_shows_height_and_dominant_leg(make_window: Any, db: Database) -> None:
    patient = db.create_patient(dict(PATIENT, height_cm="168", dominant_leg="left"))
    window = make_window()
    window.select_patient(patient.id)
    facts = window.patient_page.facts
    assert facts["height"].text() == "168 cm"
    assert facts["dominant"].text() == "Left"
    assert facts["mass"].text() == "61.5 kg"
