"""What an output may replace, judged by content; files owner-only (issue 12 §2)."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from clinic_app import logging_setup
from clinic_app.errors import UserError
from clinic_app.output_files import Staging, make_folders, redact, shown, writing
from clinic_app.output_paths import (
    CSV,
    JSON,
    PDF,
    OutputRefused,
    check_folder,
    check_input,
    check_output,
)
from clinic_app.storage import Database


@pytest.fixture
def db(tmp_path: Path):
    database = Database.open(tmp_path / "data" / "clinic.sqlite3")
    database.backup_now("manual")
    yield database
    database.close()


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_its_journals_and_backups_are_never_outputs(db: Database) -> None:
    backup = db.list_backups()[0].path
    for path in (db.path, Path(f"{db.path}-wal"), Path(f"{db.path}-shm"), backup,
                 backup.parent / "new.pdf"):  # fmt: skip
        with pytest.raises(OutputRefused):
            check_output(path, PDF, db_path=db.path, force=True)
    # by identity too: a link or another spelling of the same file
    link = db.path.parent / "link.pdf"
    os.link(db.path, link)
    with pytest.raises(OutputRefused, match="patient database"):
        check_output(link, PDF, db_path=db.path, force=True)
    dotted = db.path.parent / "." / db.path.name
    with pytest.raises(OutputRefused, match="patient database"):
        check_output(dotted, PDF, db_path=db.path, force=True)
    with pytest.raises(OutputRefused, match="backups folder"):
        check_folder(backup.parent, db_path=db.path)


def test_any_other_sqlite_database_or_journal_is_refused_even_with_force(tmp_path: Path) -> None:
    other = tmp_path / "other-program.db"
    with Database.open(other):
        pass
    with pytest.raises(OutputRefused, match="is a database"):
        check_output(other, PDF, force=True)
    journal = tmp_path / "x.pdf"
    journal.write_bytes(b"\x37\x7f\x06\x82" + bytes(60))
    with pytest.raises(OutputRefused, match="database journal"):
        check_output(journal, PDF, force=True)


def test_existing_files_are_judged_by_content_not_by_name(tmp_path: Path) -> None:
    looks_pdf = tmp_path / "notes.txt"
    looks_pdf.write_bytes(b"%PDF-1.4\n%binary\n")
    assert check_output(looks_pdf, PDF).replaces  # a PDF, whatever its name
    named_pdf = tmp_path / "report.pdf"
    named_pdf.write_text('{"patients": []}', encoding="utf-8")
    with pytest.raises(OutputRefused, match="is a JSON file, not a PDF file"):
        check_output(named_pdf, PDF)
    assert check_output(named_pdf, PDF, force=True).replaces
    assert check_output(named_pdf, JSON).replaces
    with pytest.raises(OutputRefused, match="not a CSV file"):
        check_output(named_pdf, CSV)
    empty = tmp_path / "empty.csv"
    empty.touch()
    assert check_output(empty, PDF).replaces  # nothing to lose
    assert check_output(tmp_path / "new.pdf", PDF).replaces is False


def test_folders_devices_and_pipes_are_not_files(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    for path, words in ((tmp_path, "is a folder"), (fifo, "not a regular file"),
                        (Path("/dev/null"), "not a regular file")):  # fmt: skip
        with pytest.raises(OutputRefused, match=words):
            check_output(path, PDF, force=True)
    with pytest.raises(UserError, match="not a regular file"):
        check_input(fifo)  # never opened: reading it would wait for a writer
    with pytest.raises(OutputRefused, match="does not exist"):
        check_output(tmp_path / "missing" / "x.pdf", PDF)
    text = tmp_path / "file.txt"
    text.write_text("x")
    with pytest.raises(OutputRefused, match="not a folder"):
        check_output(text / "x.pdf", PDF)
    with pytest.raises(OutputRefused, match="is a file"):
        check_folder(text)
    with pytest.raises(OutputRefused, match="not a folder"):
        check_folder(text / "deeper")


def test_messages_stay_on_one_line_whatever_the_path_holds(tmp_path: Path) -> None:
    odd = tmp_path / "a\nb\rc\x1b.pdf"
    odd.mkdir()
    with pytest.raises(OutputRefused) as refused:
        check_output(odd, PDF)
    assert "\n" not in str(refused.value) and "\\n" in str(refused.value)
    assert shown("x\ty") == "x\\ty"


def test_staging_leaves_nothing_on_failure_and_private_files_on_success(tmp_path: Path) -> None:
    out = tmp_path / "exports" / "deep" / "x.csv"
    with pytest.raises(UserError, match="disk is full"), Staging(out.parent) as stage:
        staged = stage.path_for(out)
        staged.write_text("a,b\n")
        with writing(out):
            raise OSError(28, "No space left on device")
    assert not (tmp_path / "exports").exists()  # the folders made for it went too
    old_umask = os.umask(0o022)
    try:
        with Staging(out.parent) as stage:
            stage.path_for(out).write_text("a,b\n")
            assert stage.publish([out]) == [out]
    finally:
        os.umask(old_umask)
    assert out.read_text() == "a,b\n"
    assert _mode(out) == 0o600
    assert _mode(out.parent) == _mode(out.parent.parent) == 0o700
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.csv"]  # no staging left


def test_make_folders_is_owner_only_at_every_level(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        created = make_folders(tmp_path / "a" / "b" / "c")
    finally:
        os.umask(old_umask)
    assert [p.name for p in created] == ["a", "b", "c"]
    assert all(_mode(p) == 0o700 for p in created)


def test_names_in_audited_file_names_are_redacted() -> None:
    assert redact("Ana-GARCÍA report.pdf", ["Ana", "García"]) == "[name]-[name] report.pdf"
    assert redact("report.pdf", ["", "A"]) == "report.pdf"


def test_rotated_logs_are_owner_only(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)
    try:
        log_path = logging_setup.configure(level=logging.INFO, log_dir=tmp_path)
        handler = next(
            h for h in logging.getLogger("clinic_app").handlers if getattr(h, "_dorsilab", 0)
        )
        try:
            for _ in range(3):
                logging.getLogger("clinic_app.test").info("a line")
                handler.doRollover()  # type: ignore[attr-defined]
        finally:
            for name in ("clinic_app", "drivers"):
                logging.getLogger(name).removeHandler(handler)
            handler.close()
    finally:
        os.umask(old_umask)
    files = sorted(tmp_path.glob(log_path.name + "*"))
    assert len(files) == 4
    assert {p.name: _mode(p) for p in files} == dict.fromkeys((p.name for p in files), 0o600)
