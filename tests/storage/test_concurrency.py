"""Several threads on one Database, and two connections on one file, wait for each other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from clinic_app.storage import Database
from drivers.base import INCLINOMETER_DTYPE
from tests.storage.conftest import PatientFactory


@pytest.fixture
def db(any_db: Database) -> Database:
    """The thread test runs on a SQLite file and on a clinic server."""
    return any_db


def test_threads_share_one_database(db: Database, make_patient: PatientFactory) -> None:
    session = db.create_session(make_patient().id, "examiner")
    trial = db.begin_trial(session, "lunge", "left")
    errors: list[BaseException] = []

    def journal() -> None:  # a journaling timer beside the GUI thread
        try:
            for i in range(40):
                samples = np.zeros(50, dtype=INCLINOMETER_DTYPE)
                samples["seq"] = np.arange(50) + 50 * i
                db.append_recording_chunk(trial, "inclinometer", samples)
        except BaseException as exc:
            errors.append(exc)

    def register(offset: int) -> None:
        try:
            for i in range(20):
                make_patient(first_name=f"T{offset}-{i}")
                db.search_patients("t")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=journal)]
    threads += [threading.Thread(target=register, args=(k,)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert db.count_patients() == 61
    seq = db.load_recording(trial, "inclinometer")["seq"]
    assert np.array_equal(seq, np.arange(2000))
    assert db.quick_check() == ["ok"]


def test_a_second_connection_waits_for_the_first_writer(db_path: Path) -> None:
    first = Database.open(db_path)
    second = Database.open(db_path, backup_on_start=False)
    try:
        holding = threading.Event()

        def long_write() -> None:
            with first.transaction():
                first.create_patient(
                    {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
                )
                holding.set()
                time.sleep(0.4)

        writer = threading.Thread(target=long_write)
        writer.start()
        assert holding.wait(10)
        patient = second.create_patient(  # blocks on the lock, then succeeds
            {"first_name": "C", "last_name": "D", "birth_date": "1991-01-01"}
        )
        writer.join(10)
        assert {p.last_name for p in second.search_patients("")} == {"B", "D"}
        assert patient.id == 2
    finally:
        first.close()
        second.close()
