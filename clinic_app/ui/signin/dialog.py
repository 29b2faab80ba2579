"""The sign-in dialog of a workstation on a clinic server.

Each clinician signs in as their own PostgreSQL login, so that the server enforces their
role and writes their name in the audit log. The password goes to libpq only: it is not
logged, not stored and not shown; it stays in memory only to reconnect after the server
restarts.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_app.storage import Database
from clinic_app.storage.errors import StorageError
from clinic_app.storage.server_database import ServerDatabase

log = logging.getLogger(__name__)


def login_in(url: str) -> str:
    """The login name the URL gives, else the operating-system user's."""
    user = None
    if url:
        from psycopg.conninfo import conninfo_to_dict

        try:
            user = conninfo_to_dict(url).get("user")
        except Exception:  # a malformed URL: the connection attempt says what is wrong
            user = None
    if user:
        return str(user)
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


Attempt = Callable[[str, str | None], None]
"""Sign in as (login, password or None); raises StorageError in words when refused."""


class SignInDialog(QDialog):
    """Ask for a login and password and sign in with ``attempt``; accepted once it worked.

    Parameters
    ----------
    where : str
        What is being signed in to, shown at the top (a server, or the database file).
    login : str
        The login name offered.
    attempt : callable
        ``attempt(login, password)``; raises :class:`StorageError` when refused.
    """

    def __init__(
        self, where: str, login: str, attempt: Attempt, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.attempt = attempt
        self.signed_in = ""
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to DorsiLab")
        intro = QLabel(where)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        intro.setWordWrap(True)
        self.login = QLineEdit(login)
        self.login.setObjectName("login")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = QLabel("")
        self.error.setObjectName("signInError")
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setWordWrap(True)
        self.error.setVisible(False)
        form = QFormLayout()
        form.addRow("Login", self.login)
        form.addRow("Password", self.password)
        buttons = QDialogButtonBox()
        self.sign_in = buttons.addButton("Sign in", QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in.setObjectName("signIn")
        self.quit = buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
        buttons.accepted.connect(self.try_sign_in)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        (self.password if self.login.text() else self.login).setFocus()
        self.setMinimumWidth(420)

    @Slot()
    def try_sign_in(self) -> None:
        """Sign in as the typed login; on failure say why in words and stay open."""
        login = self.login.text().strip()
        if not login:
            self._show("Type your login name.")
            return
        password = self.password.text() or None
        try:
            self.attempt(login, password)
        except StorageError as exc:
            log.info("sign-in refused")
            self._show(str(exc))
            self.password.setFocus()
            return
        finally:
            self.password.clear()  # not kept in the widget once used
        self.signed_in = login
        self.accept()

    def _show(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.setVisible(True)


def server_sign_in(url: str, parent: QWidget | None = None) -> ServerDatabase | None:
    """Ask who is working and sign in to the clinic server at ``url`` (None: quit)."""
    from psycopg.conninfo import make_conninfo

    from clinic_app.storage._postgres import where

    opened: list[ServerDatabase] = []

    def attempt(login: str, password: str | None) -> None:
        conninfo = make_conninfo(url, user=login)
        opened.append(ServerDatabase.connect(conninfo, password=password))

    dialog = SignInDialog(f"Sign in to {where(url)}.", login_in(url), attempt, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or not opened:
        return None
    return opened[-1]


def file_sign_in(db: Database, parent: QWidget | None = None) -> bool:
    """Ask who is working on this database file (it has logins); False: quit."""

    def attempt(login: str, password: str | None) -> None:
        db.sign_in_local(login, password or "")

    logins = {user.login for user in db.local_users() if user.enabled}
    offered = login_in("")  # the computer's user, when it is one of the file's logins
    dialog = SignInDialog(
        f"Database: {db.path.name}", offered if offered in logins else "", attempt, parent
    )
    return dialog.exec() == QDialog.DialogCode.Accepted
