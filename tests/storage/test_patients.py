"""Patients: validation in words, create/update/audit, soft delete, search as you type."""

from __future__ import annotations

from datetime import date

import pytest

from clinic_app.storage import (
    Database,
    DuplicateRecordNumberError,
    NotFoundError,
    PatientInput,
    StorageError,
    ValidationError,
    validate_patient,
)

TODAY = date(2026, 11, 24)
VALID = {"first_name": "Zoë", "last_name": "Quattlebaum", "birth_date": "1990-04-17"}


# ---------------------------------------------------------------- validation
def test_a_complete_valid_form_has_no_errors() -> None:
    form = {
        **VALID,
        "record_number": " MRN-0042 ",
        "sex": "female",
        "height_cm": "171",
        "mass_kg": "68,5",
        "dominant_leg": "left",
        "involved_side": "both",
        "weekly_km": 0,
        "years_running": "12.5",
        "notes": "",
    }
    assert validate_patient(form, today=TODAY) == {}
    parsed = PatientInput.from_fields(form, today=TODAY)
    assert parsed.mass_kg == 68.5 and parsed.record_number == "MRN-0042"
    assert parsed.birth_date == date(1990, 4, 17)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("first_name", "  ", "First name is required"),
        ("last_name", None, "Last name is required"),
        ("birth_date", "", "Birth date is required"),
        ("birth_date", "2027-01-01", "cannot be in the future"),
        ("birth_date", "1899-12-31", "cannot be before 1900"),
        ("birth_date", "1990-02-30", "real date"),
        ("birth_date", "next week", "real date"),
        ("height_cm", "49.9", "between 50 and 250 cm"),
        ("height_cm", "251", "between 50 and 250 cm"),
        ("height_cm", "tall", "must be a number in cm"),
        ("mass_kg", "9", "between 10 and 300 kg"),
        ("mass_kg", "nan", "must be a number in kg"),
        ("weekly_km", "-1", "between 0 and 300 km"),
        ("weekly_km", "301", "between 0 and 300 km"),
        ("years_running", "81", "between 0 and 80 years"),
        ("sex", "f", "Sex must be one of"),
        ("involved_side", "up", "Involved side must be one of"),
        ("record_number", "A\nB", "line breaks"),
        ("first_name", "x" * 101, "too long"),
    ],
)
def test_each_bad_field_gets_a_message_in_words(field: str, value: object, words: str) -> None:
    errors = validate_patient({**VALID, field: value}, today=TODAY)
    assert list(errors) == [field]
    assert words in errors[field]


@pytest.fixture
def db(any_db: Database) -> Database:
    """These record-store tests run on a SQLite file and on a clinic server."""
    return any_db


def test_limits_are_inclusive_and_dates_accept_date_objects() -> None:
    form = {
        **VALID, "birth_date": date(1900, 1, 1), "height_cm": 50, "mass_kg": 300,
        "weekly_km": 300, "years_running": 80,
    }  # fmt: skip
    assert validate_patient(form, today=TODAY) == {}
    assert validate_patient({**VALID, "birth_date": "24.11.2026"}, today=TODAY) == {}


def test_numeric_record_numbers_are_kept_as_text() -> None:
    assert PatientInput.from_fields({**VALID, "record_number": 1042}).record_number == "1042"
    assert "must be text" in validate_patient({**VALID, "first_name": 5})["first_name"]
    assert "number" in validate_patient({**VALID, "mass_kg": [70]})["mass_kg"]


def test_years_running_cannot_exceed_age_and_unknown_fields_are_named() -> None:
    errors = validate_patient(
        {**VALID, "birth_date": "2016-01-01", "years_running": 20, "shoe": 42}, today=TODAY
    )
    assert "more than the patient's age" in errors["years_running"]
    assert errors["shoe"] == "Unknown field 'shoe'."


def test_messages_never_repeat_what_was_typed() -> None:
    errors = validate_patient(
        {"first_name": "Zoë" * 50, "last_name": "", "birth_date": "17/04/2990"}, today=TODAY
    )
    assert errors and not any("Zoë" in m or "2990" in m for m in errors.values())


# ---------------------------------------------------------------- create / update / delete
def test_create_get_and_audit(db: Database) -> None:
    patient = db.create_patient({**VALID, "mass_kg": "61.5", "involved_side": "left"})
    assert patient.id > 0 and patient.mass_kg == 61.5 and patient.sex == "unspecified"
    assert patient.display_name == "Quattlebaum, Zoë"
    assert patient.age_years(date(2026, 4, 16)) == 35
    assert db.get_patient(patient.id) == patient
    [entry] = db.audit_entries("patient", patient.id)
    assert entry.action == "create" and entry.user == db.user
    assert "first_name" in entry.details["fields"]


def test_invalid_input_writes_nothing(db: Database) -> None:
    with pytest.raises(ValidationError) as caught:
        db.create_patient({**VALID, "height_cm": "999"})
    assert set(caught.value.errors) == {"height_cm"}
    assert db.count_patients() == 0 and db.audit_entries("patient") == []


def test_update_changes_only_given_fields_and_audits_their_names(db: Database) -> None:
    patient = db.create_patient(VALID)
    updated = db.update_patient(patient.id, {"mass_kg": 70, "last_name": "Quattlebaum-Ray"})
    assert updated.mass_kg == 70.0 and updated.first_name == "Zoë"
    assert updated.created_at == patient.created_at
    entry = db.audit_entries("patient", patient.id)[0]
    assert entry.action == "update"
    assert entry.details == {"fields": ["last_name", "mass_kg"]}
    text = str(entry.details)
    assert "Quattlebaum" not in text and "1990" not in text

    assert db.update_patient(patient.id, {"mass_kg": "70,0"}) == updated  # no change
    assert len(db.audit_entries("patient", patient.id)) == 2

    with pytest.raises(ValidationError):
        db.update_patient(patient.id, {"birth_date": "2999-01-01"})
    assert db.get_patient(patient.id) == updated


def test_record_numbers_are_unique_with_a_clear_error(db: Database) -> None:
    first = db.create_patient({**VALID, "record_number": "MRN-1"})
    other = db.create_patient({**VALID, "first_name": "Ann", "record_number": "MRN-2"})
    with pytest.raises(DuplicateRecordNumberError) as caught:
        db.create_patient({**VALID, "first_name": "Bo", "record_number": " MRN-1"})
    assert caught.value.other_patient_id == first.id
    assert "already used by another patient" in caught.value.errors["record_number"]
    assert "MRN-1" not in str(caught.value)
    with pytest.raises(DuplicateRecordNumberError):
        db.update_patient(other.id, {"record_number": "MRN-1"})
    assert db.record_number_owner("MRN-1") == first.id
    assert db.record_number_owner("MRN-1", exclude_id=first.id) is None
    assert db.record_number_owner("") is None

    db.delete_patient(first.id)
    with pytest.raises(DuplicateRecordNumberError, match="deleted patient") as caught:
        db.create_patient({**VALID, "record_number": "MRN-1"})
    assert caught.value.other_is_deleted
    # Patients without a record number do not collide.
    db.create_patient(VALID)
    db.create_patient(VALID)


def test_soft_delete_and_restore(db: Database) -> None:
    patient = db.create_patient(VALID)
    session_id = db.create_session(patient.id, "examiner")
    db.delete_patient(patient.id)
    assert db.get_patient(patient.id).is_deleted
    assert db.search_patients("zoe") == []
    assert [p.id for p in db.search_patients("zoe", include_deleted=True)] == [patient.id]
    assert [p.id for p in db.list_deleted_patients()] == [patient.id]
    with pytest.raises(StorageError, match="deleted list"):
        db.update_patient(patient.id, {"mass_kg": 60})
    with pytest.raises(StorageError, match="deleted list"):
        db.create_session(patient.id, "examiner")

    restored = db.restore_patient(patient.id)
    assert not restored.is_deleted and db.list_deleted_patients() == []
    assert [s.id for s in db.list_sessions(patient.id)] == [session_id]
    actions = [e.action for e in reversed(db.audit_entries("patient", patient.id))]
    assert actions == ["create", "delete", "restore"]
    # The row is still there: nothing is ever hard-deleted.
    assert db._rows("SELECT COUNT(*) AS n FROM patients")[0]["n"] == 1  # a soft delete


def test_unknown_ids_raise_not_found_in_words(db: Database) -> None:
    with pytest.raises(NotFoundError, match="no patient with id 42"):
        db.get_patient(42)
    with pytest.raises(NotFoundError):
        db.delete_patient(42)


def test_possible_duplicates_ignore_case_and_accents(db: Database) -> None:
    patient = db.create_patient(VALID)
    found = db.possible_duplicates("ZOE", "quattlebaum", date(1990, 4, 17))
    assert [p.id for p in found] == [patient.id]
    assert db.possible_duplicates("Zoë", "Quattlebaum", date(1990, 4, 18)) == []
    assert (
        db.possible_duplicates("Zoë", "Quattlebaum", date(1990, 4, 17), exclude_id=patient.id)
        == []
    )


# ---------------------------------------------------------------- search
@pytest.fixture
def crowd(db: Database) -> dict[str, int]:
    people = [
        ("Zoë", "Quattlebaum", "1990-04-17", "MRN-0042"),
        ("José", "Núñez", "1962-12-24", "MRN-0107"),
        ("Jürgen", "Müller", "1968-07-23", None),
        ("小明", "王", "1999-05-09", "C-88"),
        ("Siobhán", "O'Connor", "2006-01-30", None),
        ("Anna", "Muller", "1990-01-02", "100%_A"),
        ("Annabel", "Smith-Jones", "1985-04-17", None),
        ("Mark", "Annan", "1977-03-03", None),
    ]
    ids = {}
    for first, last, birth, number in people:
        patient = db.create_patient(
            {"first_name": first, "last_name": last, "birth_date": birth, "record_number": number}
        )
        ids[last] = patient.id
    return ids


def _names(db: Database, query: str) -> list[str]:
    return [p.last_name for p in db.search_patients(query)]


def test_search_ignores_case_and_accents(db: Database, crowd: dict[str, int]) -> None:
    assert _names(db, "zoe") == ["Quattlebaum"]
    assert _names(db, "ZOË") == ["Quattlebaum"]
    assert _names(db, "nunez") == ["Núñez"]
    assert _names(db, "núñ") == ["Núñez"]
    assert _names(db, "muller") == ["Muller", "Müller"]
    assert _names(db, "MÜLLER") == ["Muller", "Müller"]
    assert _names(db, "王") == ["王"]
    assert _names(db, "小") == ["王"]


def test_search_matches_word_starts_in_either_name(db: Database, crowd: dict[str, int]) -> None:
    assert _names(db, "ann") == ["Annan", "Muller", "Smith-Jones"]  # sorted by last name
    assert _names(db, "jones") == ["Smith-Jones"]
    assert _names(db, "oconnor") == ["O'Connor"]
    assert _names(db, "o'con") == ["O'Connor"]
    assert _names(db, "connor") == ["O'Connor"]
    assert _names(db, "nan") == []  # not the middle of a word
    assert _names(db, "ann mul") == ["Muller"]  # every word must match
    assert _names(db, "mul ann") == ["Muller"]
    assert len(db.search_patients("")) == len(db.search_patients("  ")) == 8


def test_search_by_record_number_and_birth_date(db: Database, crowd: dict[str, int]) -> None:
    assert _names(db, "mrn-0042") == ["Quattlebaum"]
    assert _names(db, "0107") == ["Núñez"]
    assert _names(db, "c-88") == ["王"]
    assert _names(db, "1990") == ["Muller", "Quattlebaum"]
    assert _names(db, "1990-04") == ["Quattlebaum"]
    assert _names(db, "17.04.1990") == ["Quattlebaum"]
    assert _names(db, "04/17/1990") == ["Quattlebaum"]
    assert _names(db, "2.1.1990") == ["Muller"]
    assert _names(db, "04-17") == ["Quattlebaum", "Smith-Jones"]
    assert _names(db, "zoe 1990") == ["Quattlebaum"]


def test_search_treats_wildcards_literally_and_respects_limit(
    db: Database, crowd: dict[str, int]
) -> None:
    assert _names(db, "%") == []
    assert _names(db, "_") == []
    assert _names(db, "100%_") == ["Muller"]
    assert len(db.search_patients("", limit=3)) == 3
    assert len(db.search_patients("", limit=None)) == 8


def test_search_sees_edits(db: Database, crowd: dict[str, int]) -> None:
    db.update_patient(crowd["Annan"], {"last_name": "Ängström"})
    assert _names(db, "ang") == ["Ängström"]
    assert _names(db, "annan") == []
