"""The whole-file check runs when it can matter, not on every open (issue 18 §1)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clinic_app.storage import Database, DatabaseCorruptError, integrity
from clinic_app.storage.migrations import MIGRATIONS, Migration
from drivers.base import PLATE_DTYPE
from tests.conftest import REPO_ROOT

_HOLD_OPEN = """
import sys, time
from pathlib import Path
from clinic_app.storage import Database
db = Database.open(Path(sys.argv[1]), backup_on_start=False)
print("open", flush=True)
time.sleep(60)
"""


def _with_recording(db_path: Path) -> int:
    with Database.open(db_path) as db:
        patient = db.create_patient({"first_name": "A", "last_name": "B",
                                     "birth_date": "1990-01-01"})  # fmt: skip
        trial = db.begin_trial(db.create_session(patient.id, ""), "balance", "left", "eo_firm")
        rng = np.random.default_rng(3)
        for _ in range(4):
            samples = np.zeros(2000, dtype=PLATE_DTYPE)
            samples["fz_n"] = rng.normal(size=2000)
            db.append_recording_chunk(trial, "plate", samples)
    return trial


def _damage_recordings(db_path: Path) -> None:
    """Damage pages only a recording read (or a whole-file check) would visit."""
    import sqlite3

    conn = sqlite3.connect(db_path)
    try:
        pages = sorted(p for n, p in conn.execute("SELECT name, pageno FROM dbstat")
                       if n == "recordings")  # fmt: skip
    finally:
        conn.close()
    with db_path.open("r+b") as handle:
        for page in pages[-3:]:
            handle.seek((page - 1) * 4096)
            handle.write(bytes([0xA5]) * 64)


def _killed_while_open(db_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", _HOLD_OPEN, str(db_path)], cwd=REPO_ROOT,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "open"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    child.stdout.close()


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every whole-file check made, by database path."""
    seen: list[Path] = []
    real = integrity.integrity_problems

    def counting(conn, path):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(conn, path)

    monkeypatch.setattr(integrity, "integrity_problems", counting)
    return seen


def test_a_clean_close_means_no_check_at_the_next_open(db_path: Path, checks: list) -> None:
    _with_recording(db_path)
    for _ in range(3):
        with Database.open(db_path) as db:
            assert db.checked_because == ""
    assert checks == []
    assert not [p for p in db_path.parent.iterdir() if ".open-" in p.name]  # markers gone


def test_an_unclean_shutdown_is_noticed_and_checked(db_path: Path, checks: list) -> None:
    _with_recording(db_path)
    _killed_while_open(db_path)
    with Database.open(db_path) as db:
        assert db.checked_because == "the database was not closed properly last time"
    assert checks == [db_path]
    with Database.open(db_path) as db:  # the stale marker went with that check
        assert db.checked_because == ""


def test_damage_left_by_a_crash_is_found_at_the_next_open(db_path: Path) -> None:
    trial = _with_recording(db_path)
    _damage_recordings(db_path)
    with Database.open(db_path, backup_on_start=False) as db:  # a clean close: not checked,
        assert db.checked_because == ""  # the damage waits for a read or the daily backup
        with pytest.raises(Exception, match="damaged"):
            db.load_recording(trial, "plate")
    _killed_while_open(db_path)
    with pytest.raises(DatabaseCorruptError, match="integrity check found damage"):
        Database.open(db_path, backup_on_start=False)


def test_a_process_still_running_is_not_an_unclean_shutdown(db_path: Path, checks: list) -> None:
    _with_recording(db_path)
    other = Database.open(db_path)  # this process holds it open: its marker is alive
    try:
        with Database.open(db_path) as db:
            assert db.checked_because == ""
    finally:
        other.close()
    assert checks == []


def test_a_migration_is_preceded_by_a_check(db_path: Path, checks: list) -> None:
    _with_recording(db_path)
    extra = Migration(MIGRATIONS[-1].version + 1, "a test step", lambda su: None)
    with Database.open(db_path, migrations=[*MIGRATIONS, extra]) as db:
        assert db.checked_because == f"before the migration to schema {extra.version}"
    assert checks == [db_path]


def test_a_requested_check_runs_once_and_reports_damage(db_path: Path, checks: list) -> None:
    _with_recording(db_path)
    integrity.request_check(db_path)
    with Database.open(db_path) as db:
        assert db.checked_because == "a check was requested"
    assert not integrity.check_flag(db_path).exists()
    _damage_recordings(db_path)
    integrity.request_check(db_path)
    with pytest.raises(DatabaseCorruptError):
        Database.open(db_path)
    assert integrity.check_flag(db_path).exists()  # still asked for until it passes
    with Database.open(db_path, integrity_check=False) as db:
        assert db.checked_because == ""


def test_process_alive_never_signals(tmp_path: Path) -> None:
    assert integrity.process_alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(30)
    assert not integrity.process_alive(child.pid)
    assert not integrity.process_alive(0) and not integrity.process_alive(-1)
