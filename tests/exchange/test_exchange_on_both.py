"""The command line's export, import and report on a SQLite file and on a clinic server:
a clinic's records leave one backend and arrive in the other unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinic_app.demo_data import ensure_demo_data
from clinic_app.storage import Database
from tests.backends import ServerClinic


def _cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", db, *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def _where(db: Database, clinic: ServerClinic | None) -> str:
    if clinic is None:
        return str(db.path)
    return clinic.url_for(db.user)


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Database, Any]:
    """An empty database to import into, on each backend (a clinician's on a server)."""
    if request.param == "sqlite":
        db = Database.open(tmp_path / "target.sqlite3", user="room2")
        request.addfinalizer(db.close)
        return db, None
    clinic: ServerClinic = request.getfixturevalue("server_clinic")
    return clinic.open("clinician"), clinic


def _portable(document: dict[str, Any]) -> Any:
    """The export without what differs by design between databases (ids, times of export)."""
    drop = {"exported_at", "id", "patient_id", "session_id", "row_version", "updated_by"}

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k not in drop}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return strip(document)


def test_records_move_between_a_file_and_a_server_unchanged(
    any_db: Database, target: tuple[Database, Any], tmp_path: Path, request: Any
) -> None:
    source_clinic = request.getfixturevalue("server_clinic") if any_db.signed_in else None
    ensure_demo_data(any_db)
    source = _where(any_db, source_clinic)
    exported = _cli(source, "export", "--all", "--format", "json", "-o", str(tmp_path / "out"))
    assert exported.returncode == 0, exported.stderr
    (document_path,) = (tmp_path / "out").glob("*.json")
    target_db, target_clinic = target
    imported = _cli(_where(target_db, target_clinic), "import", str(document_path))
    assert imported.returncode == 0, imported.stderr
    again = _cli(
        _where(target_db, target_clinic), "export", "--all", "--format", "json",
        "-o", str(tmp_path / "back"),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    (back_path,) = (tmp_path / "back").glob("*.json")
    first, second = (json.loads(p.read_text()) for p in (document_path, back_path))
    assert _portable(second) == _portable(first)
    assert target_db.count_patients() == any_db.count_patients() > 0
    measured = next(
        p for p in any_db.search_patients("", limit=None)
        if any(v.counts for v in any_db.patient_history(p.id))
    )  # fmt: skip
    report = _cli(source, "report", "--patient", str(measured.id), "-o", str(tmp_path / "r.pdf"))
    assert report.returncode == 0, report.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
