"""When the patient database gets a whole-file integrity check (issue 18 §1).

``PRAGMA quick_check`` reads every page: about 1.2 s on a 200 MB database, paid by every
start and every command when it ran on each open. It now runs when it can matter:

* **after an unclean shutdown.** Every process that opens the database leaves a small
  marker file beside it (``.<name>.open-<host>-<pid>-<n>``) and removes it when it closes
  the database. A marker of this computer whose process no longer runs means that process
  died with the database open (power cut, crash, ``kill -9``): the next open checks.
* **before a migration** (the schema is about to be rewritten; see
  :mod:`clinic_app.storage.database`).
* **when asked**: a background check that found damage leaves ``.<name>.check-needed``,
  so the next start checks, reports the damage in words and offers the newest backup.
* **on a schedule, in the background**: the daily backup (made off the GUI thread by
  :class:`clinic_app.storage.backups.BackgroundBackup`) copies every page and verifies
  the copy with ``quick_check``, so the whole file is checked at least once a day
  without the window waiting for it.

Markers are ordinary small files; they never touch the database file or its journals
(closing a descriptor of those would drop this process's SQLite locks).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import re
import socket
import sqlite3
import threading
from pathlib import Path

from clinic_app.storage._files import companions

log = logging.getLogger(__name__)

FULL_CHECK_MAX_BYTES = 256 * 1024 * 1024
"""Files up to this size get a whole-file quick_check (see :func:`integrity_problems`)."""

_counter = itertools.count(1)
_counter_lock = threading.Lock()


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname() or "host")[:64]


def _open_prefix(db_path: Path) -> str:
    return f".{db_path.name}.open-"


def check_flag(db_path: Path) -> Path:
    """The file whose presence asks the next open for a whole-file check."""
    return db_path.with_name(f".{db_path.name}.check-needed")


def request_check(db_path: Path) -> None:
    """Ask the next open of ``db_path`` to check the whole file (e.g. damage was found)."""
    with contextlib.suppress(OSError):
        check_flag(db_path).write_text("a background check found damage\n", encoding="utf-8")


def clear_check_request(db_path: Path) -> None:
    """Forget a request once a check has passed."""
    with contextlib.suppress(OSError):
        check_flag(db_path).unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """True if a process ``pid`` runs on this computer (never signals or stops it)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # os.kill would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def reason_to_check(db_path: Path) -> str:
    """Why the next open must check the whole file ("" when there is no reason).

    Markers left by processes of this computer that no longer run are removed here.
    """
    reasons = []
    if check_flag(db_path).exists():
        reasons.append("a check was requested")
    host = _host()
    prefix = _open_prefix(db_path) + host + "-"
    try:
        entries = list(db_path.parent.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.startswith(prefix):
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not process_alive(int(pid_text)):
            reasons.append("the database was not closed properly last time")
            with contextlib.suppress(OSError):
                entry.unlink()
    return "; ".join(dict.fromkeys(reasons))


class OpenMarker:
    """This process's "the database is open" marker, removed by :meth:`remove`."""

    def __init__(self, db_path: Path) -> None:
        with _counter_lock:
            n = next(_counter)
        self.path: Path | None = db_path.with_name(
            f"{_open_prefix(db_path)}{_host()}-{os.getpid()}-{n}"
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.close(fd)  # an empty marker file, not the database: no SQLite lock at stake
        except OSError as exc:
            log.warning("open marker not written (%s): unclean shutdowns go unnoticed", exc)
            self.path = None

    def remove(self) -> None:
        """The database was closed properly."""
        if self.path is not None:
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.path = None


def integrity_problems(conn: sqlite3.Connection, path: Path) -> list[str]:
    """Run ``PRAGMA quick_check`` as fits the file's size; return the problems (none: ok).

    A file of up to :data:`FULL_CHECK_MAX_BYTES` (database + WAL) is checked whole. A
    larger one, which is nearly all recording chunks, has every table checked except
    ``recordings``, so opening stays quick however many trials were recorded; the
    recordings are covered by the full check of each backup copy (at least daily) and by
    the size and zlib checksum checks on every chunk read.
    """
    size = sum(p.stat().st_size for p in companions(path) if not p.name.endswith("-shm"))
    if size <= FULL_CHECK_MAX_BYTES:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        return [] if rows == ["ok"] else rows
    tables = [
        str(row[0])
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'recordings'"
        )
    ]
    problems = []
    for table in tables:
        rows = [str(row[0]) for row in conn.execute(f"PRAGMA quick_check({_quote(table)})")]
        problems += [] if rows == ["ok"] else rows
    return problems


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
