"""Writes to the visit's database in order, off the caller's thread when asked.

Why a worker thread with its own connection: every journal write commits with
``synchronous=FULL`` (an fsync), which can take tens of milliseconds on a busy disk. The
live view's timer must never wait for that, so :class:`ThreadJournal` queues the writes
(recording chunks, trial outcomes, the end of the visit) and a worker thread runs them in
order on a second connection to the same file (SQLite WAL lets the GUI keep reading).
Ordering matters: a trial's last chunk and its outcome are written after every earlier
chunk of that trial. :class:`SyncJournal` runs the same calls inline (headless tools, tests).

A write that fails is never dropped in silence: it becomes a :class:`WriteFailure` (which
trial it carried, what it was, why it failed in words) that the runner collects with
``take_failures()`` and turns into a "not saved" event for the screen.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_app.protocols.spool import LocalSpool
from clinic_app.protocols.writes import Spoolable
from clinic_app.storage import Database
from clinic_app.storage.errors import ServerUnavailableError

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 5.0
"""How often a write waiting for the clinic server is tried again (doubling up to this)."""

Write = Callable[[Database], Any]


@dataclass(frozen=True)
class WriteFailure:
    """A journal write that did not reach the database.

    Attributes
    ----------
    trial_id : int or None
        The trial whose samples or outcome the write carried (None: the visit itself).
    what : str
        What was lost, in words (``"recording"``, ``"trial result"``, ``"end of the visit"``).
    reason : str
        Why, in words (:func:`describe_write_error`).
    """

    trial_id: int | None
    what: str
    reason: str


def describe_write_error(exc: BaseException) -> str:
    """Why a write failed, in words a clinician can act on (no patient data)."""
    text = str(exc)
    low = text.lower()
    if "locked" in low or "busy" in low:
        return "another program kept the database locked"
    if "full" in low:
        return "the disk is full"
    if "readonly" in low or "read-only" in low:
        return "the database file or its folder is read-only"
    if "disk i/o" in low:
        return "the disk reported an input/output error"
    if isinstance(exc, sqlite3.Error):
        return f"the database refused the write ({text})"
    return text or type(exc).__name__


class _Failures:
    """Runs writes and keeps the failed ones (thread-safe), for the runner on the GUI thread.

    Once a write of a trial failed, that trial's later writes are refused too: a trial
    whose recording has a hole must never be stored as finished and valid.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._new: list[WriteFailure] = []
        self._broken: set[int] = set()
        self.count = 0
        self.first = ""
        self.written = 0

    def run(self, db: Database, item: _Queued) -> None:
        """Run one write; a failure is kept, except that the clinic server being out of
        reach raises :class:`ServerUnavailableError` (the caller waits and tries again)."""
        if item.trial_id is not None and item.trial_id in self._broken:
            self.refuse(item, "an earlier part of this trial could not be written")
            return
        try:
            item.write(db)
            self.written += 1
        except ServerUnavailableError:
            raise
        except Exception as exc:
            log.exception("journal write failed%s", " (best effort)" if item.quiet else "")
            self.refuse(item, describe_write_error(exc))

    def refuse(self, item: _Queued, reason: str) -> None:
        if item.quiet:
            return
        if item.trial_id is not None:
            self._broken.add(item.trial_id)
        self.add(WriteFailure(item.trial_id, item.what, reason))

    def add(self, failure: WriteFailure) -> None:
        with self._lock:
            self._new.append(failure)
            self.count += 1
            self.first = self.first or failure.reason

    def take(self) -> list[WriteFailure]:
        with self._lock:
            out, self._new = self._new, []
        return out


class _Journal:
    """What both journals share: the failed writes, kept for the runner."""

    _failures: _Failures

    @property
    def error(self) -> str:
        """Why the first failed write failed, in words ("" while every write succeeded)."""
        return self._failures.first

    @property
    def failed(self) -> int:
        """How many writes failed."""
        return self._failures.count

    def take_failures(self) -> list[WriteFailure]:
        """The writes that failed since the last call (safe from any thread)."""
        return self._failures.take()


class SyncJournal(_Journal):
    """Run each write at once on ``db`` (the caller waits)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.written = 0
        self._failures = _Failures()

    def submit(
        self, write: Write, *, trial_id: int | None = None, what: str = "", quiet: bool = False
    ) -> None:
        """Run ``write(db)`` now; a failure is kept (:meth:`take_failures`), not raised.

        ``trial_id`` and ``what`` say what the write carries, for the "not saved" message;
        a ``quiet`` write (best effort) is only logged if it fails.
        """
        try:
            self._failures.run(self.db, _Queued(write, trial_id, what, quiet))
        except ServerUnavailableError as exc:  # nobody to wait here: it is not saved
            self._failures.refuse(_Queued(write, trial_id, what, quiet), str(exc))
        self.written = self._failures.written

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Nothing is ever pending."""
        return True

    def close(self) -> bool:
        """Nothing to stop (the database belongs to the caller)."""
        return True


class ThreadJournal(_Journal):
    """Run writes in order on a worker thread with its own database connection.

    Parameters
    ----------
    source : Path or callable
        The visit's database file (opened again by the worker, without a backup), or a
        callable that opens a second connection to it (``db.reopen``, e.g. a clinic
        server's).
    spool : LocalSpool, optional
        On a clinic server: the local crash journal. Each recording write is written
        down there before it is sent and forgotten once stored, so writes waiting for an
        unreachable server survive a crash (:func:`clinic_app.protocols.spool.replay`).
    """

    def __init__(
        self, source: Path | Callable[[], Database], spool: LocalSpool | None = None
    ) -> None:
        self.spool = spool
        if callable(source):
            self._open: Callable[[], Database] = source
        else:
            path = Path(source)
            self._open = lambda: Database.open(path, backup_on_start=False)
        self.written = 0
        self._failures = _Failures()
        self._queue: queue.Queue[_Queued | None] = queue.Queue()
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._lock = threading.Lock()
        self._opened = threading.Event()
        self._stopping = False
        self.waiting_for_server = False
        """True while writes wait for the clinic server to be reachable again."""
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
        self._thread.start()
        self._opened.wait(10.0)

    def submit(
        self, write: Write, *, trial_id: int | None = None, what: str = "", quiet: bool = False
    ) -> None:
        """Queue ``write(db)``; returns at once.

        ``trial_id`` and ``what`` say what the write carries, for the "not saved" message
        if it fails (:meth:`take_failures`); a ``quiet`` write (best effort) is only logged.
        """
        with self._lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(_Queued(write, trial_id, what, quiet))

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every queued write ran; False on timeout."""
        return self._idle.wait(timeout_s)

    @property
    def pending(self) -> int:
        """Writes queued and not yet done."""
        return self._pending

    def close(self) -> bool:
        """Finish the queued writes, then stop the worker and close its connection.

        Returns False if the worker did not stop within 30 s (writes may still be pending).
        While the clinic server is out of reach it does not wait: the worker goes on
        trying, writes everything in order once the server is back, then stops.
        """
        if self._thread.is_alive():
            self._queue.put(None)
            if self.waiting_for_server:
                return False
            self._thread.join(timeout=30.0)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            db = self._open()
        except Exception as exc:  # every queued write becomes a failure shown on screen
            reason = f"the database could not be opened for recording ({exc})"
            log.error("journal: the database could not be opened (%s)", type(exc).__name__)
            self._opened.set()
            self._drain(None, reason)
            return
        self._opened.set()
        try:
            self._drain(db, "")
        finally:
            db.close()
            if self.spool is not None:
                self.spool.close()

    def _drain(self, db: Database | None, reason: str) -> None:
        backlog: deque[tuple[_Queued, int | None]] = deque()
        self._stopping = False
        while True:
            if backlog:
                item, seq = backlog.popleft()
            elif self._stopping:
                return
            else:
                queued = self._queue.get()
                if queued is None:
                    return
                item, seq = queued, None if db is None else self._spooled(queued)
            try:
                if db is None:
                    self._failures.refuse(item, reason)
                else:
                    self._run_until_stored(db, item, backlog)
                    if seq is not None and self.spool is not None:
                        self.spool.remove(seq)
                    self.written = self._failures.written
            finally:
                self._done()

    def _spooled(self, item: _Queued) -> int | None:
        """Write ``item`` down locally first (None: no spool, or not a recording write)."""
        if self.spool is None or not isinstance(item.write, Spoolable):
            return None
        try:
            return self.spool.add(item.write)
        except (OSError, sqlite3.Error):  # the local disk: the server write still goes on
            log.exception("local journal: a write could not be written down")
            return None

    def _run_until_stored(
        self, db: Database, item: _Queued, backlog: deque[tuple[_Queued, int | None]]
    ) -> None:
        """Run ``item``; while the clinic server is out of reach, wait and try again.

        Writes stay in order: nothing after this one runs before it is stored, so a
        visit's end is written only after all of its trials. Meanwhile every write the
        visit queues is taken into ``backlog`` and written down in the local spool, so
        that a crash while waiting loses none of them.
        """
        pause = RETRY_FIRST_S
        while True:
            try:
                self._failures.run(db, item)
            except ServerUnavailableError:
                if not self.waiting_for_server:
                    log.warning("journal: clinic server out of reach; writes wait for it")
                self.waiting_for_server = True
                self._take_queued(backlog)
                time.sleep(pause)
                pause = min(pause * 2, RETRY_MAX_S)
                continue
            if self.waiting_for_server:
                log.info("journal: clinic server back; waiting writes go on")
            self.waiting_for_server = False
            return

    def _take_queued(self, backlog: deque[tuple[_Queued, int | None]]) -> None:
        """Move what waits in the queue to ``backlog``, writing each down locally."""
        while True:
            try:
                queued = self._queue.get_nowait()
            except queue.Empty:
                return
            if queued is None:  # close() asked: stop once the backlog is stored
                self._stopping = True
            else:
                backlog.append((queued, self._spooled(queued)))

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1
            if self._pending == 0:
                self._idle.set()


@dataclass(frozen=True)
class _Queued:
    write: Write
    trial_id: int | None
    what: str
    quiet: bool = False
