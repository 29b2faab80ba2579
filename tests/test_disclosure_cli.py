"""Disclosures from the command line: audited, owner-only, nothing on failure (issue 12 §§2, 7),
and databases created where a clinician expects (issue 12 §6, issue 15 §3)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from clinic_app.cli import main
from clinic_app.disclosure import ExportJob, export_to_folder
from clinic_app.errors import UserError
from clinic_app.storage import Database
from tests.conftest import REPO_ROOT
from tests.write_lock import write_locked


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo database made the way ``--demo`` makes it, with no backup yet."""
    from clinic_app.demo_data import ensure_demo_data

    path = tmp_path_factory.mktemp("demo") / "data" / "demo.sqlite3"
    with Database.open(path, backup_on_start=False) as db:
        ensure_demo_data(db)
    return path


def _disclosures(path: Path) -> list[dict[str, object]]:
    with Database.open(path, backup_on_start=False) as db:
        return [e.details for e in db.audit_entries("patient", 1) if e.action == "disclose"]


def test_report_and_handout_write_one_audit_row_each_with_no_name(
    demo_db: Path, tmp_path: Path
) -> None:
    with Database.open(demo_db, backup_on_start=False) as db:
        first = db.get_patient(1).first_name
    before = _disclosures(demo_db)
    report = tmp_path / f"{first}-report.pdf"  # a name a clinician might type
    assert main(["--db", str(demo_db), "report", "--patient", "1", "-o", str(report)]) == 0
    handout = tmp_path / "handout.pdf"
    args = ["--db", str(demo_db), "report", "--patient", "1", "--handout", "-o", str(handout)]
    assert main(args) == 0
    assert len(PdfReader(report).pages) >= 2 and len(PdfReader(handout).pages) >= 1
    assert report.stat().st_mode & 0o777 == handout.stat().st_mode & 0o777 == 0o600
    new = _disclosures(demo_db)[: len(_disclosures(demo_db)) - len(before)]
    session = new[0]["session_id"]
    assert new == [
        {"document": "handout", "session_id": session, "file": "handout.pdf"},
        {"document": "report", "session_id": session, "file": "[name]-report.pdf"},
    ]


def test_a_user_error_makes_no_daily_backup(demo_db: Path, tmp_path: Path) -> None:
    """``export --patient 999`` used to write a backup and an audit row before failing."""
    backups = demo_db.parent / "backups"
    assert not backups.exists()
    before = demo_db.read_bytes()
    for argv in (
        ["export", "--patient", "999", "--format", "json", "-o", str(tmp_path / "e")],
        ["report", "--patient", "999", "-o", str(tmp_path / "r.pdf")],
        ["import-recording", str(tmp_path / "none.csv"), "--patient", "1", "--side", "left",
         "--condition", "eo_firm"],
    ):  # fmt: skip
        assert main(["--db", str(demo_db), *argv]) == 2
    assert not backups.exists() and demo_db.read_bytes() == before
    assert list(tmp_path.iterdir()) == []


def test_an_export_that_cannot_be_audited_does_not_happen(demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Database.open(demo_db, backup_on_start=False, busy_timeout_s=0.3) as db:
        with write_locked(demo_db), pytest.raises(UserError, match="audit log"):
            export_to_folder(db, ExportJob("csv", (1,)), out)
        assert not out.exists()  # the file was written in staging, then taken away
        assert [e for e in db.audit_entries("patient", 1) if e.action == "export"] == []


def test_import_into_a_new_file_creates_the_database(demo_db: Path, tmp_path: Path) -> None:
    export = tmp_path / "export"
    argv = ["--db", str(demo_db), "export", "--patient", "1", "--format", "json", "-o"]
    assert main([*argv, str(export), "--no-recordings"]) == 0
    (document,) = export.iterdir()
    new = tmp_path / "clinic-b" / "new.sqlite3"
    new.parent.mkdir()
    assert main(["--db", str(new), "import", str(document)]) == 0
    with Database.open(new, backup_on_start=False) as db:
        assert db.count_patients() == 1 and db.list_sessions(1)
    assert new.stat().st_mode & 0o777 == 0o600

    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "dorsilab-export", "patients": [', encoding="utf-8")
    refused = tmp_path / "clinic-c" / "new.sqlite3"
    refused.parent.mkdir()
    assert main(["--db", str(refused), "import", str(bad)]) == 2
    assert list(refused.parent.iterdir()) == []  # no empty database left behind


def test_every_demo_command_works_on_a_fresh_machine(tmp_path: Path) -> None:
    """``clinic-app --demo report --patient 1`` without ever opening the app."""
    home = tmp_path / "fresh-home"
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app", "--demo", "report", "--patient", "1",
         "-o", str(tmp_path / "r.pdf")],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DORSILAB_HOME": str(home)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "r.pdf")
    assert len(PdfReader(tmp_path / "r.pdf").pages) >= 2
    with Database.open(home / "data" / "dorsilab-demo.sqlite3", backup_on_start=False) as db:
        assert db.count_patients() >= 3  # seeded as the app seeds it
