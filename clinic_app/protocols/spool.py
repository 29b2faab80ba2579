"""The local crash journal of a workstation on a clinic server.

Every recording write of a visit on a server is first written down here, on this
computer (a small SQLite file beside the workstation's other local files, owner-only),
and removed once the server has stored it. While the server is out of reach the writes
wait here in order; if DorsiLab is stopped or crashes meanwhile, the next sign-in writes
them to the server before anything else (:func:`replay`), so a trial recorded during a
network cut is never lost.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from pathlib import Path

from clinic_app.protocols.writes import Spoolable, decode, encode
from clinic_app.storage import Database

log = logging.getLogger(__name__)


def spool_path(folder: Path, server: str, login: str) -> Path:
    """This login's journal file for ``server`` (no names in the file name)."""
    digest = hashlib.sha256(f"{server}\n{login}".encode()).hexdigest()[:16]
    return folder / f"server-journal-{digest}.sqlite3"


class LocalSpool:
    """An ordered, durable list of writes waiting for the server (thread-safe)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        old_umask = os.umask(0o077)
        try:
            self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        finally:
            os.umask(old_umask)
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")  # a write here survives power loss
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS waiting (seq INTEGER PRIMARY KEY, kind TEXT NOT NULL,"
            " args TEXT NOT NULL, arrays BLOB)"
        )
        self._lock = threading.Lock()

    def add(self, write: Spoolable) -> int:
        """Write ``write`` down; return its place in the order."""
        kind, args, arrays = encode(write)
        with self._lock:
            cursor = self._conn.execute(
                "INSERT INTO waiting (kind, args, arrays) VALUES (?, ?, ?)", (kind, args, arrays)
            )
            return int(cursor.lastrowid or 0)

    def remove(self, seq: int) -> None:
        """The server stored it: forget it."""
        with self._lock:
            self._conn.execute("DELETE FROM waiting WHERE seq = ?", (seq,))

    def waiting(self) -> list[tuple[int, Spoolable]]:
        """Every write not yet on the server, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT seq, kind, args, arrays FROM waiting ORDER BY seq"
            ).fetchall()
        return [(int(seq), decode(kind, args, arrays)) for seq, kind, args, arrays in rows]

    def count(self) -> int:
        """How many writes wait."""
        with self._lock:
            return int(self._conn.execute("SELECT COUNT(*) FROM waiting").fetchone()[0])

    def close(self) -> None:
        """Close the file (what waits stays in it)."""
        with self._lock:
            self._conn.close()


def replay(db: Database, spool: LocalSpool) -> int:
    """Write to the server, in order, what an earlier run left waiting; return how many.

    A write the server already has (a trial finished twice, a visit ended) is not an
    error: it was stored before the earlier run could forget it. Stops at the first write
    the server cannot take now (it stays waiting) by raising.

    Raises
    ------
    clinic_app.storage.StorageError
        The server is still out of reach (or refused a write): the rest waits.
    """
    from clinic_app.storage import StorageError

    done = 0
    for seq, write in spool.waiting():
        try:
            write(db)
        except StorageError as exc:
            if "already" not in str(exc):
                raise
            log.info("local journal: write %d was already on the server", seq)
        spool.remove(seq)
        done += 1
    if done:
        log.warning("local journal: %d waiting writes stored on the clinic server", done)
    return done


def spool_for(db: Database) -> LocalSpool | None:
    """The local crash journal of a workstation signed in to a clinic server (None for a
    database file, which is its own journal)."""
    where = getattr(db, "where", None)
    if where is None or not db.signed_in:
        return None
    return LocalSpool(spool_path(db.path.parent, str(where), db.signed_in))
