"""Numbered migrations: the real v1 → v2 step on a real v1 file, and the machinery (a test
migration after the last real one keeps every row and leaves a backup; failures roll back)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import MIGRATIONS, SCHEMA_VERSION, Database, Migration, list_backups

V1_DUMP = Path(__file__).with_name("data") / "schema_v1_clinic.sql"
"""A database written by DorsiLab with schema v1 (see ``data/make_schema_v1.py``)."""


def _v1_file(path: Path) -> Path:
    """Rebuild the real v1 database file at ``path`` from its SQL dump."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    try:
        conn.executescript(V1_DUMP.read_text(encoding="utf-8"))
    finally:
        conn.close()
    return path


def _table(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _columns(path: Path, table: str) -> list[str]:
    return [str(row[1]) for row in _table(path, f"PRAGMA table_info({table})")]


def test_a_real_v1_file_migrates_to_the_current_schema_keeping_every_row(db_path: Path) -> None:
    _v1_file(db_path)
    assert _table(db_path, "SELECT MAX(version) FROM schema_version") == [(1,)]
    tables = ("patients", "sessions", "trials", "recordings", "plans", "settings", "audit_log")
    v1_columns = {t: _columns(db_path, t) for t in tables}
    before = {t: _table(db_path, f"SELECT * FROM {t} ORDER BY rowid") for t in tables}
    assert len(before["sessions"]) == 2 and len(before["recordings"]) == 4

    with Database.open(db_path, user="tester") as db:
        assert db.schema_version == SCHEMA_VERSION == 5
        assert "test_plan" in db.su["sessions"].columns_dict
        steps = sorted(
            (e.details["from_version"], e.details["to_version"])
            for e in db.audit_entries("database")
            if e.action == "migrate"
        )
        assert steps == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]  # the v1 file's own creation too
        # Everything the v1 file held is still there and reads through the current API.
        ana, zoe = db.search_patients("")  # sorted by last name
        assert (ana.last_name, zoe.first_name) == ("García", "Zoë")
        done, cut = db.list_sessions(ana.id)[0], db.list_sessions(zoe.id)[0]
        assert done.status == "complete" and done.notes == "ok" and done.test_plan is None
        assert cut.status == "in_progress" and cut.test_plan is None
        lunge, balance = db.trials_for_session(done.id)
        assert lunge.result["distance_cm"] == 9.5 and balance.result["planned_s"] == 20.0
        assert len(db.load_recording(lunge.id, "inclinometer")) == 40
        assert len(db.load_recording(balance.id, "plate")) == 80
        assert [p.version for p in db.plan_versions(done.id)] == [1, 2]
        assert db.get_setting("clinic_name") == "Fixture Clinic"
        assert db.quick_check() == ["ok"]
    for table in tables:  # every v1 row and column unchanged
        names = ", ".join(v1_columns[table])
        after = _table(db_path, f"SELECT {names} FROM {table} ORDER BY rowid")
        if table == "audit_log":
            after = after[: len(before[table])]
        assert after == before[table], table

    (pre,) = [b for b in list_backups(db_path) if b.reason == "before-v2"]
    assert _table(pre.path, "SELECT MAX(version) FROM schema_version") == [(1,)]
    assert _table(pre.path, "SELECT COUNT(*) FROM trials") == [(4,)]


def test_a_v1_visit_resumes_with_the_plan_given_and_new_visits_store_theirs(
    db_path: Path,
) -> None:
    _v1_file(db_path)
    with Database.open(db_path, user="tester") as db:
        (zoe,) = db.search_patients("Zoë")
        (cut,) = db.unfinished_sessions()
        with pytest.raises(ValueError, match="no stored test plan"):
            AssessmentRun.resume(db, cut.id, None, SyncJournal(db))
        fallback = SessionPlan.build(lunge=True, conditions=(), practice=False)
        run = AssessmentRun.resume(db, cut.id, fallback, SyncJournal(db))
        assert run.plan == fallback and run.protocol.valid_done == 1
        assert db.get_session(cut.id).test_plan is None  # nothing rewritten on resume
        plan = SessionPlan.build(conditions=("ec_foam",), planned_s=30.0, practice=False)
        new = AssessmentRun.start(db, zoe.id, plan, SyncJournal(db))
        assert SessionPlan.from_json(db.get_session(new.session_id).test_plan) == plan


def test_the_test_plan_column_accepts_only_json(db: Database) -> None:
    patient = db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"})
    session_id = db.create_session(patient.id, "X", test_plan={"schema": 1})
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.conn.execute("UPDATE sessions SET test_plan = 'not json' WHERE id = ?", (session_id,))
    assert db.get_session(session_id).test_plan == {"schema": 1}


def _add_shoe_column(db: sqlite_utils.Database) -> None:
    db.table("patients").add_column("shoe_size_eu", float)
    db.execute("UPDATE patients SET shoe_size_eu = 42.0")


NEXT = Migration(SCHEMA_VERSION + 1, "shoe size", _add_shoe_column)
"""A test migration after the last real one."""


def _seed(db_path: Path, n: int) -> list[int]:
    with Database.open(db_path) as db, db.transaction():
        return [
            db.create_patient(
                {"first_name": f"P{i}", "last_name": "Müller", "birth_date": "1970-02-03"}
            ).id
            for i in range(n)
        ]


def test_a_new_migration_keeps_every_row_and_leaves_a_backup(db_path: Path) -> None:
    ids = _seed(db_path, 120)
    before = {b.path for b in list_backups(db_path)}

    with Database.open(db_path, migrations=[*MIGRATIONS, NEXT]) as db:
        assert db.schema_version == NEXT.version
        rows = list(db.su.query("SELECT id, first_name, shoe_size_eu FROM patients ORDER BY id"))
        assert [r["id"] for r in rows] == ids
        assert [r["first_name"] for r in rows] == [f"P{i}" for i in range(120)]
        assert all(r["shoe_size_eu"] == 42.0 for r in rows)
        migrate = next(e for e in db.audit_entries("database") if e.action == "migrate")
        assert migrate.details["from_version"] == SCHEMA_VERSION
        assert migrate.details["to_version"] == NEXT.version

    new = [b for b in list_backups(db_path) if b.path not in before]
    pre = [b for b in new if b.reason == f"before-v{NEXT.version}"]
    assert len(pre) == 1 and migrate.details["backup"] == pre[0].path.name
    with sqlite3.connect(pre[0].path) as backup:  # the backup is the previous database, whole
        version = backup.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        assert version == SCHEMA_VERSION
        assert backup.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 120
    backup.close()


def test_opening_again_does_not_migrate_twice(db_path: Path) -> None:
    _seed(db_path, 3)
    with Database.open(db_path, migrations=[*MIGRATIONS, NEXT]):
        pass
    count = len(list_backups(db_path))
    with Database.open(db_path, migrations=[*MIGRATIONS, NEXT]) as db:
        assert db.schema_version == NEXT.version
        migrations = [e for e in db.audit_entries("database") if e.action == "migrate"]
        assert len(migrations) == NEXT.version
    assert len(list_backups(db_path)) == count


def test_a_failing_migration_rolls_back_completely(db_path: Path) -> None:
    _seed(db_path, 10)

    def broken(db: sqlite_utils.Database) -> None:
        db.table("patients").add_column("half_done", str)
        db.execute("UPDATE patients SET half_done = 'x'")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError, match="migration bug"):
        Database.open(
            db_path, migrations=[*MIGRATIONS, Migration(SCHEMA_VERSION + 1, "broken", broken)]
        )
    with Database.open(db_path) as db:
        assert db.schema_version == SCHEMA_VERSION
        assert "half_done" not in db.su["patients"].columns_dict
        assert db.count_patients() == 10


def test_migration_numbers_must_not_have_gaps(db_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        gap = Migration(SCHEMA_VERSION + 2, "gap", _add_shoe_column)
        Database.open(db_path, migrations=[*MIGRATIONS, gap])


def test_a_new_database_gets_no_backup_between_its_first_migrations(db_path: Path) -> None:
    with Database.open(db_path) as db:
        assert db.schema_version == SCHEMA_VERSION
    assert [b.reason for b in list_backups(db_path)] == ["daily"]


def test_v3_gives_every_row_a_stable_uid_and_every_visit_its_body_measures(
    db_path: Path,
) -> None:
    _v1_file(db_path)
    with Database.open(db_path, user="tester") as db:
        patients = db.search_patients("")
        sessions = [s for p in patients for s in db.list_sessions(p.id)]
        trials = [t for s in sessions for t in db.trials_for_session(s.id)]
        uids = [r.uid for r in (*patients, *sessions, *trials)]
        assert all(len(u) == 36 and u[14] == "4" for u in uids)  # UUID version 4
        assert len(set(uids)) == len(uids)
        ana = patients[0]
        (visit,) = db.list_sessions(ana.id)
        assert (visit.mass_kg, visit.height_cm) == (ana.mass_kg, ana.height_cm)
        # A row inserted without a uid (any code path) still gets one.
        db.conn.execute(
            "INSERT INTO trials (session_id, protocol, side, attempt, started_at) "
            "VALUES (?, 'lunge', 'left', 9, '2026-01-01T00:00:00Z')",
            (visit.id,),
        )
        assert all(t.uid for t in db.trials_for_session(visit.id))
        with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
            db.conn.execute("UPDATE trials SET uid = ? WHERE uid <> ?", (uids[-1], uids[-1]))


def test_a_visit_keeps_the_body_measures_of_its_day(db: Database) -> None:
    patient = db.create_patient(
        {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01", "mass_kg": 70}
    )
    first = db.create_session(patient.id, "X")
    db.update_patient(patient.id, {"mass_kg": 64})
    second = db.create_session(patient.id, "X")
    assert db.get_session(first).mass_kg == 70 and db.get_session(second).mass_kg == 64


def test_the_audit_log_stays_append_only_after_v3_and_takes_the_new_actions(
    db: Database,
) -> None:
    patient = db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"})
    session_id = db.create_session(patient.id, "X")
    db.record_audit("disclose", "patient", patient.id, {"kind": "report"})
    db.void_session(session_id, "wrong patient")
    assert db.get_session(session_id).is_voided
    db.restore_session(session_id)
    assert not db.get_session(session_id).is_voided
    actions = [e.action for e in db.audit_entries("session", session_id)]
    assert actions[:2] == ["restore", "void"]
    for statement in ("UPDATE audit_log SET user = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.conn.execute(statement)


def test_v3_refolds_the_search_columns_of_existing_patients(db_path: Path) -> None:
    """v2 folded 'ᾀ' and its capital apart (accents stripped before case folding)."""
    _v1_file(db_path)
    conn = sqlite3.connect(db_path)
    try:
        conn.execute(
            "UPDATE patients SET last_name = 'ᾀρα', search_text = ' stale ', sort_name = 'x' "
            "WHERE first_name = 'Ana'"
        )
        conn.commit()
    finally:
        conn.close()
    with Database.open(db_path, user="tester") as db:
        assert [p.first_name for p in db.search_patients("ἀι")] == ["Ana"]
        assert [p.first_name for p in db.search_patients("ἈΙ")] == ["Ana"]
