"""Locking a signed-in window after a while without use.

When someone signed in (a clinic server's login, or a database file with logins) and no
key, click or touch reached DorsiLab for ``idle_lock_minutes`` (a clinic setting; 0:
never), the window's contents are covered and a modal dialog asks for the signed-in
user's password. Recording goes on underneath (the timers keep running); only the screen
and the controls are locked. "Sign out" closes DorsiLab as its close button does, an
unfinished visit kept for resuming.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QWidget

from clinic_app.numbers import counted
from clinic_app.storage.errors import StorageError

log = logging.getLogger(__name__)

_INPUT = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}
CHECK_MS = 5000
"""How often the idle time is looked at (a lock is at most this late)."""

Verify = Callable[[str], None]
"""Check the signed-in user's password; raises StorageError in words when wrong."""


def verifier(db: Any) -> Verify:
    """How to check the signed-in user's password on ``db`` (a file or a server)."""
    if hasattr(db, "change_listener"):  # a clinic server: signing in again proves it

        def on_server(password: str) -> None:
            db.reopen_as_self(password).close()

        return on_server

    def on_file(password: str) -> None:
        db.check_local_password(db.signed_in or "", password)

    return on_file


class IdleLock(QObject):
    """Watch the application's input and lock ``window`` after ``minutes`` without any.

    Parameters
    ----------
    window : QWidget
        The main window (covered while locked; closed by "Sign out").
    user : str
        Who is signed in (named on the lock).
    minutes : int
        Idle time before locking; 0 never locks.
    verify : callable
        Checks the password typed to unlock.
    clock : callable
        Seconds, monotonic (tests pass their own).
    """

    locked = Signal()
    unlocked = Signal()

    def __init__(
        self,
        window: QWidget,
        user: str,
        minutes: int,
        verify: Verify,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(window)
        self.window = window
        self.user = user
        self.minutes = minutes
        self.verify = verify
        self.clock = clock
        self.last_input = clock()
        self.is_locked = False
        self.cover: QLabel | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)
        if minutes > 0:
            self._timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT and not self.is_locked:
            self.last_input = self.clock()
        elif event.type() == QEvent.Type.Resize and watched is self.window and self.cover:
            self.cover.setGeometry(self.window.rect())  # nothing shows past a resized cover
        return False

    def stop(self) -> None:
        """No more locking (the window is closing)."""
        self._timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    def check(self) -> None:
        """Lock if the idle time has passed (called by the timer)."""
        idle_s = self.clock() - self.last_input
        if self.minutes > 0 and not self.is_locked and idle_s >= self.minutes * 60:
            self.lock()

    def lock(self) -> None:
        """Cover the window and ask for the password until it is given or DorsiLab closes."""
        self.is_locked = True
        log.info("window locked after %d minutes without use", self.minutes)
        cover = QLabel("DorsiLab is locked.", self.window)
        cover.setObjectName("lockCover")
        cover.setAlignment(Qt.AlignmentFlag.AlignCenter)
        cover.setAutoFillBackground(True)
        cover.setGeometry(self.window.rect())
        cover.show()
        cover.raise_()
        self.cover = cover
        self.locked.emit()
        QTimer.singleShot(0, self._ask)

    def _ask(self) -> None:
        from clinic_app.ui.signin.dialog import SignInDialog

        def attempt(login: str, password: str | None) -> None:
            if login != self.user:
                raise StorageError(f"Only {self.user}, who is signed in, can unlock.")
            self.verify(password or "")

        words = (
            f"DorsiLab locked after {counted(self.minutes, 'minute')} without use. {self.user} is "
            "signed in: type the password to go on, or sign out (DorsiLab closes; an "
            "unfinished visit is kept for resuming)."
        )
        dialog = SignInDialog(words, self.user, attempt, self.window)
        dialog.setObjectName("idleLockDialog")
        dialog.setWindowTitle("DorsiLab is locked")
        dialog.login.setReadOnly(True)
        dialog.sign_in.setText("Unlock")
        dialog.quit.setText("Sign out")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            self.unlock()
        else:
            log.info("signed out at the idle lock")
            self.unlock()
            self.window.close()

    def unlock(self) -> None:
        """Uncover the window."""
        if self.cover is not None:
            self.cover.deleteLater()
            self.cover = None
        self.is_locked = False
        self.last_input = self.clock()
        self.unlocked.emit()
