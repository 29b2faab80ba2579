"""The sign-in dialog of a workstation on a clinic server.

Each clinician signs in as their own PostgreSQL login, so that the server enforces their
role and writes their name in the audit log. The password goes to libpq only: it is not
logged, not stored and not shown; it stays in memory only to reconnect after the server
restarts.
"""

from __future__ import annotations

import getpass
import logging

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

from clinic_app.storage.errors import StorageError
from clinic_app.storage.server_database import ServerDatabase

log = logging.getLogger(__name__)


def login_in(url: str) -> str:
    """The login name the URL gives, else the operating-system user's."""
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


class SignInDialog(QDialog):
    """Ask for a login and password and sign in; ``db`` holds the connection after accept."""

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        from clinic_app.storage._postgres import where

        super().__init__(parent)
        self.url = url
        self.db: ServerDatabase | None = None
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to the clinic server")
        server = where(url).split("@")[-1]
        intro = QLabel(f"Clinic server: {server}")
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.login = QLineEdit(login_in(url))
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
        buttons.addButton("Quit", QDialogButtonBox.ButtonRole.RejectRole)
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
        """Connect as the typed login; on failure say why in words and stay open."""
        from psycopg.conninfo import make_conninfo

        login = self.login.text().strip()
        if not login:
            self._show("Type your login name.")
            return
        password = self.password.text() or None
        conninfo = make_conninfo(self.url, user=login)
        try:
            self.db = ServerDatabase.connect(conninfo, password=password)
        except StorageError as exc:
            log.info("sign-in to the clinic server refused")
            self._show(str(exc))
            self.password.setFocus()
            return
        finally:
            self.password.clear()  # not kept in the widget once used
        self.accept()

    def _show(self, message: str) -> None:
        self.error.setText(f"⚠ {message}")
        self.error.setVisible(True)
