"""Opening the database: configuration, file modes, damaged and foreign files, restore."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from clinic_app.storage import (
    Database,
    DatabaseCorruptError,
    DatabaseTooNewError,
    ForeignDatabaseError,
    NotADatabaseError,
    StorageError,
    list_backups,
    restore_backup,
)
from clinic_app.storage.migrations import SCHEMA_VERSION
from tests.storage.conftest import PatientFactory


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_connection_is_configured_for_durability(db: Database) -> None:
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    assert db.quick_check() == ["ok"]
    assert db.schema_version == SCHEMA_VERSION


def test_schema_has_the_tables_of_the_data_model(db: Database) -> None:
    tables = set(db.su.table_names())
    assert {
        "patients", "sessions", "trials", "recordings", "plans", "settings", "audit_log",
        "schema_version",
    } <= tables  # fmt: skip
    patient_columns = set(db.su["patients"].columns_dict)
    assert {
        "id", "record_number", "first_name", "last_name", "birth_date", "sex", "height_cm",
        "mass_kg", "dominant_leg", "involved_side", "weekly_km", "years_running", "notes",
        "created_at", "updated_at", "deleted_at",
    } <= patient_columns  # fmt: skip
    indexes = {index.name for index in db.su.table("sessions").indexes}
    assert "idx_sessions_patient_date" in indexes


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        db.conn.execute(
            "INSERT INTO sessions (patient_id, started_at, created_at, updated_at) "
            "VALUES (999, 'x', 'x', 'x')"
        )


def test_database_wal_shm_and_backups_are_owner_only(
    db: Database, make_patient: PatientFactory
) -> None:
    make_patient()
    db.backup_now()
    wal = db.path.with_name(db.path.name + "-wal")
    shm = db.path.with_name(db.path.name + "-shm")
    assert wal.exists() and shm.exists()
    for path in (db.path, wal, shm, *(b.path for b in db.list_backups())):
        assert _mode(path) == 0o600, path
    assert _mode(db.path.parent / "backups") == 0o700


def test_files_are_private_even_with_a_permissive_umask(tmp_path: Path) -> None:
    old = os.umask(0o002)
    try:
        with Database.open(tmp_path / "open.sqlite3") as db:
            db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"})
            files = [db.path, *(b.path for b in db.list_backups())]
            files += [db.path.with_name(db.path.name + s) for s in ("-wal", "-shm")]
            assert all(_mode(p) == 0o600 for p in files if p.exists())
    finally:
        os.umask(old)


def test_reopening_keeps_the_data(db_path: Path) -> None:
    with Database.open(db_path) as db:
        patient_id = db.create_patient(
            {"first_name": "Mia", "last_name": "Berg", "birth_date": "1990-05-01"}
        ).id
    with Database.open(db_path) as db:
        assert db.get_patient(patient_id).last_name == "Berg"


def _damage(path: Path) -> None:
    """Overwrite every page after the first two with bytes that are not a b-tree page."""
    size = path.stat().st_size
    page = 4096
    assert size > 6 * page, "test database too small to damage meaningfully"
    with path.open("r+b") as handle:
        for offset in range(2 * page, size, page):
            handle.seek(offset)
            handle.write(bytes([0xA5]) * 512)


def _populated(db_path: Path, n: int = 400) -> None:
    """A database of ``n`` patients with a backup of exactly that content."""
    with Database.open(db_path) as db:
        with db.transaction():
            for i in range(n):
                db.create_patient(
                    {
                        "first_name": f"Runner{i}",
                        "last_name": "Testperson",
                        "birth_date": "1980-01-01",
                        "notes": "x" * 200,
                    }
                )
        db.backup_now("manual")


def test_a_damaged_file_is_reported_in_words_with_the_newest_backup(db_path: Path) -> None:
    _populated(db_path)
    backup = list_backups(db_path)[0].path
    _damage(db_path)
    with pytest.raises(DatabaseCorruptError) as caught:
        Database.open(db_path)
    message = str(caught.value)
    assert "damaged" in message and "backup" in message and backup.name in message
    assert caught.value.newest_backup == backup
    assert caught.value.db_path == db_path


def test_restore_backup_brings_the_data_back_and_keeps_the_damaged_file(db_path: Path) -> None:
    _populated(db_path, n=400)
    with pytest.raises(DatabaseCorruptError):
        _damage(db_path)
        Database.open(db_path)
    backup = list_backups(db_path)[0].path
    aside = restore_backup(db_path, backup)
    assert aside is not None and aside.exists() and _mode(aside) == 0o600
    assert _mode(db_path) == 0o600
    with Database.open(db_path) as db:
        assert db.count_patients() == 400
        assert db.quick_check() == ["ok"]
        restore_rows = [e for e in db.audit_entries("database") if e.action == "restore"]
        assert restore_rows and restore_rows[0].details == {"backup": backup.name}


def test_restore_refuses_a_damaged_backup_and_touches_nothing(db_path: Path) -> None:
    _populated(db_path)
    bad = db_path.parent / "backups" / "not-a-backup.sqlite3"
    bad.write_bytes(b"\x00" * 10000)
    before = db_path.read_bytes()
    with pytest.raises(Exception, match="backup"):
        restore_backup(db_path, bad)
    assert db_path.read_bytes() == before


def test_a_file_that_is_not_sqlite_is_reported_in_words(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite3"
    path.write_text("Patient list exported from a spreadsheet\n" * 50, encoding="utf-8")
    with pytest.raises(NotADatabaseError) as caught:
        Database.open(path)
    assert "not a DorsiLab database" in str(caught.value)
    assert path.read_text(encoding="utf-8").startswith("Patient list")  # untouched


def test_a_damaged_header_is_reported_in_words(db_path: Path) -> None:
    _populated(db_path, n=50)
    with db_path.open("r+b") as handle:  # keep the magic string, break the page size
        handle.seek(16)
        handle.write(b"\x00\x03")
    with pytest.raises(DatabaseCorruptError) as caught:
        Database.open(db_path)
    assert "backup" in str(caught.value)
    assert not isinstance(caught.value, sqlite3.Error)


def test_a_truncated_file_is_reported_in_words(db_path: Path) -> None:
    _populated(db_path)
    with db_path.open("r+b") as handle:
        handle.truncate(db_path.stat().st_size // 3)
    with pytest.raises(DatabaseCorruptError):
        Database.open(db_path)


def test_a_database_from_a_newer_version_is_refused_untouched(db_path: Path) -> None:
    with Database.open(db_path) as db:
        db.conn.execute("INSERT INTO schema_version VALUES (99, '2030-01-01T00:00:00Z')")
    with pytest.raises(DatabaseTooNewError, match="newer version of DorsiLab"):
        Database.open(db_path)


def test_close_is_idempotent_and_checkpoints(db_path: Path) -> None:
    db = Database.open(db_path)
    db.create_patient({"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"})
    db.close()
    db.close()
    wal = db_path.with_name(db_path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def _recording_pages(db_path: Path) -> list[int]:
    """Page numbers (1-based) that hold only recordings data, via the dbstat table."""
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute("SELECT name, pageno FROM dbstat").fetchall()
    finally:
        conn.close()
    return sorted(page for name, page in rows if name == "recordings")


def _big_recording(db_path: Path) -> None:
    import numpy as np

    from drivers.base import PLATE_DTYPE

    with Database.open(db_path) as db:
        patient = db.create_patient(
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
        )
        session = db.create_session(patient.id, "examiner")
        trial = db.begin_trial(session, "balance", "left", "eo_firm")
        rng = np.random.default_rng(1)
        for _ in range(4):
            samples = np.zeros(2000, dtype=PLATE_DTYPE)
            samples["fz_n"] = rng.normal(size=2000)
            db.append_recording_chunk(trial, "plate", samples)


def test_large_files_check_every_table_but_recordings_on_open(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_app.storage import integrity

    monkeypatch.setattr(integrity, "FULL_CHECK_MAX_BYTES", 0)  # treat the file as large
    _populated(db_path)
    _damage(db_path)  # patients pages: still found on open
    with pytest.raises(DatabaseCorruptError):
        Database.open(db_path)


def test_damaged_recordings_are_found_by_the_backup_check_and_on_read(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from clinic_app.storage import StorageError, integrity

    monkeypatch.setattr(integrity, "FULL_CHECK_MAX_BYTES", 0)
    _big_recording(db_path)
    pages = _recording_pages(db_path)
    with db_path.open("r+b") as handle:
        for page in pages[-3:]:
            handle.seek((page - 1) * 4096)
            handle.write(bytes([0xA5]) * 64)
    before = list_backups(db_path)
    with Database.open(db_path, backup_on_start=False) as db:  # opens: recordings skipped
        with pytest.raises(StorageError, match="damaged"):
            db.load_recording(1, "plate")
        with pytest.raises(Exception, match="integrity check"):
            db.backup_now()
    assert list_backups(db_path) == before  # the damaged copy was not kept
    for old in before:  # make the daily backup due: it finds the damage at start
        old.path.unlink()
    with pytest.raises(DatabaseCorruptError, match="backup copy of it failed"):
        Database.open(db_path)


def test_another_programs_sqlite_file_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    conn.commit()
    conn.close()
    with pytest.raises(ForeignDatabaseError, match="another program"):
        Database.open(path)
    conn = sqlite3.connect(path)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    assert tables == {"invoices"} and mode == "delete"


def test_unusable_paths_are_reported_in_words(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a folder"):
        Database.open(tmp_path)
    blocker = tmp_path / "file.txt"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(StorageError, match="cannot be created"):
        Database.open(blocker / "db.sqlite3")
