"""Signing a command in to the clinic server, with a password prompt when libpq has none."""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

from clinic_app.errors import UserError

if TYPE_CHECKING:
    from clinic_app.storage.server_database import ServerDatabase


def connect_server(url: str) -> ServerDatabase:
    """Sign in to ``url``; ask for the password at the terminal if the server wants one.

    libpq's own sources come first (``PGPASSWORD``, ``.pgpass``, the URL); the prompt is
    only for an interactive terminal, and the password is never echoed, logged or kept
    beyond this process.

    Raises
    ------
    UserError
        The server cannot be reached, refused the sign-in, or has no current schema.
    """
    from clinic_app.storage import ServerUnavailableError, StorageError
    from clinic_app.storage.server_database import ServerDatabase

    try:
        return ServerDatabase.connect(url)
    except ServerUnavailableError as exc:
        if not (exc.needs_password and sys.stdin.isatty()):
            raise UserError(str(exc)) from None
    except StorageError as exc:
        raise UserError(str(exc)) from None
    password = getpass.getpass("Password for the clinic server: ")
    try:
        return ServerDatabase.connect(url, password=password)
    except StorageError as exc:
        raise UserError(str(exc)) from None
