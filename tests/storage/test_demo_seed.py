"""The fictional demo patients."""

from __future__ import annotations

import pytest

from clinic_app.storage import Database
from clinic_app.storage.demo_seed import demo_record_numbers, seed_demo_patients


@pytest.fixture
def db(any_db: Database) -> Database:
    """Seeded on a SQLite file and on a clinic server (the non-ASCII names, the search)."""
    return any_db


def test_demo_patients_are_varied_non_ascii_and_seeded_once(db: Database) -> None:
    ids = seed_demo_patients(db)
    assert len(ids) >= 12 and len(set(ids)) == len(ids)
    assert seed_demo_patients(db) == ids  # idempotent
    assert db.count_patients() == len(ids)
    patients = [db.get_patient(i) for i in ids]
    assert [p.record_number for p in patients] == demo_record_numbers()
    names = " ".join(p.full_name for p in patients)
    for letter in ("é", "ñ", "ü", "王"):
        assert letter in names
    assert {p.sex for p in patients} >= {"female", "male", "other"}
    assert {p.involved_side for p in patients} == {"left", "right", "both", "none"}
    ages = [p.age_years() for p in patients]
    assert min(ages) < 20 and max(ages) > 60
    assert db.search_patients("muller")  # folded search finds the demo's Müller
