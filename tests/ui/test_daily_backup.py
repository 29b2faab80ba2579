"""The daily backup runs beside the open window and reports damage in words (issue 18 §1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMainWindow, QMessageBox

from clinic_app.commands import AppContext
from clinic_app.storage import Database, DatabaseCorruptError, integrity
from clinic_app.storage.backups import list_backups
from clinic_app.ui import app as gui_app
from clinic_app.ui.maintenance import start_daily_backup
from tests.storage.test_integrity import _damage_recordings, _with_recording


def _visible_alert() -> QMessageBox | None:
    for widget in QApplication.topLevelWidgets():
        box = widget if isinstance(widget, QMessageBox) else None
        if box is not None and box.objectName() == "backupFoundDamage" and box.isVisible():
            return box
    return None


def _window(qtbot: Any) -> QMainWindow:
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    return window


def test_start_does_not_wait_for_the_backup(qtbot: Any, tmp_path: Path) -> None:
    db_path = tmp_path / "clinic.sqlite3"
    db = gui_app.open_database(AppContext(db_path=db_path, demo=False), interactive=False)
    assert db is not None
    try:
        assert list_backups(db_path) == []  # opening made none: it is due, and runs later
        window = _window(qtbot)
        job = start_daily_backup(window, db_path)
        qtbot.waitUntil(job.done.is_set, timeout=30_000)
        (backup,) = list_backups(db_path)
        assert job.path == backup.path and backup.reason == "daily"
        assert [e.details["reason"] for e in db.audit_entries("database")
                if e.action == "backup"] == ["daily"]  # fmt: skip
        again = start_daily_backup(window, db_path)  # not due any more: nothing to do
        assert again.wait(10) and again.path is None and len(list_backups(db_path)) == 1
    finally:
        db.close()


def test_damage_found_by_the_daily_backup_is_said_and_checked_at_the_next_start(
    qtbot: Any, tmp_path: Path
) -> None:
    db_path = tmp_path / "clinic.sqlite3"
    _with_recording(db_path)
    for old in list_backups(db_path):
        old.path.unlink()  # the backup is due
    _damage_recordings(db_path)
    with Database.open(db_path, backup_on_start=False):  # opens: not checked
        window = _window(qtbot)
        job = start_daily_backup(window, db_path)
        qtbot.waitUntil(lambda: _visible_alert() is not None, timeout=30_000)
        assert job.damaged and list_backups(db_path) == []  # the bad copy was not kept
        alert = _visible_alert()
        assert alert is not None and "close DorsiLab" in alert.text()
        alert.close()
    assert integrity.check_flag(db_path).exists()
    with pytest.raises(DatabaseCorruptError, match="integrity check found damage"):
        Database.open(db_path)
