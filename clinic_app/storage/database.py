"""Open, check, migrate, back up and close the patient database.

:class:`Database` is the one object the rest of DorsiLab uses for stored data. It combines
the record stores (patients, sessions and trials, recordings, plans, settings, audit log)
on one ``sqlite3`` connection configured for durability, wrapped by
:class:`sqlite_utils.Database` (``db.su``):

* WAL journal, ``synchronous=FULL`` (a committed transaction survives power loss),
  foreign keys on, a busy timeout so two windows wait for each other rather than fail;
* ``PRAGMA quick_check`` when it can matter (after an unclean shutdown, before a
  migration, when asked; :mod:`clinic_app.storage.integrity`), not on every open: a
  damaged file raises :class:`DatabaseCorruptError` saying so in words, with the newest
  backup on ``error.newest_backup`` for :func:`~clinic_app.storage.backups.restore_backup`;
* numbered migrations, each preceded by a backup (:mod:`clinic_app.storage.migrations`);
* a backup at start when the newest is older than a day (:mod:`clinic_app.storage.backups`);
* owner-only files (mode 0600) for the database, its ``-wal``/``-shm`` and backups.
"""

from __future__ import annotations

import contextlib
import getpass
import logging
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType

from clinic_app.storage import backups, integrity
from clinic_app.storage._files import make_private, private_umask
from clinic_app.storage._sql import SqliteSql
from clinic_app.storage._sqlite_utils import sqlite_utils
from clinic_app.storage.errors import (
    BackupCheckError,
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseTooNewError,
    ForeignDatabaseError,
    NotADatabaseError,
    StorageError,
)
from clinic_app.storage.imported import ImportStore
from clinic_app.storage.local_users import LocalUserStore
from clinic_app.storage.migrations import (
    MIGRATIONS,
    Migration,
    current_version,
    has_user_tables,
    run_migrations,
)
from clinic_app.storage.patients import PatientStore
from clinic_app.storage.plans import PlanStore
from clinic_app.storage.sessions import SessionStore
from clinic_app.storage.settings import SettingsStore

log = logging.getLogger(__name__)

DEFAULT_BUSY_TIMEOUT_S = 5.0
WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024


class Database(PatientStore, SessionStore, PlanStore, SettingsStore, ImportStore, LocalUserStore):
    """The open patient database. Use :meth:`open`; close with :meth:`close` or ``with``.

    Attributes
    ----------
    path : Path
        The database file.
    conn : sqlite3.Connection
        The configured connection (autocommit mode; use :meth:`transaction` to group writes).
    su : sqlite_utils.Database
        sqlite-utils wrapper of ``conn`` for introspection and migrations.
    user : str
        Who is working (written to the audit log); the OS user unless set.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, user: str) -> None:
        self.conn = conn
        self.path = path
        self.user = user
        self.su = sqlite_utils.Database(conn, execute_plugins=False)
        self.sql = SqliteSql(conn)
        self._lock = threading.RLock()
        self._closed = False
        self._backup_before_write = False
        self._marker: integrity.OpenMarker | None = None
        self.checked_because = ""
        """Why the whole file was checked at open ("" if it was not)."""
        self._read_only = False

    # ------------------------------------------------------------------ lifecycle
    @classmethod
    def open(
        cls,
        path: Path,
        *,
        backup_on_start: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
        user: str | None = None,
        busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S,
        backup_before_first_write: bool = False,
        integrity_check: bool | None = None,
    ) -> Database:
        """Open (creating if needed), check and migrate the database at ``path``.

        Parameters
        ----------
        path : Path
            The SQLite file; its folder is created (mode 0700) if missing.
        backup_on_start : bool
            Make a backup if the newest one is older than a day.
        migrations : sequence of Migration
            The schema steps to apply (tests pass extra ones).
        user : str, optional
            Name for the audit log (default: the operating-system user).
        busy_timeout_s : float
            How long a write waits for another program's lock, in seconds.
        backup_before_first_write : bool
            Make the daily backup (if due) just before the first write transaction
            instead of at open, so a command that ends in a user error before writing
            leaves no backup behind (the command line uses this).
        integrity_check : bool, optional
            True: check the whole file now. None (default): check only when it can
            matter (:mod:`clinic_app.storage.integrity`). False: never at this open.

        Raises
        ------
        NotADatabaseError
            The file is not a SQLite database.
        DatabaseCorruptError
            The integrity check failed (``newest_backup`` names a backup to restore).
        ForeignDatabaseError
            The file is another program's SQLite database.
        DatabaseTooNewError
            The file was written by a newer DorsiLab.
        DatabaseBusyError
            Another program kept the database locked.
        StorageError
            The file or folder cannot be opened (permissions, disk).
        """
        path = Path(path).expanduser().absolute()
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StorageError(
                f"The database folder {path.parent} cannot be created ({exc.strerror})."
            ) from exc
        _check_header(path)
        reason = "" if integrity_check is False else integrity.reason_to_check(path)
        if integrity_check:
            reason = reason or "a check was asked for"
        with private_umask():
            try:
                conn = sqlite3.connect(
                    path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
                )
            except sqlite3.Error as exc:
                raise StorageError(f"The database file {path} cannot be opened ({exc}).") from exc
            try:
                _configure(conn, path, busy_timeout_s)
            except BaseException:
                conn.close()
                raise
        db = cls(conn, path, user if user is not None else _os_user())
        db._backup_before_write = backup_before_first_write and not backup_on_start
        db._marker = integrity.OpenMarker(path)  # from now on a crash is noticed next time
        try:
            try:
                db._prepare(migrations, backup_on_start, reason, integrity_check is not False)
            except sqlite3.DatabaseError as exc:
                _raise_open_error(exc, path)
        except BaseException:
            db.close()
            raise
        log.info("database opened (schema v%d)", db.schema_version)
        return db

    @classmethod
    def open_reader(
        cls, path: Path, *, busy_timeout_s: float = DEFAULT_BUSY_TIMEOUT_S
    ) -> Database:
        """A read-only connection to a database that a connection of this program opened
        with :meth:`open` and still holds (an export's worker processes read through it).

        Nothing is checked, migrated, backed up or marked, and nothing can be written: the
        file was checked by that :meth:`open`, and writes fail (``mode=ro``). A reader never
        removes the WAL when it closes, so it can never be the connection that does so
        under another's locks.

        Raises
        ------
        StorageError
            The file cannot be opened.
        """
        path = Path(path).expanduser().absolute()
        try:
            conn = sqlite3.connect(
                path.as_uri() + "?mode=ro",
                uri=True,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            conn.execute("PRAGMA schema_version").fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"The database file {path} cannot be read ({exc}).") from exc
        reader = cls(conn, path, _os_user())
        reader._read_only = True
        return reader

    def _prepare(
        self,
        migrations: Sequence[Migration],
        backup_on_start: bool,
        reason: str,
        may_check: bool,
    ) -> None:
        known = migrations[-1].version if migrations else 0
        found = current_version(self.conn)
        if found == 0 and has_user_tables(self.conn):
            raise ForeignDatabaseError(
                f"The file {self.path} is a database of another program, not DorsiLab's; "
                "nothing was changed. Choose the DorsiLab database file instead.",
                self.path,
                backups.newest_backup(self.path),
            )
        if found > known:
            raise DatabaseTooNewError(
                f"The database {self.path.name} was written by a newer version of DorsiLab "
                f"(schema {found}; this version knows up to {known}). Install the newer "
                "version to open it; nothing was changed.",
                self.path,
                backups.newest_backup(self.path),
            )
        if 0 < found < known and may_check:
            reason = reason or f"before the migration to schema {known}"
        if reason:
            self._check_whole_file(reason)
        # Only now that the file is known to be ours may its journal mode change.
        mode = self.conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            log.warning("WAL journal not available (journal_mode=%s)", mode)
        with private_umask():
            run_migrations(self.su, migrations, self._backup_for_migration, self.user)
        make_private(self.path)
        if backup_on_start and backups.backup_due(self.path):
            try:
                self.backup_now("daily")
            except BackupCheckError as exc:
                log.error("daily backup copy failed its integrity check")
                raise _corrupt(
                    self.path, "a backup copy of it failed the integrity check"
                ) from exc

    def _check_whole_file(self, reason: str) -> None:
        """``quick_check`` now, because of ``reason``; damage raises in words."""
        log.info("integrity check at open: %s", reason)
        problems = integrity.integrity_problems(self.conn, self.path)
        if problems:
            log.error("integrity check failed at open: %d problem(s)", len(problems))
            raise _corrupt(self.path, "its integrity check found damage")
        integrity.clear_check_request(self.path)
        self.checked_because = reason

    def _backup_for_migration(self, reason: str) -> Path:
        # The audit row for this backup is part of the migration's own audit row.
        return backups.create_backup(self.conn, self.path, reason)

    def reopen(self) -> Database:
        """A second connection to the same database (the journal's worker writes on it)."""
        return Database.open(self.path, backup_on_start=False)

    def close(self) -> None:
        """Checkpoint the WAL and close the connection (safe to call twice)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                if not self._read_only:
                    self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error:
                log.warning("WAL checkpoint at close failed; SQLite will recover it on open")
            finally:
                self.conn.close()
                if self._marker is not None:
                    self._marker.remove()
        log.info("database closed")

    def __enter__(self) -> Database:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """As :meth:`StoreBase.transaction`, after the daily backup if one is still owed."""
        if self._backup_before_write and not self.conn.in_transaction:
            self._backup_before_write = False
            if backups.backup_due(self.path):
                self.backup_now("daily")
        with super().transaction():
            yield

    # ------------------------------------------------------------------ maintenance
    @property
    def schema_version(self) -> int:
        """The schema version of the open database."""
        with self._lock:
            return current_version(self.conn)

    def backup_now(self, reason: str = "manual") -> Path:
        """Write a backup now (rotating to keep ten) and audit it; return its path.

        Raises
        ------
        BackupCheckError
            If the copy fails its integrity check (the database is damaged).
        """
        with self._lock:
            if self.conn.in_transaction:
                raise RuntimeError("back up outside a transaction, so the copy is all committed")
            with private_umask():
                target = backups.create_backup(self.conn, self.path, reason)
            self.record_audit("backup", "database", None, {"file": target.name, "reason": reason})
        return target

    def list_backups(self) -> list[backups.BackupInfo]:
        """This database's backups, newest first."""
        return backups.list_backups(self.path)

    def quick_check(self) -> list[str]:
        """``PRAGMA quick_check`` lines (``["ok"]`` when the file is sound)."""
        with self._lock:
            return [row[0] for row in self.conn.execute("PRAGMA quick_check")]


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers and services)
        return ""


def _check_header(path: Path) -> None:
    """Refuse a path that exists but is not a SQLite database, before a writable connection
    (which could roll a stray ``-journal`` into it) is opened.

    The file is read through SQLite (a read-only connection), never with Python's own file
    I/O: this process may already hold connections to it (the journal worker opens the
    visit's database a second time), and closing *any* descriptor of a file drops every
    POSIX lock the process holds on it. Another program would then think it is the last
    user and checkpoint and delete the WAL under the open connections (SQLite, "How To
    Corrupt An SQLite Database File" §2.2), which silently lost recorded trials. SQLite's
    own unix VFS shares one lock state per file in a process and defers such closes.
    """
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StorageError(f"The database file {path} cannot be read ({exc.strerror}).") from exc
    if stat.S_ISDIR(info.st_mode):
        raise StorageError(f"{path} is a folder; choose a database file (e.g. dorsilab.sqlite3).")
    if not stat.S_ISREG(info.st_mode):
        raise NotADatabaseError(
            f"{path} is not a regular file (a device, pipe or socket); choose the DorsiLab "
            "database file.",
            path,
            None,
        )
    if info.st_size == 0:
        return  # an empty file is a valid, empty database
    try:
        probe = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return  # the real open reports it in words
    try:
        probe.execute("PRAGMA schema_version").fetchone()
    except sqlite3.DatabaseError as exc:
        if "not a database" in str(exc).lower():
            raise NotADatabaseError(
                f"The file {path} is not a DorsiLab database (it is not a SQLite file at "
                "all). Check the path you chose, or restore a backup of the database.",
                path,
                backups.newest_backup(path),
            ) from None
    finally:
        probe.close()


def _configure(conn: sqlite3.Connection, path: Path, busy_timeout_s: float) -> None:
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA synchronous = FULL")
        # After a checkpoint the WAL is cut back to this size instead of keeping its peak.
        conn.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT_BYTES}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA schema_version").fetchone()  # reads the header: damage shows here
    except sqlite3.DatabaseError as exc:
        _raise_open_error(exc, path)
    make_private(path)


def _raise_open_error(exc: sqlite3.DatabaseError, path: Path) -> None:
    text = str(exc).lower()
    log.error("database open failed: %s", exc)
    if "not a database" in text:
        raise NotADatabaseError(
            f"The file {path} is not a readable DorsiLab database (its header is damaged "
            "or it is another kind of file). Restore a backup of the database.",
            path,
            backups.newest_backup(path),
        ) from exc
    if "locked" in text or "busy" in text:
        raise DatabaseBusyError(
            f"The database {path.name} is locked by another program (another DorsiLab "
            "window?). Close it and try again."
        ) from exc
    if "malformed" in text or "corrupt" in text:
        raise _corrupt(path, "SQLite reports the file is malformed") from exc
    raise StorageError(f"The database file {path} cannot be opened ({exc}).") from exc


def _corrupt(path: Path, what: str) -> DatabaseCorruptError:
    newest = backups.newest_backup(path)
    offer = (
        f"The newest backup is {newest.name} in {newest.parent}; restore it to continue "
        "(the damaged file is kept aside)."
        if newest
        else "No backup was found beside it; contact your IT support before changing anything."
    )
    return DatabaseCorruptError(
        f"The patient database {path} is damaged: {what}. Nothing was changed. {offer}",
        path,
        newest,
    )
