"""``migrate-to-server`` moves the demo clinic's file onto a server, byte for byte, and
leaves the file as it was; a second move, or clashing record numbers, write nothing."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinic_app.demo_data import ensure_demo_data
from clinic_app.storage import Database
from tests.backends import ServerClinic

TABLES = ("patients", "sessions", "trials", "recordings", "plans", "settings", "audit_log")


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _move(file: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", str(file), "migrate-to-server", url],
        capture_output=True,
        text=True,
        timeout=300,
    )


def _count(db: Database, table: str) -> int:
    return int(db._rows(f"SELECT COUNT(*) AS n FROM {table}")[0]["n"])


def _chunks(db: Database) -> dict[tuple[str, str, int], bytes]:
    rows = db._rows(
        "SELECT t.uid, r.device, r.chunk, r.data FROM recordings r "
        "JOIN trials t ON t.id = r.trial_id"
    )
    return {(r["uid"], r["device"], r["chunk"]): bytes(r["data"]) for r in rows}


@pytest.fixture
def demo_file(tmp_path: Path) -> Path:
    path = tmp_path / "room1.sqlite3"
    with Database.open(path, backup_on_start=False) as db:
        ensure_demo_data(db)
    return path


def test_the_demo_clinic_moves_whole_and_the_file_is_unchanged(
    demo_file: Path, server_clinic: ServerClinic
) -> None:
    before = _digest(demo_file)
    admin = server_clinic.add_login("admin", "it")
    server = server_clinic.open(login=admin)
    server_own = {t: _count(server, t) for t in TABLES}  # server init's schema rows
    moved = _move(demo_file, server_clinic.url_for(admin))
    assert moved.returncode == 0, moved.stderr
    assert "was not changed" in moved.stdout
    assert _digest(demo_file) == before
    with Database.open(demo_file, backup_on_start=False) as file:
        expected = {t: _count(file, t) for t in TABLES}
        file_chunks = _chunks(file)
        file_users = {e.user for e in file.audit_entries(limit=None)}
        file_history = {
            p.uid: [(v.session.uid, [t.uid for t in v.trials]) for v in file.patient_history(p.id)]
            for p in file.search_patients("", limit=None, include_deleted=True)
        }
    for table in TABLES:  # every row, plus the move's own audit row
        moved_rows = _count(server, table) - server_own[table]
        assert moved_rows == expected[table] + (table == "audit_log"), table
    assert _chunks(server) == file_chunks  # every recording, byte for byte
    assert file_users <= {e.user for e in server.audit_entries(limit=None)}  # names kept
    server_history = {
        p.uid: [(v.session.uid, [t.uid for t in v.trials]) for v in server.patient_history(p.id)]
        for p in server.search_patients("", limit=None, include_deleted=True)
    }
    assert server_history == file_history  # the same visits and trials, in order
    again = _move(demo_file, server_clinic.url_for(admin))
    assert again.returncode == 2 and "already on the server" in again.stderr
    assert _count(server, "patients") == expected["patients"]


def test_record_numbers_another_patient_has_on_the_server_stop_the_move(
    demo_file: Path, server_clinic: ServerClinic, tmp_path: Path
) -> None:
    room2 = tmp_path / "room2.sqlite3"
    with Database.open(room2, backup_on_start=False) as db:
        db.create_patient(
            {"first_name": "Eve", "last_name": "Other", "birth_date": "1980-01-01",
             "record_number": "DEMO-001"}
        )  # fmt: skip
    admin = server_clinic.add_login("admin", "it")
    assert _move(room2, server_clinic.url_for(admin)).returncode == 0
    refused = _move(demo_file, server_clinic.url_for(admin))
    assert refused.returncode == 2 and "DEMO-001" in refused.stderr
    assert "nothing was written" in refused.stderr
    server = server_clinic.open(login=admin)
    assert _count(server, "patients") == 1  # room 2's patient only


def test_a_url_or_a_file_that_is_not_one_is_refused_in_words(
    demo_file: Path, tmp_path: Path, server_clinic: Any
) -> None:
    not_url = _move(demo_file, str(tmp_path / "x.sqlite3"))
    assert not_url.returncode == 2 and "not a clinic server URL" in not_url.stderr
    missing = _move(tmp_path / "none.sqlite3", server_clinic.url)
    assert missing.returncode == 2 and "no DorsiLab database" in missing.stderr
    clinician = server_clinic.url_for(server_clinic.add_login("clinician"))
    not_admin = _move(demo_file, clinician)
    assert not_admin.returncode == 2 and "needs a DorsiLab admin login" in not_admin.stderr
