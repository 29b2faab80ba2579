"""Backups through the SQLite backup API: daily at start, rotation to ten, consistent copies."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import pytest

from clinic_app.storage import Database, list_backups, newest_backup
from clinic_app.storage.backups import KEEP, create_backup
from tests.storage.conftest import PatientFactory


def test_rotation_keeps_the_newest_ten(db: Database) -> None:
    made = [db.backup_now("manual") for _ in range(KEEP + 4)]
    kept = [b.path for b in db.list_backups()]
    assert len(kept) == KEEP == 10
    assert kept == list(reversed(made))[:KEEP]
    assert newest_backup(db.path) == made[-1]
    backup_rows = [e for e in db.audit_entries("database") if e.action == "backup"]
    assert len(backup_rows) == KEEP + 4 + 1  # plus the daily one at open


def test_a_backup_is_made_at_start_only_when_the_newest_is_a_day_old(db_path: Path) -> None:
    with Database.open(db_path):
        pass
    first = list_backups(db_path)
    assert [b.reason for b in first] == ["daily"]
    with Database.open(db_path):
        pass
    assert list_backups(db_path) == first  # less than a day old: no new one

    old = first[0].path
    old.rename(old.with_name(old.name.replace(old.name.split("-")[1], "20200101T000000000000Z")))
    with Database.open(db_path):
        pass
    assert [b.reason for b in list_backups(db_path)] == ["daily", "daily"]


def test_backup_on_start_can_be_switched_off(db_path: Path) -> None:
    with Database.open(db_path, backup_on_start=False):
        pass
    assert list_backups(db_path) == []


def test_backup_is_a_complete_standalone_copy(db: Database, make_patient: PatientFactory) -> None:
    for i in range(25):
        make_patient(first_name=f"N{i}")
    with db.transaction():  # an open write elsewhere does not leak into the copy
        make_patient(first_name="Uncommitted")
        other = sqlite3.connect(db.path)
        path = create_backup(other, db.path, "manual")
        other.close()
    assert path.parent == db.path.parent / "backups"
    assert not path.with_name(path.name + "-wal").exists()
    copy = sqlite3.connect(path)
    try:
        assert copy.execute("PRAGMA quick_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        names = {r[0] for r in copy.execute("SELECT first_name FROM patients")}
    finally:
        copy.close()
    assert len(names) == 25 and "Uncommitted" not in names


def test_no_backup_inside_an_open_transaction(db: Database) -> None:
    with db.transaction(), pytest.raises(RuntimeError, match="outside a transaction"):
        db.backup_now()


def test_copies_left_by_a_killed_backup_are_cleaned_up(db: Database) -> None:
    folder = db.path.parent / "backups"
    stale = folder / "dorsilab-20200101T000000000000Z-daily.sqlite3.partial"
    fresh = folder / "dorsilab-20990101T000000000000Z-daily.sqlite3.partial"
    for path in (stale, fresh):
        path.write_bytes(b"half a copy")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    db.backup_now()
    assert not stale.exists()
    assert fresh.exists()  # might belong to a backup running right now
    assert all(not b.path.name.endswith(".partial") for b in db.list_backups())


def test_clinic_and_demo_databases_in_one_folder_keep_separate_backups(tmp_path: Path) -> None:
    clinic, demo = tmp_path / "dorsilab.sqlite3", tmp_path / "dorsilab-demo.sqlite3"
    with Database.open(clinic) as db:
        db.backup_now()
    with Database.open(demo) as db:
        for _ in range(KEEP + 2):
            db.backup_now()
    assert len(list_backups(clinic)) == 2
    assert len(list_backups(demo)) == KEEP
    assert all(b.path.name.startswith("dorsilab-demo-") for b in list_backups(demo))
    assert not any(b.path.name.startswith("dorsilab-demo-") for b in list_backups(clinic))
