"""JSON export → import into an empty database reproduces everything, exactly."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.json_format import (
    ImportFormatError,
    export_document,
    import_document,
    read_document,
    write_json,
)
from clinic_app.protocols.plan import SessionPlan
from clinic_app.storage import PATIENT_FIELDS, Database

TRIAL_FIELDS = (
    "protocol",
    "side",
    "condition",
    "attempt",
    "practice",
    "status",
    "invalid_reason",
    "result",
    "started_at",
    "ended_at",
)
SESSION_FIELDS = (
    "started_at",
    "ended_at",
    "examiner",
    "status",
    "inclinometer_site",
    "notes",
    "test_plan",
)


def _snapshot(db: Database, patient_id: int) -> dict[str, object]:
    bundle = collect_patient(db, patient_id)
    patient = {f: getattr(bundle.patient, f) for f in PATIENT_FIELDS}
    sessions = []
    for s in bundle.sessions:
        trials = []
        for item in s.trials:
            t = dataclasses.asdict(item.trial)
            trials.append(
                (
                    {f: t[f] for f in TRIAL_FIELDS},
                    {dev: a.tobytes() for dev, a in item.recordings.items()},
                    {dev: a.dtype.descr for dev, a in item.recordings.items()},
                )
            )
        plans = [(p.version, p.plan, p.edited_by) for p in s.plans]
        sessions.append(({f: getattr(s.session, f) for f in SESSION_FIELDS}, trials, plans))
    return {"patient": patient, "sessions": sessions}


@pytest.fixture()
def exported(clinic_db: tuple[Database, int], tmp_path: Path) -> Path:
    """The fixture patient exported to a JSON file."""
    db, patient_id = clinic_db
    path = tmp_path / "export.json"
    write_json(export_document([collect_patient(db, patient_id)]), path)
    return path


@pytest.fixture()
def other_db(tmp_path: Path) -> Iterator[Database]:
    """A second, empty database to import into."""
    with Database.open(tmp_path / "other.sqlite3") as database:
        yield database


def test_export_then_import_into_empty_database_loses_nothing(
    clinic_db: tuple[Database, int], exported: Path, other_db: Database
) -> None:
    db, patient_id = clinic_db
    summary = import_document(other_db, read_document(exported))
    assert (summary.patients_created, summary.sessions_imported) == (1, 2)
    assert summary.trials_imported == 2 * (6 + 4)
    new_id = other_db.search_patients("Núñez")[0].id
    assert _snapshot(other_db, new_id) == _snapshot(db, patient_id)
    assert any(e.action == "import" for e in other_db.audit_entries("database"))
    # Importing the same file again adds nothing.
    again = import_document(other_db, read_document(exported))
    assert (again.patients_matched, again.sessions_imported, again.sessions_skipped) == (1, 0, 2)


def test_the_visit_test_plan_travels_with_the_session(
    clinic_db: tuple[Database, int], exported: Path, other_db: Database
) -> None:
    document = read_document(exported)
    first, second = document["patients"][0]["sessions"]
    assert first["test_plan"] is None  # a visit stored without a plan exports null
    plan = SessionPlan.from_json(second["test_plan"])
    assert plan.balance.planned_s == 20.0
    assert [s.key for s in plan.steps][-1] == "balance:right:ec_firm"
    import_document(other_db, document)
    new_id = other_db.search_patients("Zoë")[0].id
    stored = [s.test_plan for s in reversed(other_db.list_sessions(new_id))]
    assert stored == [None, second["test_plan"]]
    assert SessionPlan.from_json(stored[1]) == plan


def test_an_export_made_before_test_plans_imports_without_them(
    exported: Path, other_db: Database
) -> None:
    document = read_document(exported)
    for session in document["patients"][0]["sessions"]:
        del session["test_plan"]  # the key did not exist in older exports
    summary = import_document(other_db, document)
    assert summary.sessions_imported == 2 and summary.trials_imported == 20
    new_id = other_db.search_patients("Zoë")[0].id
    assert [s.test_plan for s in other_db.list_sessions(new_id)] == [None, None]


def test_a_test_plan_that_is_not_an_object_imports_nothing(
    exported: Path, other_db: Database
) -> None:
    document = read_document(exported)
    document["patients"][0]["sessions"][1]["test_plan"] = "lunge, balance"
    with pytest.raises(
        ImportFormatError, match=r"patients\[0\]\.sessions\[1\]\.test_plan: not an object"
    ):
        import_document(other_db, document)
    assert other_db.count_patients() == 0


def test_recordings_survive_bit_for_bit_including_nan(
    clinic_db: tuple[Database, int], exported: Path, other_db: Database
) -> None:
    db, patient_id = clinic_db
    import_document(other_db, read_document(exported))
    new_id = other_db.search_patients("Zoë")[0].id
    original = collect_patient(db, patient_id).sessions[0].trials[3].recordings["plate"]
    copy = collect_patient(other_db, new_id).sessions[0].trials[3].recordings["plate"]
    assert np.isnan(copy["cop_x_mm"][:3]).all()
    assert copy.tobytes() == original.tobytes()


def test_deidentified_export_holds_no_identifying_text(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    pseudo = Pseudonymizer.for_clinic(db)
    text = json.dumps(
        export_document([collect_patient(db, patient_id)], pseudo), ensure_ascii=False
    )
    for secret in ("Zoë", "Núñez", "1991-03-14", "MRN-0042", "prefers mornings", "likes hills"):
        assert secret not in text
    document = json.loads(text)
    uid = db.get_patient(patient_id).uid
    assert document["patients"][0]["id"] == pseudo.pseudonym("patient", uid)
    # The same clinic salt gives the same pseudonym next time (linkable by the clinic only).
    assert Pseudonymizer.for_clinic(db).pseudonym("patient", uid) == document["patients"][0]["id"]
    path = tmp_path / "deid.json"
    write_json(document, path)
    with pytest.raises(ImportFormatError, match="de-identified"):
        read_document(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "line 1, column 2"),
        ('{"format": "something-else"}', "not a DorsiLab export"),
        ('{"format": "dorsilab-export", "format_version": 99}', "newer"),
    ],
)
def test_bad_files_are_refused_in_words(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ImportFormatError, match=message):
        read_document(path)


def test_a_conflicting_record_number_imports_nothing(exported: Path, other_db: Database) -> None:
    other_db.create_patient(
        {
            "first_name": "Someone",
            "last_name": "Else",
            "birth_date": "1980-01-01",
            "record_number": "MRN-0042",
        }
    )
    with pytest.raises(ImportFormatError, match="record number"):
        import_document(other_db, read_document(exported))
    assert other_db.count_patients() == 1
    assert other_db.list_sessions(other_db.search_patients("Else")[0].id) == []


def _export_text(
    db_path: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> dict[str, object]:
    from clinic_app.cli import main

    assert main(["--db", str(db_path), "export", "--all", "--format", "json", "-o", str(out)]) == 0
    path = Path(capsys.readouterr().out.strip())
    document: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    document.pop("exported_at")
    return document


def test_demo_export_import_export_is_identical_but_for_exported_at(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Patient, visit and trial uids, created/updated times, plan versions and their times,
    visit body measures, deleted patients' state and voided visits with their reason."""
    import importlib

    from clinic_app.cli import main

    source = tmp_path / "demo.sqlite3"
    with Database.open(source) as db:
        importlib.import_module("clinic_app.demo_data").ensure_demo_data(db)
        patient = next(p for p in db.search_patients("", limit=None) if db.list_sessions(p.id))
        visit = db.list_sessions(patient.id)[-1]
        db.void_session(visit.id, "recorded on the wrong patient")
        db.update_patient(patient.id, {"mass_kg": "80"})  # after the visits: not rewritten
    first = _export_text(source, tmp_path / "one", capsys)
    exported = next((tmp_path / "one").glob("*.json"))
    target = tmp_path / "second-workstation.sqlite3"
    Database.open(target).close()
    assert main(["--db", str(target), "import", str(exported)]) == 0
    capsys.readouterr()
    second = _export_text(target, tmp_path / "two", capsys)
    assert second == first
    patients = first["patients"]
    assert isinstance(patients, list) and len(patients) == 15
    voided = [s for p in patients for s in p["sessions"] if s["voided_at"]]
    assert [s["void_reason"] for s in voided] == ["recorded on the wrong patient"]
    # Importing the same file again adds nothing.
    assert main(["--db", str(target), "import", str(exported)]) == 0
    assert "imported 0 sessions" in capsys.readouterr().out


def test_a_continued_plan_points_at_the_right_visit_in_the_database_it_is_imported_into(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    """Plans name visits by this database's ids; another database numbers them otherwise."""
    db, patient_id = clinic_db
    first, second = sorted(s.id for s in db.list_sessions(patient_id))
    latest = db.latest_plan(second)
    assert latest is not None
    db.save_plan(second, {**latest.plan, "continues_session_id": first}, "Dr Ana Ruiz")
    path = tmp_path / "export.json"
    write_json(export_document([collect_patient(db, patient_id)]), path)
    assert '"continues_session_id"' not in path.read_text(encoding="utf-8")
    with Database.open(tmp_path / "other.sqlite3") as other:
        filler = other.create_patient(
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
        )
        for _ in range(3):  # so the imported visits get other ids than at home
            other.create_session(filler.id, "X")
        import_document(other, read_document(path))
        (imported,) = other.search_patients("Núñez")
        old_first, new_second = sorted(s.id for s in other.list_sessions(imported.id))
        plan = other.latest_plan(new_second)
        assert plan is not None and new_second != second
        assert plan.plan["session_id"] == new_second
        assert plan.plan["continues_session_id"] == old_first
