"""Backups of the patient database through SQLite's online backup API.

Backups live in the ``backups`` folder beside the database
(:func:`clinic_app.paths.backup_dir`), are named
``<stem>-<UTC time>-<reason><suffix>`` (e.g. ``dorsilab-20261124T091500123456Z-daily.sqlite3``),
are verified with ``PRAGMA quick_check`` after writing, are owner-only (mode 0600), and
rotate to keep the newest :data:`KEEP` files.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from clinic_app import paths
from clinic_app.storage import integrity
from clinic_app.storage._files import make_private, private_umask
from clinic_app.storage._util import to_json, utc_now
from clinic_app.storage.errors import BackupCheckError, StorageError

log = logging.getLogger(__name__)

KEEP = 10
"""How many backups rotation keeps."""

MAX_AGE = timedelta(days=1)
"""A backup is made at start when the newest one is older than this."""

_STAMP = "%Y%m%dT%H%M%S%fZ"
_REASON = re.compile(r"^[a-z0-9][a-z0-9-]{0,40}$")


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """One backup file: where it is, when it was made (UTC), why, and its size in bytes."""

    path: Path
    created_at: datetime
    reason: str
    size_bytes: int


def _pattern(db_path: Path) -> re.Pattern[str]:
    suffix = db_path.suffix or ".sqlite3"
    return re.compile(
        rf"^{re.escape(db_path.stem)}-(\d{{8}}T\d{{12}}Z)-([a-z0-9-]+){re.escape(suffix)}$"
    )


def list_backups(db_path: Path) -> list[BackupInfo]:
    """The backups of ``db_path``, newest first."""
    folder = db_path.parent / "backups"
    if not folder.is_dir():
        return []
    pattern = _pattern(db_path)
    found = []
    for entry in folder.iterdir():
        match = pattern.match(entry.name)
        if match and entry.is_file():
            when = datetime.strptime(match[1], _STAMP).replace(tzinfo=UTC)
            found.append(BackupInfo(entry, when, match[2], entry.stat().st_size))
    return sorted(found, key=lambda b: b.created_at, reverse=True)


def newest_backup(db_path: Path) -> Path | None:
    """The newest backup of ``db_path``, or None if there is none."""
    backups = list_backups(db_path)
    return backups[0].path if backups else None


def create_backup(
    conn: sqlite3.Connection, db_path: Path, reason: str = "manual", *, keep: int = KEEP
) -> Path:
    """Copy the open database ``conn`` (file ``db_path``) into a new backup file.

    The copy is consistent even while other connections write (SQLite backup API), is
    written under a temporary name and renamed only once it passes ``quick_check``, and
    is stored in rollback-journal mode so it is a single self-contained file.

    Parameters
    ----------
    conn : sqlite3.Connection
        An open connection to the database (not inside a write transaction of its own).
    db_path : Path
        The database file (names the backup and locates the ``backups`` folder).
    reason : str
        Short lowercase tag in the file name: ``daily``, ``manual``, ``before-v2``…
    keep : int
        Rotation: the newest ``keep`` backups are kept, older ones deleted.

    Returns
    -------
    Path
        The new backup file.
    """
    if not _REASON.match(reason):
        raise ValueError(f"backup reason must be a short lowercase tag, not {reason!r}")
    folder = paths.backup_dir(db_path)
    folder.chmod(0o700)
    _remove_stale_partials(folder)
    when = datetime.now(UTC)
    final = (
        folder / f"{db_path.stem}-{when.strftime(_STAMP)}-{reason}{db_path.suffix or '.sqlite3'}"
    )
    partial = final.with_name(final.name + ".partial")
    with private_umask():
        target = sqlite3.connect(partial, isolation_level=None)
    try:
        try:
            conn.backup(target)
            target.execute("PRAGMA journal_mode=DELETE")
            check = [row[0] for row in target.execute("PRAGMA quick_check")]
        except sqlite3.DatabaseError as exc:
            if isinstance(exc, sqlite3.OperationalError) and "malformed" not in str(exc):
                raise StorageError(f"The backup could not be written ({exc}).") from exc
            check = [str(exc)]
        if check != ["ok"]:
            raise BackupCheckError(
                "The backup copy failed its integrity check and was discarded; "
                "the database itself is damaged."
            )
    except BaseException:
        target.close()
        partial.unlink(missing_ok=True)
        raise
    target.close()
    make_private(partial)
    os.replace(partial, final)
    log.info("database backup written: %s (%s)", final.name, reason)
    rotate_backups(db_path, keep=keep)
    return final


def _remove_stale_partials(folder: Path) -> None:
    """Delete ``*.partial`` copies left by a backup that was killed half-way (> 1 h old)."""
    cutoff = datetime.now(UTC).timestamp() - 3600
    for stale in folder.glob("*.partial"):
        with contextlib.suppress(FileNotFoundError):
            if stale.stat().st_mtime < cutoff:
                stale.unlink()


def rotate_backups(db_path: Path, *, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest ``keep`` backups of ``db_path``; return the deleted ones."""
    removed = []
    for old in list_backups(db_path)[keep:]:
        with contextlib.suppress(FileNotFoundError):
            old.path.unlink()
            removed.append(old.path)
    return removed


def backup_due(db_path: Path, *, max_age: timedelta = MAX_AGE) -> bool:
    """True if there is no backup of ``db_path`` younger than ``max_age``."""
    backups = list_backups(db_path)
    return not backups or datetime.now(UTC) - backups[0].created_at > max_age


def restore_backup(db_path: Path, backup_path: Path) -> Path | None:
    """Replace the database at ``db_path`` with a copy of ``backup_path``.

    Close every :class:`~clinic_app.storage.Database` on ``db_path`` first. The backup is
    checked before anything is touched; the file it replaces (with its ``-wal``/``-shm``)
    is kept beside it as ``<name>.replaced-<UTC time>`` rather than deleted, so nothing is
    lost even if the wrong backup was chosen. The restore is recorded in the audit log.

    Returns
    -------
    Path or None
        Where the replaced database file was moved, or None if there was none.

    Raises
    ------
    StorageError
        If the backup is missing or fails its integrity check (the database is untouched).
    """
    db_path = Path(db_path)
    backup_path = Path(backup_path)
    if not backup_path.is_file():
        raise StorageError(f"The backup file {backup_path} does not exist.")
    try:
        source = sqlite3.connect(f"{backup_path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            check = [row[0] for row in source.execute("PRAGMA quick_check")]
        finally:
            source.close()
    except sqlite3.DatabaseError as exc:
        raise StorageError(
            f"The backup file {backup_path.name} cannot be read ({exc}); choose another backup."
        ) from exc
    if check != ["ok"]:
        raise StorageError(
            f"The backup file {backup_path.name} is damaged too; choose an older backup."
        )

    stamp = datetime.now(UTC).strftime(_STAMP)
    aside: Path | None = None
    for path in (db_path, *(db_path.with_name(db_path.name + s) for s in ("-wal", "-shm"))):
        if path.exists():
            moved = path.with_name(
                f"{db_path.name}.replaced-{stamp}{path.name[len(db_path.name) :]}"
            )
            os.replace(path, moved)
            aside = aside or moved
    staging = db_path.with_name(db_path.name + ".restoring")
    staging.unlink(missing_ok=True)
    with private_umask():
        source = sqlite3.connect(f"{backup_path.resolve().as_uri()}?mode=ro", uri=True)
        target = sqlite3.connect(staging, isolation_level=None)
    try:
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
    finally:
        source.close()
        target.close()
    make_private(staging)
    os.replace(staging, db_path)
    _audit_restore(db_path, backup_path)
    log.warning("database restored from backup %s", backup_path.name)
    return aside


def _audit_restore(db_path: Path, backup_path: Path) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        has_log = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_log'"
        ).fetchone()
        if has_log:
            conn.execute(
                "INSERT INTO audit_log (at, action, entity, entity_id, details, user) "
                "VALUES (?, 'restore', 'database', NULL, ?, '')",
                (utc_now(), to_json({"backup": backup_path.name})),
            )
    finally:
        conn.close()


class BackgroundBackup:
    """The daily backup on a worker thread with its own connection (the window never waits).

    The backup copies every page and verifies the copy with ``quick_check``, so it is
    also the scheduled whole-file integrity check (:mod:`clinic_app.storage.integrity`).
    If the copy fails its check, :attr:`damaged` is set and the next open of the database
    is asked to check it (and so to offer the newest good backup).

    Attributes
    ----------
    done : threading.Event
        Set when the job has finished (or found nothing to do).
    path : Path or None
        The new backup, if one was made.
    damaged : bool
        The copy failed its integrity check: the database is damaged.
    error : str
        Why the backup could not be made, in words ("" if it was, or was not due).
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.done = threading.Event()
        self.path: Path | None = None
        self.damaged = False
        self.error = ""
        self._thread = threading.Thread(target=self._run, name="daily-backup", daemon=True)

    def start(self) -> BackgroundBackup:
        """Start the job (returns at once)."""
        self._thread.start()
        return self

    def wait(self, timeout_s: float) -> bool:
        """Wait for the job to finish; False on timeout."""
        return self.done.wait(timeout_s)

    def _run(self) -> None:
        from clinic_app.storage.database import Database  # database imports this module

        try:
            if not backup_due(self.db_path):
                return
            db = Database.open(self.db_path, backup_on_start=False, integrity_check=False)
            try:
                self.path = db.backup_now("daily")
            finally:
                db.close()
        except BackupCheckError:
            self.damaged = True
            integrity.request_check(self.db_path)
            log.error("the daily backup copy failed its integrity check: the database is damaged")
        except Exception as exc:  # reported in words by the caller, never a crash
            self.error = str(exc) or type(exc).__name__
            log.exception("the daily backup could not be made")
        finally:
            self.done.set()
