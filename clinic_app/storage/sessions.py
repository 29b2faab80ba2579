"""Sessions (one visit) and trials (one attempt of one test), journaled for crash safety.

A trial is written in three steps so that a crash or power cut loses at most the last
second of the trial in progress and never a finished trial:

1. ``begin_trial`` (:mod:`clinic_app.storage.trials`) inserts it as ``incomplete``;
2. ``append_recording_chunk`` (see :mod:`clinic_app.storage.recordings`) commits the
   samples at least once a second;
3. ``finish_trial`` stores status, result and the last samples in one transaction.

After a crash, :meth:`SessionStore.unfinished_sessions` lists the visits to offer for
recovery; their trials that never finished keep status ``incomplete`` and ``ended_at``
NULL, with every journaled sample.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from clinic_app.storage._util import new_uid, to_json, utc_now
from clinic_app.storage.errors import StorageError
from clinic_app.storage.trials import TrialStore
from clinic_app.storage.visit_records import (
    BALANCE_CONDITIONS,
    DEFAULT_INCLINOMETER_SITE,
    PROTOCOLS,
    SESSION_STATUSES,
    SIDES,
    TRIAL_STATUSES,
    Session,
    SessionHistory,
    Trial,
    clean_json,
)

__all__ = [
    "BALANCE_CONDITIONS",
    "DEFAULT_INCLINOMETER_SITE",
    "PROTOCOLS",
    "SESSION_STATUSES",
    "SIDES",
    "TRIAL_STATUSES",
    "Session",
    "SessionHistory",
    "SessionStore",
    "Trial",
    "clean_json",
]

log = logging.getLogger(__name__)


class SessionStore(TrialStore):
    """Session, trial and recording methods of :class:`~clinic_app.storage.Database`."""

    # ------------------------------------------------------------------ sessions
    def create_session(
        self,
        patient_id: int,
        examiner: str,
        inclinometer_site: str = DEFAULT_INCLINOMETER_SITE,
        *,
        started_at: str | None = None,
        notes: str = "",
        test_plan: Mapping[str, Any] | None = None,
    ) -> int:
        """Start a visit (status ``in_progress``); return its id.

        ``started_at`` (ISO UTC) defaults to now; pass it to record past visits (demo,
        import). ``test_plan`` is the Test plan JSON of ``docs/data-model.md``
        (``SessionPlan.to_json()``), kept so an interrupted visit resumes with the tests
        and settings chosen at its start; storage checks only that it is a JSON object.

        Raises
        ------
        NotFoundError
            If the patient does not exist.
        StorageError
            If the patient is in the deleted list.
        """
        if test_plan is not None and not isinstance(test_plan, Mapping):
            raise ValueError(f"a test plan is a JSON object, not {type(test_plan).__name__}")
        plan_json = None if test_plan is None else to_json(clean_json(test_plan))
        now = utc_now()
        with self.transaction():
            row = self._require_row("patients", patient_id, "patient")
            if row["deleted_at"] is not None:
                raise StorageError(
                    f"Patient {patient_id} is in the deleted list; restore the patient "
                    "before starting an assessment."
                )
            session_id = self._insert(
                "sessions",
                {
                    "patient_id": patient_id,
                    "uid": new_uid(),
                    "started_at": started_at or now,
                    "ended_at": None,
                    "examiner": examiner.strip(),
                    "status": "in_progress",
                    "inclinometer_site": inclinometer_site,
                    "notes": notes,
                    "created_at": now,
                    "updated_at": now,
                    "test_plan": plan_json,
                    "mass_kg": row["mass_kg"],
                    "height_cm": row["height_cm"],
                },
            )
            self.record_audit("create", "session", session_id, {"patient_id": patient_id})
        log.info("session %d started for patient %d", session_id, patient_id)
        return session_id

    def get_session(self, session_id: int) -> Session:
        """The session with this id (NotFoundError if none)."""
        return Session.from_row(self._require_row("sessions", session_id, "session"))

    def finish_session(
        self, session_id: int, status: str = "complete", *, ended_at: str | None = None
    ) -> None:
        """Close a visit as ``complete`` or ``abandoned``.

        Finishing again with the same status does nothing; a finished visit cannot be
        given another status.
        """
        if status not in ("complete", "abandoned"):
            raise ValueError(f"a session finishes as 'complete' or 'abandoned', not {status!r}")
        with self.transaction():
            session = self.get_session(session_id)
            if session.status == status:
                return
            if session.status != "in_progress":
                raise StorageError(f"Session {session_id} is already {session.status}.")
            now = utc_now()
            self._execute(
                "UPDATE sessions SET status = :status, ended_at = :ended, updated_at = :now"
                f"{_CHANGED} WHERE id = :id",
                {
                    "status": status,
                    "ended": ended_at or now,
                    "now": now,
                    "id": session_id,
                    "user": self.user,
                },
            )
            self.record_audit("update", "session", session_id, {"fields": ["ended_at", "status"]})
        log.info("session %d finished as %s", session_id, status)

    def void_session(self, session_id: int, reason: str) -> None:
        """Void a visit: it stays stored (and restorable) but counts in no history or trend.

        ``reason`` (required, free text) says why, e.g. "wrong patient"; it is stored with
        the visit, and the audit log records that the visit was voided (not the reason,
        which may name people).
        """
        reason = reason.strip()
        if not reason:
            raise ValueError("say why the visit is voided")
        self.require("void")
        with self.transaction():
            session = self.get_session(session_id)
            if session.is_voided:
                return
            now = utc_now()
            self._execute(
                "UPDATE sessions SET voided_at = :now, void_reason = :reason, updated_at = :now"
                f"{_CHANGED} WHERE id = :id",
                {"now": now, "reason": reason, "id": session_id, "user": self.user},
            )
            self.record_audit("void", "session", session_id, {"patient_id": session.patient_id})
        log.info("session %d voided", session_id)

    def restore_session(self, session_id: int) -> None:
        """Undo :meth:`void_session`: the visit counts again."""
        self.require("restore")
        with self.transaction():
            session = self.get_session(session_id)
            if not session.is_voided:
                return
            self._execute(
                "UPDATE sessions SET voided_at = NULL, void_reason = '', updated_at = :now"
                f"{_CHANGED} WHERE id = :id",
                {"now": utc_now(), "id": session_id, "user": self.user},
            )
            self.record_audit("restore", "session", session_id, {"fields": ["voided_at"]})
        log.info("session %d restored", session_id)

    def update_session_notes(self, session_id: int, notes: str) -> None:
        """Replace the free-text notes of a visit."""
        with self.transaction():
            self.get_session(session_id)
            self._execute(
                "UPDATE sessions SET notes = :notes, updated_at = :now "
                + _CHANGED
                + " WHERE id = :id",
                {"notes": notes, "now": utc_now(), "id": session_id, "user": self.user},
            )
            self.record_audit("update", "session", session_id, {"fields": ["notes"]})

    def list_sessions(self, patient_id: int) -> list[Session]:
        """A patient's visits, newest first."""
        rows = self._rows(
            "SELECT * FROM sessions WHERE patient_id = :patient ORDER BY started_at DESC, id DESC",
            {"patient": patient_id},
        )
        return [Session.from_row(row) for row in rows]

    def unfinished_sessions(self) -> list[Session]:
        """Visits still ``in_progress`` (e.g. after a crash), oldest first, for recovery."""
        rows = self._rows(
            "SELECT * FROM sessions WHERE status = 'in_progress' ORDER BY started_at, id"
        )
        return [Session.from_row(row) for row in rows]

    def patient_history(
        self, patient_id: int, *, counted_only: bool = False
    ) -> list[SessionHistory]:
        """Every visit of a patient with its trials, oldest first (for trends).

        Trials are in recording order (by id) within each visit. With ``counted_only``,
        only visits that count in histories, trends and comparisons
        (:attr:`SessionHistory.counts`: not voided, at least one measured trial).
        """
        with self._lock:
            sessions = self._rows(
                "SELECT * FROM sessions WHERE patient_id = :patient ORDER BY started_at, id",
                {"patient": patient_id},
            )
            trials = self._rows(
                "SELECT t.* FROM sessions s JOIN trials t ON t.session_id = s.id "
                "WHERE s.patient_id = :patient ORDER BY t.id",
                {"patient": patient_id},
            )
        by_session: dict[int, list[Trial]] = {int(row["id"]): [] for row in sessions}
        for row in trials:
            by_session[int(row["session_id"])].append(Trial.from_row(row))
        visits = [
            SessionHistory(Session.from_row(row), tuple(by_session[int(row["id"])]))
            for row in sessions
        ]
        return [v for v in visits if v.counts] if counted_only else visits


_CHANGED = ", updated_by = :user, row_version = row_version + 1"
"""What every UPDATE of a visit also sets (the server's trigger sets the same)."""
