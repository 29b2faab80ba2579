"""The patient database on a clinic server (PostgreSQL): :class:`ServerDatabase`.

The same record stores as the file (:class:`~clinic_app.storage.Database`), on a psycopg
connection signed in as the clinician's own PostgreSQL login. What a file does for
itself the server's administrator does here: the schema is created and upgraded by
``clinic-app --db URL server init`` (never by a workstation that opens it), backups are
the server's (``pg_dump``), and roles are enforced by the server (GRANTs and row-level
security), which this class reports in words.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from clinic_app.storage import _postgres
from clinic_app.storage.backups import BackupInfo
from clinic_app.storage.database import Database
from clinic_app.storage.errors import (
    DatabaseTooNewError,
    PermissionDeniedError,
    ServerUnavailableError,
    StorageError,
)
from clinic_app.storage.migrations import SCHEMA_VERSION
from clinic_app.storage.server_changes import Change, ChangeListener

log = logging.getLogger(__name__)

ROLES = ("admin", "clinician", "assistant")
"""The DorsiLab roles, from most to least allowed (group roles ``dorsilab_<role>``)."""


class ServerDatabase(Database):
    """An open connection to a clinic server. Use :meth:`connect`.

    Attributes
    ----------
    user : str
        The signed-in PostgreSQL login (``session_user``), also what the server writes to
        the audit log whatever a client sends.
    role : str or None
        ``admin``, ``clinician`` or ``assistant`` (the most allowed group the login is
        in); None if the login is in none of them.
    where : str
        ``user@host:port/database``, for messages (never the password).
    """

    def __init__(self, sql: _postgres.PostgresSql, where: str, local_dir: Path) -> None:
        # Not Database.__init__: there is no file connection. ``path`` names the
        # workstation's local folder for this server (logo copies, crash journal).
        import threading

        self.sql = self._pg = sql
        self.where = where
        self.path = local_dir / "clinic-server"
        self._lock = threading.RLock()
        self._closed = False
        self._backup_before_write = False
        self._marker = None
        self.checked_because = ""
        self.user = ""

    @classmethod
    def connect(
        cls, conninfo: str, *, password: str | None = None, local_dir: Path | None = None
    ) -> ServerDatabase:
        """Sign in to the clinic server at ``conninfo`` (a libpq URL or key=value string).

        ``password`` is one typed at a sign-in prompt; without it libpq's own sources
        apply (``PGPASSWORD``, ``.pgpass``, the URL). It is never logged or stored.

        Raises
        ------
        ServerUnavailableError
            The server cannot be reached, or refused the login or password.
        StorageError
            The server has no DorsiLab schema, or an older one (run ``server init``).
        DatabaseTooNewError
            The server's schema is newer than this DorsiLab.
        """
        from clinic_app import paths
        from clinic_app.storage.server.errors import PasswordRequiredError, ServerError

        where = _postgres.where(conninfo)
        try:
            conn = _postgres.connect(conninfo, password)
        except ServerError as exc:
            error = ServerUnavailableError(f"The clinic server cannot be used: {exc}.")
            error.needs_password = isinstance(exc, PasswordRequiredError)
            raise error from None
        sql = _postgres.PostgresSql(conn, conninfo, password)
        db = cls(sql, where, local_dir or paths.data_dir())
        try:
            db._check_schema()
            row = db._row("SELECT session_user AS login")
            db.user = str(row["login"]) if row else ""
            db.signed_in = db.user or None
            db.role = db._role()
        except BaseException:
            db.close()
            raise
        log.info("signed in to the clinic server (schema v%d)", db.schema_version)
        return db

    def reopen(self) -> ServerDatabase:
        """A second connection as the same login (the journal writes on its own)."""
        return ServerDatabase.connect(
            self._pg.conninfo, password=self._pg._password, local_dir=self.path.parent
        )

    def reopen_as_self(self, password: str) -> ServerDatabase:
        """A new connection as the signed-in login with ``password`` (proves it: unlock).

        Raises
        ------
        ServerUnavailableError
            The password was not accepted (or the server is out of reach).
        """
        return ServerDatabase.connect(
            self._pg.conninfo, password=password, local_dir=self.path.parent
        )

    def change_listener(self, on_change: Callable[[Change], None]) -> ChangeListener:
        """A listener (not yet started) for other connections' changes, signed in as we are."""
        return ChangeListener(self._pg.conninfo, self._pg._password, on_change)

    def _check_schema(self) -> None:
        from clinic_app.storage.server import schema
        from clinic_app.storage.server.errors import SchemaError

        try:
            with self._lock:
                schema.check_server_schema(self._pg._live(), expected=SCHEMA_VERSION)
        except SchemaError as exc:
            if "newer" in str(exc):
                raise DatabaseTooNewError(f"{exc}.", self.path, None) from None
            raise StorageError(f"{exc}.") from None

    def _role(self) -> str | None:
        for role in ROLES:
            row = self._row(
                "SELECT pg_has_role(session_user, :group, 'MEMBER') AS yes "
                "FROM pg_roles WHERE rolname = :group",
                {"group": f"dorsilab_{role}"},
            )
            if row is not None and row["yes"]:
                return role
        return None

    # ------------------------------------------------------------------ errors
    def _storage_error(self, exc: BaseException) -> Exception | None:
        import psycopg

        if isinstance(exc, psycopg.errors.InsufficientPrivilege):
            return PermissionDeniedError(
                f"The clinic server refused this for {self.user or 'this login'} "
                f"(role {self.role or 'none'}): your role may not do it. Ask a clinician or "
                "the administrator."
            )
        from clinic_app.storage.server.errors import ServerError

        if isinstance(exc, psycopg.OperationalError | ServerError):
            return unavailable(self.where, exc)
        return None

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        """Close the connection (safe to call twice)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._pg.close()
        log.info("signed out of the clinic server")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """As :meth:`StoreBase.transaction` (no file backup to make first)."""
        with super(Database, self).transaction():
            yield

    @property
    def schema_version(self) -> int:
        """The schema version of the server (0 if it has no DorsiLab schema)."""
        from clinic_app.storage.server import schema

        with self._lock:
            return schema.schema_version(self._pg._live())

    def backup_now(self, reason: str = "manual") -> Path:
        """Refused: a clinic server's backups are its administrator's (``pg_dump``)."""
        raise StorageError(
            "Backups of a clinic server are made on the server by its administrator "
            "(pg_dump), not by a workstation."
        )

    def list_backups(self) -> list[BackupInfo]:
        """None on a workstation (the server's backups are not visible from here)."""
        return []

    def quick_check(self) -> list[str]:
        """``["ok"]`` when the server answers (its storage checks are the server's own)."""
        self._rows("SELECT 1 AS ok")
        return ["ok"]


def unavailable(where: str, exc: BaseException) -> ServerUnavailableError:
    """The error in words for a connection lost while working (never the password)."""
    from clinic_app.storage.server.errors import ServerError

    if isinstance(exc, ServerError):  # reconnecting failed: its words say why
        return ServerUnavailableError(f"The clinic server cannot be used: {exc}.")
    return ServerUnavailableError(
        f"The connection to {where} was lost (is the server running and the network up?); "
        "what was being saved was not stored."
    )
