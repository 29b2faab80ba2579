"""Sign-in to a database file: Argon2id hashes, one refusal for every wrong sign-in, and
the roles refused in storage exactly as the clinic server's row-level security refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic_app.storage import Database, PermissionDeniedError, StorageError

PASSWORD = "correct horse 42"


def _visit(db: Database) -> tuple[int, int]:
    patient = db.create_patient(
        {"first_name": "Ana", "last_name": "García", "birth_date": "1990-04-17"}
    )
    session_id = db.create_session(patient.id, "X")
    return patient.id, session_id


def test_a_file_without_logins_asks_nobody_and_refuses_nothing(db: Database) -> None:
    assert not db.sign_in_required()
    patient_id, session_id = _visit(db)
    db.save_plan(session_id, {"items": []}, "generator")
    db.save_plan(session_id, {"items": [1]}, "clinician")
    db.set_setting("clinic_name", "Clinic")
    db.delete_patient(patient_id)


def test_passwords_are_kept_only_as_argon2id_hashes(db: Database, db_path: Path) -> None:
    db.add_local_user("admin1", "admin", PASSWORD)
    assert db.sign_in_required()
    (stored,) = db._rows("SELECT password_hash FROM local_users")
    assert stored["password_hash"].startswith("$argon2id$")
    db.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("dorsilab.sqlite3*"))
    assert PASSWORD.encode() not in raw


def test_every_wrong_sign_in_gets_the_same_words(db: Database) -> None:
    db.add_local_user("dr.lopez", "clinician", PASSWORD)
    db.add_local_user("gone", "clinician", PASSWORD)
    db.disable_local_user("gone")
    messages = set()
    for login, password in (("dr.lopez", "wrong"), ("nobody", PASSWORD), ("gone", PASSWORD)):
        with pytest.raises(PermissionDeniedError) as refused:
            db.sign_in_local(login, password)
        messages.add(str(refused.value))
    assert messages == {"The login name or password was not accepted."}
    assert db.signed_in is None
    db.sign_in_local("dr.lopez", PASSWORD)
    assert (db.signed_in, db.role, db.examiner_default) == ("dr.lopez", "clinician", "dr.lopez")
    patient_id, _ = _visit(db)
    assert db.audit_entries("patient", patient_id)[0].user == "dr.lopez"


@pytest.mark.parametrize(
    ("login", "password", "problem"),
    [("", PASSWORD, "cannot be a login"), ("a b", PASSWORD, "cannot be a login"),
     ("ok", "short", "at least 8"), ("x" * 64, PASSWORD, "cannot be a login")],
)  # fmt: skip
def test_unusable_logins_and_passwords_are_refused_in_words(
    db: Database, login: str, password: str, problem: str
) -> None:
    with pytest.raises(StorageError, match=problem):
        db.add_local_user(login, "clinician", password)
    assert db.local_users() == []


def test_an_assistant_runs_assessments_but_cannot_edit_plans_delete_export_or_configure(
    db: Database,
) -> None:
    db.add_local_user("sam", "assistant", PASSWORD)
    db.sign_in_local("sam", PASSWORD)
    patient_id, session_id = _visit(db)  # registers and runs an assessment
    trial = db.begin_trial(session_id, "lunge", "left")
    db.finish_trial(trial, "valid", {"angle_deg": 40.0})
    assert db.save_plan(session_id, {"items": []}, "generator") == 1  # the generated plan
    refusals = {
        "edit a plan": lambda: db.save_plan(session_id, {"items": [1]}, "sam"),
        "delete a patient": lambda: db.delete_patient(patient_id),
        "void a visit": lambda: db.void_session(session_id, "wrong patient"),
        "export records": lambda: db.record_audit("export", "patient", patient_id),
        "import records": lambda: db.record_audit("import", "patient", patient_id),
        "change the clinic's settings": lambda: db.set_setting("clinic_name", "Mine"),
        "manage users": lambda: db.add_local_user("eve", "admin", PASSWORD),
    }
    for words, action in refusals.items():
        with pytest.raises(PermissionDeniedError, match=f"may not {words}"):
            action()
    assert [p.version for p in db.plan_versions(session_id)] == [1]
    assert not db.get_patient(patient_id).is_deleted
    assert db.get_setting("clinic_name") == ""


def test_a_clinician_does_everything_clinical_but_not_settings_or_users(db: Database) -> None:
    db.add_local_user("dr.lopez", "clinician", PASSWORD)
    db.sign_in_local("dr.lopez", PASSWORD)
    patient_id, session_id = _visit(db)
    db.save_plan(session_id, {"items": []}, "generator")
    assert db.save_plan(session_id, {"items": [1]}, "dr.lopez") == 2
    db.void_session(session_id, "wrong patient")
    db.delete_patient(patient_id)
    with pytest.raises(PermissionDeniedError, match="change the clinic's settings"):
        db.set_setting("idle_lock_minutes", 5)
    with pytest.raises(PermissionDeniedError, match="manage users"):
        db.disable_local_user("dr.lopez")


def test_an_admin_sets_the_idle_lock_within_its_range(db: Database) -> None:
    db.add_local_user("boss", "admin", PASSWORD)
    db.sign_in_local("boss", PASSWORD)
    assert db.get_setting("idle_lock_minutes") == 10
    db.set_setting("idle_lock_minutes", 3)
    for bad in (-1, 241, 2.5, True, "5"):
        with pytest.raises(ValueError, match="idle_lock_minutes"):
            db.set_setting("idle_lock_minutes", bad)
    assert db.get_setting("idle_lock_minutes") == 3
