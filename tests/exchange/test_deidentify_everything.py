"""De-identified means de-identified: a known name, phone number, record number and birth
date written into every text field the schema has (every free-text column, every string
inside the result, test-plan and plan JSON, plus unknown keys) never reach a
de-identified export, in any format — every byte of every file and every file name is
scanned."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from clinic_app.cli import main
from clinic_app.storage import Database
from tests.exchange.conftest import add_visit

NAME, PHONE, RECORD, BIRTH = "Zoë Núñez", "+44 20 7946 0958", "MRN-0042", "1991-03-14"
SECRET = f"{NAME}, born {BIRTH}, record {RECORD}, call {PHONE}"
NEEDLES = [NAME, "Zoë", "Núñez", "Nunez", PHONE, "7946 0958", RECORD, BIRTH, "14.03.1991"]
# Columns that are not free text: keys, enumerations (CHECK constraints), times, uids, JSON.
NOT_TEXT = {"id", "uid", "sex", "dominant_leg", "involved_side", "status", "protocol", "side",
            "condition", "device", "dtype", "search_text", "sort_name", "birth_date",
            "result", "test_plan", "plan"}  # fmt: skip
JSON_COLUMNS = {"trials": "result", "sessions": "test_plan", "plans": "plan"}


def _poison(value: Any) -> Any:
    """Every string inside a JSON value replaced by the secret, plus an unknown key."""
    if isinstance(value, dict):
        out = {k: _poison(v) for k, v in value.items()}
        out[SECRET] = SECRET
        out["note_" + "x"] = SECRET
        return out
    if isinstance(value, list):
        return [_poison(v) for v in value] + [SECRET]
    if isinstance(value, str):
        return SECRET
    return value


def _seed_every_text_field(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    for table in ("patients", "sessions", "trials", "plans"):
        columns = conn.execute(f"PRAGMA table_info({table})").fetchall()
        text_columns = [
            c[1] for c in columns
            if c[2].upper() == "TEXT" and c[1] not in NOT_TEXT and not c[1].endswith("_at")
        ]  # fmt: skip
        assignments = ", ".join(f"{c} = ?" for c in text_columns)
        conn.execute(f"UPDATE {table} SET {assignments}", [SECRET] * len(text_columns))
        json_column = JSON_COLUMNS.get(table)
        if json_column:
            rows = conn.execute(f"SELECT id, {json_column} FROM {table}").fetchall()
            for row_id, text in rows:
                if text is not None:
                    poisoned = json.dumps(_poison(json.loads(text)), ensure_ascii=False)
                    conn.execute(
                        f"UPDATE {table} SET {json_column} = ? WHERE id = ?", (poisoned, row_id)
                    )
    for key in ("clinic_name", "examiner_name", "clinic_address"):
        conn.execute(
            "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", (key, json.dumps(SECRET))
        )
    conn.close()


@pytest.fixture()
def poisoned_db(tmp_path: Path) -> tuple[Path, int]:
    path = tmp_path / "clinic.sqlite3"
    with Database.open(path) as db:
        patient = db.create_patient(
            {"first_name": "Zoë", "last_name": "Núñez", "birth_date": BIRTH,
             "record_number": RECORD, "sex": "female", "mass_kg": "61.5", "height_cm": "168",
             "notes": SECRET}
        )  # fmt: skip
        from clinic_app.protocols.plan import SessionPlan

        plan = SessionPlan.build(conditions=("eo_firm",), planned_s=20.0, body_mass_kg=61.5)
        add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=1, test_plan=plan.to_json())
        voided = add_visit(db, patient.id, "2026-10-13T09:00:00Z", 41.0, seed=2)
        db.void_session(voided, SECRET)
        db.set_setting("fhir_record_number_system", "https://clinic.example/mrn")
    _seed_every_text_field(path)
    return path, patient.id


def test_the_seed_reaches_every_text_field(poisoned_db: tuple[Path, int], tmp_path: Path) -> None:
    """The check can fail: an identified export carries the secret everywhere it was put."""
    db_path, patient_id = poisoned_db
    out = tmp_path / "identified"
    args = ["--db", str(db_path), "export", "--patient", str(patient_id), "--format", "json",
            "-o", str(out)]  # fmt: skip
    assert main(args) == 0
    text = next(out.glob("*.json")).read_text(encoding="utf-8")
    assert text.count(SECRET) > 100


@pytest.mark.parametrize("fmt", ["csv", "json", "fhir", "fhir-transaction", "raw"])
@pytest.mark.parametrize("scope", ["patient", "all"])
def test_no_byte_of_a_deidentified_export_identifies_anyone(
    poisoned_db: tuple[Path, int],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    fmt: str,
    scope: str,
) -> None:
    db_path, patient_id = poisoned_db
    out = tmp_path / "out"
    who = ["--patient", str(patient_id)] if scope == "patient" else ["--all"]
    args = ["--db", str(db_path), "export", *who, "--format", fmt, "-o", str(out),
            "--deidentify"]  # fmt: skip
    assert main(args) == 0, capsys.readouterr().err
    printed = [Path(line) for line in capsys.readouterr().out.splitlines()]
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files and sorted(files) == sorted(printed)
    for path in files:
        data = path.read_bytes()
        relative = str(path.relative_to(out))
        for needle in NEEDLES:
            assert needle.encode() not in data, (relative, needle)
            assert needle not in relative
        if fmt == "csv":
            assert b",e-" in data  # the examiner's pseudonym
    if fmt == "json":
        document = json.loads(files[0].read_text(encoding="utf-8"))
        sessions = document["patients"][0]["sessions"]
        assert {s["examiner"] for s in sessions} == {sessions[0]["examiner"]}
        assert sessions[0]["examiner"].startswith("e-")
        assert [s["voided"] for s in sessions] == [False, True]
        # The coded structure survives: sides, conditions, statuses, numbers.
        trials = sessions[0]["trials"]
        assert {t["side"] for t in trials} == {"left", "right"}
        assert any(t["result"] and t["result"].get("angle_deg") for t in trials)
