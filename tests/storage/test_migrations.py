"""Numbered migrations: a test v2 keeps every row and leaves a backup; failures roll back."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from clinic_app.storage import MIGRATIONS, Database, Migration, list_backups


def _add_shoe_column(db: sqlite_utils.Database) -> None:
    db.table("patients").add_column("shoe_size_eu", float)
    db.execute("UPDATE patients SET shoe_size_eu = 42.0")


V2 = Migration(2, "shoe size", _add_shoe_column)


def _seed(db_path: Path, n: int) -> list[int]:
    with Database.open(db_path) as db, db.transaction():
        return [
            db.create_patient(
                {"first_name": f"P{i}", "last_name": "Müller", "birth_date": "1970-02-03"}
            ).id
            for i in range(n)
        ]


def test_v2_migration_keeps_every_row_and_leaves_a_backup(db_path: Path) -> None:
    ids = _seed(db_path, 120)
    before = {b.path for b in list_backups(db_path)}

    with Database.open(db_path, migrations=[*MIGRATIONS, V2]) as db:
        assert db.schema_version == 2
        rows = list(db.su.query("SELECT id, first_name, shoe_size_eu FROM patients ORDER BY id"))
        assert [r["id"] for r in rows] == ids
        assert [r["first_name"] for r in rows] == [f"P{i}" for i in range(120)]
        assert all(r["shoe_size_eu"] == 42.0 for r in rows)
        migrate = next(e for e in db.audit_entries("database") if e.action == "migrate")
        assert migrate.details["from_version"] == 1 and migrate.details["to_version"] == 2

    new = [b for b in list_backups(db_path) if b.path not in before]
    pre = [b for b in new if b.reason == "before-v2"]
    assert len(pre) == 1 and migrate.details["backup"] == pre[0].path.name
    with sqlite3.connect(pre[0].path) as backup:  # the backup is the v1 database, complete
        assert backup.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
        assert backup.execute("SELECT COUNT(*) FROM patients").fetchone()[0] == 120
    backup.close()


def test_opening_again_does_not_migrate_twice(db_path: Path) -> None:
    _seed(db_path, 3)
    with Database.open(db_path, migrations=[*MIGRATIONS, V2]):
        pass
    count = len(list_backups(db_path))
    with Database.open(db_path, migrations=[*MIGRATIONS, V2]) as db:
        assert db.schema_version == 2
        assert len([e for e in db.audit_entries("database") if e.action == "migrate"]) == 2
    assert len(list_backups(db_path)) == count


def test_a_failing_migration_rolls_back_completely(db_path: Path) -> None:
    _seed(db_path, 10)

    def broken(db: sqlite_utils.Database) -> None:
        db.table("patients").add_column("half_done", str)
        db.execute("UPDATE patients SET half_done = 'x'")
        raise RuntimeError("migration bug")

    with pytest.raises(RuntimeError, match="migration bug"):
        Database.open(db_path, migrations=[*MIGRATIONS, Migration(2, "broken", broken)])
    with Database.open(db_path) as db:
        assert db.schema_version == 1
        assert "half_done" not in db.su["patients"].columns_dict
        assert db.count_patients() == 10


def test_migration_numbers_must_not_have_gaps(db_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        Database.open(db_path, migrations=[*MIGRATIONS, Migration(3, "gap", _add_shoe_column)])
