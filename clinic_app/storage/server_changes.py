"""Hearing about other workstations' changes on a clinic server (LISTEN/NOTIFY).

The server's triggers send ``pg_notify('dorsilab_changes', …)`` after every insert or
update of a patient, visit, trial or plan, with only the table, the row id and the
patient id (never names). :class:`ChangeListener` listens on its own connection in a
thread and hands each change to a callback, so that a patient list or a history can
refresh when another room adds a visit. A lost connection is opened again (with a
growing pause); changes made while it was down are not replayed, so the callback also
gets a ``Change`` with ``table == "*"`` after every reconnection: refresh everything.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

CHANNEL = "dorsilab_changes"
"""The NOTIFY channel: ``LISTEN dorsilab_changes`` to hear other workstations' writes."""

NOTIFYING_TABLES = ("patients", "sessions", "trials", "plans")
"""Tables whose inserts and updates the server announces on :data:`CHANNEL`."""


@dataclass(frozen=True, slots=True)
class Change:
    """One change another connection committed.

    Attributes
    ----------
    table : str
        ``patients``, ``sessions``, ``trials``, ``plans``; ``*`` after a reconnection.
    id : int or None
        The changed row's id (None for ``*``).
    patient_id : int or None
        The patient the row belongs to.
    """

    table: str
    id: int | None
    patient_id: int | None


def parse_change(payload: str) -> Change | None:
    """The :class:`Change` a notification carries, or None if it is not one of ours."""
    try:
        data = json.loads(payload)
        table, row_id, patient = data["table"], data["id"], data["patient_id"]
    except (ValueError, TypeError, KeyError):
        return None
    if table not in NOTIFYING_TABLES or not isinstance(row_id, int):
        return None
    return Change(table, row_id, patient if isinstance(patient, int) else None)


class ChangeListener:
    """Listen for :data:`CHANNEL` in a daemon thread; ``on_change`` runs in that thread.

    Parameters
    ----------
    conninfo, password
        How the workstation signed in (the listener signs in the same way).
    on_change : callable
        Called with each :class:`Change`; must be quick and thread-safe (the GUI posts it
        to its own thread).
    """

    def __init__(
        self, conninfo: str, password: str | None, on_change: Callable[[Change], None]
    ) -> None:
        self._conninfo = conninfo
        self._password = password
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="server-changes", daemon=True)
        self.listening = threading.Event()
        """Set while LISTEN is active (tests wait for it)."""

    def start(self) -> None:
        """Start listening."""
        self._thread.start()

    def stop(self, timeout_s: float = 3.0) -> None:
        """Stop and wait for the thread (it checks every 0.5 s)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        from clinic_app.storage._postgres import connect

        pause = 0.5
        first = True
        while not self._stop.is_set():
            try:
                conn = connect(self._conninfo, self._password)
            except Exception:  # the server is down: try again, a little later each time
                log.info("change listener: server not reachable; retrying")
                self._stop.wait(pause)
                pause = min(pause * 2, 10.0)
                continue
            try:
                conn.execute(f"LISTEN {CHANNEL}")
                self.listening.set()
                pause = 0.5
                if not first:
                    self._on_change(Change("*", None, None))
                first = False
                while not self._stop.is_set():
                    for note in conn.notifies(timeout=0.5):
                        change = parse_change(note.payload)
                        if change is not None:
                            self._on_change(change)
            except Exception:  # connection lost: reconnect and say "refresh everything"
                log.info("change listener: connection lost; reconnecting")
            finally:
                self.listening.clear()
                conn.close()
