"""The log holds record ids, never a patient's name or birth date."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic_app import logging_setup
from clinic_app.storage import Database, ValidationError


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "logs").mkdir()
    path = logging_setup.configure(level=logging.DEBUG, log_dir=tmp_path / "logs")
    yield path
    for name in ("clinic_app", "drivers"):
        logger = logging.getLogger(name)
        for handler in [h for h in logger.handlers if getattr(h, "_dorsilab", False)]:
            logger.removeHandler(handler)
            handler.close()


def test_patient_work_leaves_no_name_in_the_log(tmp_path: Path, log_file: Path) -> None:
    with Database.open(tmp_path / "db.sqlite3") as db:
        patient = db.create_patient(
            {"first_name": "Zoë", "last_name": "Quattlebaum", "birth_date": "1987-06-05",
             "record_number": "QX-77812"}
        )  # fmt: skip
        db.update_patient(patient.id, {"last_name": "Quattlebaum-Okafor", "mass_kg": 61})
        assert db.search_patients("quattle")
        assert db.search_patients("zoë 1987")
        with pytest.raises(ValidationError):
            db.create_patient({"first_name": "Zoë", "last_name": "Quattlebaum", "birth_date": ""})
        with pytest.raises(ValidationError):
            db.create_patient(
                {"first_name": "Zoë", "last_name": "Q", "birth_date": "1987-06-05",
                 "record_number": "QX-77812"}
            )  # fmt: skip
        session = db.create_session(patient.id, "Dr Example")
        db.delete_patient(patient.id)
        db.restore_patient(patient.id)
        db.finish_session(session, "abandoned")
    text = log_file.read_text(encoding="utf-8")
    assert f"patient {patient.id} created" in text  # the log is really written
    assert f"patient {patient.id} updated" in text
    for secret in ("Zoë", "Zoe", "Quattlebaum", "Okafor", "1987", "QX-77812"):
        assert secret not in text, secret
