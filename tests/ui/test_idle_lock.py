"""A signed-in window locks after the clinic's idle time, covers what it showed, and
opens again only with the signed-in user's password ("Sign out" closes it)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QMainWindow

from clinic_app.storage import Database
from clinic_app.ui.selftest_support import run_modal
from clinic_app.ui.signin.dialog import SignInDialog
from clinic_app.ui.signin.idle_lock import IdleLock, verifier

PASSWORD = "correct horse 42"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def signed_in(db: Database) -> Database:
    db.add_local_user("dr.lopez", "clinician", PASSWORD)
    db.sign_in_local("dr.lopez", PASSWORD)
    return db


def _window(qtbot: Any) -> QMainWindow:
    window = QMainWindow()
    window.setCentralWidget(QLabel("García, Ana — 1990-04-17"))
    window.resize(800, 500)
    qtbot.addWidget(window)
    window.show()
    return window


def test_input_keeps_it_open_and_idle_time_locks_it(qtbot: Any, signed_in: Database) -> None:
    clock = Clock()
    window = _window(qtbot)
    lock = IdleLock(window, "dr.lopez", 10, verifier(signed_in), clock=clock)
    clock.now += 9 * 60
    move = QMouseEvent(
        QEvent.Type.MouseMove, QPointF(5, 5), QPointF(5, 5), Qt.MouseButton.NoButton,
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(window.centralWidget(), move)
    clock.now += 9 * 60  # 18 minutes since start, 9 since the mouse moved
    lock.check()
    assert not lock.is_locked
    clock.now += 60
    seen: list[str] = []

    def answer(box: QDialog) -> None:
        assert isinstance(box, SignInDialog) and box.objectName() == "idleLockDialog"
        assert lock.cover is not None and lock.cover.isVisible()  # the records are covered
        assert lock.cover.geometry() == window.rect()
        assert "after 10 minutes without use" in box.findChild(QLabel).text()
        window.resize(900, 600)  # the cover follows: nothing shows past it
        QApplication.processEvents()
        assert lock.cover.geometry() == window.rect()
        box.password.setText("wrong one")
        box.sign_in.click()
        seen.append(box.error.text())
        assert box.isVisible()
        box.password.setText(PASSWORD)
        box.sign_in.click()

    run_modal(lambda: (lock.check(), qtbot.waitUntil(lambda: not lock.is_locked)), answer)
    assert "not accepted" in seen[0]
    assert lock.cover is None and window.isVisible()
    lock.stop()


def test_sign_out_at_the_lock_closes_the_window(qtbot: Any, signed_in: Database) -> None:
    clock = Clock()
    window = _window(qtbot)
    lock = IdleLock(window, "dr.lopez", 1, verifier(signed_in), clock=clock)
    clock.now += 61

    def sign_out(box: QDialog) -> None:
        assert isinstance(box, SignInDialog)
        box.quit.click()

    run_modal(lambda: (lock.check(), qtbot.waitUntil(lambda: not lock.is_locked)), sign_out)
    assert not window.isVisible()
    lock.stop()


def test_zero_minutes_never_locks(qtbot: Any, signed_in: Database) -> None:
    clock = Clock()
    lock = IdleLock(_window(qtbot), "dr.lopez", 0, verifier(signed_in), clock=clock)
    clock.now += 24 * 3600
    lock.check()
    assert not lock.is_locked
    lock.stop()


def test_a_file_with_logins_asks_who_is_working_before_the_window(
    qtbot: Any, db_path: Any
) -> None:
    from clinic_app.commands import AppContext
    from clinic_app.ui.app import open_database

    with Database.open(db_path) as setup:
        setup.add_local_user("dr.lopez", "clinician", PASSWORD)
    seen: list[str] = []

    def sign_in(box: QDialog) -> None:
        assert isinstance(box, SignInDialog)
        box.login.setText("dr.lopez")
        box.password.setText("wrong")
        box.sign_in.click()
        seen.append(box.error.text())
        box.password.setText(PASSWORD)
        box.sign_in.click()

    ctx = AppContext(db_path=db_path, demo=False)
    opened = run_modal(lambda: open_database(ctx), sign_in)
    assert isinstance(opened, Database)
    try:
        assert "not accepted" in seen[0]
        assert (opened.signed_in, opened.role, opened.user) == (
            "dr.lopez",
            "clinician",
            "dr.lopez",
        )
    finally:
        opened.close()
