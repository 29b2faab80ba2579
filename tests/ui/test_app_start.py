"""Start-up: damaged database recovery, demo seeding, the selftest and the startup probe."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QMessageBox, QPushButton

from clinic_app.commands import AppContext
from clinic_app.storage import Database, NotADatabaseError
from clinic_app.storage.demo_seed import demo_record_numbers
from clinic_app.ui import app as gui_app
from clinic_app.ui import crash
from clinic_app.ui.selftest import GUI_STEPS, VERIFY_STEPS, run_modal, run_selftest
from tests.conftest import REPO_ROOT
from tests.ui.conftest import PATIENT


def _damage(db_path: Path) -> None:
    db = Database.open(db_path)
    db.create_patient(PATIENT)
    db.backup_now("test")
    db.close()
    db_path.write_bytes(b"this is not a database, it was overwritten" * 100)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)


def _press(box: QDialog, text: str, seen: list[str]) -> None:
    assert isinstance(box, QMessageBox)
    seen.append(box.text() + "\n" + box.informativeText())
    next(b for b in box.findChildren(QPushButton) if b.text() == text).click()


def test_damaged_database_offers_the_newest_backup(qtbot: Any, db_path: Path) -> None:
    _damage(db_path)
    seen: list[str] = []
    ctx = AppContext(db_path=db_path, demo=False)
    db = run_modal(
        lambda: gui_app.open_database(ctx),
        lambda box: _press(box, "Restore the newest backup", seen),
        QMessageBox,
    )
    assert isinstance(db, Database)
    try:
        assert [p.last_name for p in db.search_patients("")] == ["García"]
    finally:
        db.close()
    assert "newest backup" in seen[0]
    assert list(db_path.parent.glob("*.replaced-*"))  # the damaged file is kept aside


def test_damaged_database_quit_returns_none(qtbot: Any, db_path: Path) -> None:
    _damage(db_path)
    seen: list[str] = []
    ctx = AppContext(db_path=db_path, demo=False)
    result = run_modal(
        lambda: gui_app.open_database(ctx), lambda box: _press(box, "Quit", seen), QMessageBox
    )
    assert result is None
    assert seen


def test_non_interactive_open_raises_instead_of_asking(db_path: Path) -> None:
    _damage(db_path)
    with pytest.raises(NotADatabaseError):
        gui_app.open_database(AppContext(db_path=db_path, demo=False), interactive=False)


def test_demo_database_is_seeded(qtbot: Any, db_path: Path) -> None:
    db = gui_app.open_database(AppContext(db_path=db_path, demo=True), interactive=False)
    assert db is not None
    try:
        numbers = {p.record_number for p in db.search_patients("", limit=None)}
        assert set(demo_record_numbers()) <= numbers
    finally:
        db.close()


def test_selftest_passes_in_process(qtbot: Any, db_path: Path) -> None:
    out = io.StringIO()
    try:
        status = run_selftest(AppContext(db_path=db_path, demo=False), False, out=out)
    finally:
        crash.uninstall()
    text = out.getvalue()
    assert status == 0, text
    for step in [*GUI_STEPS, *VERIFY_STEPS]:
        assert f"[ ok ] {step.name}" in text
    assert not db_path.exists()  # without --db it never touches the given database


def test_selftest_reports_a_failing_step(
    qtbot: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_state: Any) -> str:
        raise AssertionError("the widget was missing")

    from clinic_app.ui import selftest

    # Only the broken step: the whole walk is test_selftest_passes_in_process's job.
    monkeypatch.setattr(selftest, "GUI_STEPS", selftest.GUI_STEPS[:1])
    monkeypatch.setattr(selftest, "VERIFY_STEPS", [selftest.Step("Broken", broken)])
    out = io.StringIO()
    try:
        status = run_selftest(AppContext(db_path=db_path, demo=False), False, out=out)
    finally:
        crash.uninstall()
    assert status == 1
    assert "[FAIL] Broken" in out.getvalue()
    assert "the widget was missing" in out.getvalue()


@pytest.mark.slow
def test_startup_probe_reports_milliseconds(db_path: Path) -> None:
    Database.open(db_path).close()
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "clinic_app.ui.startup_probe", "--db", str(db_path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    line = done.stdout.strip()
    assert line.startswith("startup_ms=")
    assert float(line.partition("=")[2]) > 0


@pytest.mark.parametrize(
    ("pyside", "python", "refused"),
    [("6.12.0", (3, 11), True), ("6.11.3", (3, 11), False), ("6.12.0", (3, 12), False)],
)
def test_known_bad_qt_binding_is_refused_in_words(
    pyside: str, python: tuple[int, int], refused: bool
) -> None:
    problem = gui_app.binding_problem(pyside, python)
    assert (problem is not None) is refused
    if problem:
        assert "PySide6-Essentials>=6.8,<6.12" in problem


@pytest.mark.qt_no_exception_capture
def test_selftest_fails_on_an_error_raised_in_a_slot(
    qtbot: Any, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import QTimer

    from clinic_app.ui import selftest

    def boom() -> None:
        raise ValueError("a slot broke")

    def step(_state: Any) -> str:
        QTimer.singleShot(0, boom)
        qtbot.wait(50)
        return "scheduled a broken slot"

    monkeypatch.setattr(
        selftest, "GUI_STEPS", [selftest.GUI_STEPS[0], selftest.Step("Boom", step)]
    )
    monkeypatch.setattr(selftest, "VERIFY_STEPS", [])
    out = io.StringIO()
    status = run_selftest(AppContext(db_path=db_path, demo=False), False, out=out)
    dialog = crash.current_dialog()
    if dialog is not None:
        dialog.close()
    assert status == 1
    assert "[FAIL] No unexpected errors: 1 raised, first builtins.ValueError" in out.getvalue()
