"""The command line's export, import and report on a SQLite file and on a clinic server:
a clinic's records leave one backend and arrive in the other unchanged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from clinic_app.demo_data import ensure_demo_data
from clinic_app.storage import Database
from tests.backends import ServerClinic


def _cli(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "clinic_app", "--db", db, *args],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


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


def _export(db: str, folder: Path) -> dict[str, Any]:
    done = _cli(db, "export", "--all", "--format", "json", "-o", str(folder))
    assert done.returncode == 0, done.stderr
    (path,) = folder.glob("*.json")
    return dict(json.loads(path.read_text()))


def _import(db: str, folder: Path) -> None:
    (path,) = folder.glob("*.json")
    done = _cli(db, "import", str(path))
    assert done.returncode == 0, done.stderr


def test_records_move_from_a_file_to_a_server_and_back_unchanged(
    server_clinic: ServerClinic, tmp_path: Path
) -> None:
    room = tmp_path / "room1.sqlite3"
    with Database.open(room, backup_on_start=False) as db:
        ensure_demo_data(db)
        measured = db.search_patients("durand")[0].id
    server = server_clinic.url_for(server_clinic.add_login("clinician", "dr"))
    from_file = _export(str(room), tmp_path / "a")
    _import(server, tmp_path / "a")  # file → server
    from_server = _export(server, tmp_path / "b")
    assert _portable(from_server) == _portable(from_file)
    back = tmp_path / "room2.sqlite3"
    _import(str(back), tmp_path / "b")  # server → a new file
    assert _portable(_export(str(back), tmp_path / "c")) == _portable(from_file)
    on_server = server_clinic.open("clinician")
    server_id = on_server.search_patients("durand")[0].id
    for db, patient_id in ((server, server_id), (str(room), measured)):
        out = tmp_path / f"report-{patient_id}-{len(db)}.pdf"
        report = _cli(db, "report", "--patient", str(patient_id), "-o", str(out))
        assert report.returncode == 0, report.stderr
        assert out.read_bytes().startswith(b"%PDF")
