"""Fixtures for the storage tests: a real SQLite file in a temporary folder."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from clinic_app.storage import Database, Patient


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """Where the test database lives (its backups go to ``backups/`` beside it)."""
    return tmp_path / "clinic" / "dorsilab.sqlite3"


@pytest.fixture
def db(db_path: Path) -> Iterator[Database]:
    """An open, empty database (current schema), closed after the test."""
    database = Database.open(db_path, user="tester")
    yield database
    database.close()


PatientFactory = Callable[..., Patient]


@pytest.fixture
def make_patient(db: Database) -> PatientFactory:
    """Create a patient with sensible defaults; keyword arguments override fields."""

    def make(**fields: Any) -> Patient:
        values: dict[str, Any] = {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "birth_date": "1985-12-10",
        }
        values.update(fields)
        return db.create_patient(values)

    return make
