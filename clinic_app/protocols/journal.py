"""Writes to the visit's database in order, off the caller's thread when asked.

Why a worker thread with its own connection: every journal write commits with
``synchronous=FULL`` (an fsync), which can take tens of milliseconds on a busy disk. The
live view's timer must never wait for that, so :class:`ThreadJournal` queues the writes
(recording chunks, trial outcomes, the end of the visit) and a worker thread runs them in
order on a second connection to the same file (SQLite WAL lets the GUI keep reading).
Ordering matters: a trial's last chunk and its outcome are written after every earlier
chunk of that trial. :class:`SyncJournal` runs the same calls inline (headless tools, tests).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clinic_app.storage import Database

log = logging.getLogger(__name__)

Write = Callable[[Database], Any]


class SyncJournal:
    """Run each write at once on ``db`` (the caller waits)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.error: str = ""
        self.written = 0

    def submit(self, write: Write) -> None:
        """Run ``write(db)`` now; a failure is kept in :attr:`error` and re-raised."""
        try:
            write(self.db)
            self.written += 1
        except Exception as exc:
            self.error = str(exc)
            raise

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Nothing is ever pending."""
        return True

    def close(self) -> None:
        """Nothing to stop (the database belongs to the caller)."""


class ThreadJournal:
    """Run writes in order on a worker thread with its own database connection.

    Parameters
    ----------
    db_path : Path
        The visit's database file (opened again by the worker, without a backup).
    """

    def __init__(self, db_path: Path) -> None:
        self.db_path = Path(db_path)
        self.error: str = ""
        self.written = 0
        self._queue: queue.Queue[Write | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
        self._thread.start()
        self._opened.wait(10.0)

    def submit(self, write: Write) -> None:
        """Queue ``write(db)``; returns at once."""
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(write)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued write ran; False on timeout."""
        return self._idle.wait(timeout_s)

    @property
    def pending(self) -> int:
        """Writes queued and not yet done."""
        return self._pending

    def close(self) -> None:
        """Finish the queued writes, then stop the worker and close its connection."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout=30.0)

    def _run(self) -> None:
        try:
            db = Database.open(self.db_path, backup_on_start=False)
        except Exception as exc:  # reported in words on the screen, never silently dropped
            self.error = f"cannot open the database for recording: {exc}"
            log.error("journal: %s", self.error)
            self._opened.set()
            self._drain_without_db()
            return
        self._opened.set()
        try:
            while True:
                write = self._queue.get()
                if write is None:
                    break
                try:
                    write(db)
                    self.written += 1
                except Exception as exc:
                    self.error = str(exc)
                    log.exception("journal write failed")
                finally:
                    self._done()
        finally:
            db.close()

    def _drain_without_db(self) -> None:
        while True:
            write = self._queue.get()
            if write is None:
                return
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()
