"""Sessions (one visit) and trials (one attempt of one test), journaled for crash safety.

A trial is written in three steps so that a crash or power cut loses at most the last
second of the trial in progress and never a finished trial:

1. :meth:`SessionStore.begin_trial` inserts it with status ``incomplete``;
2. ``append_recording_chunk`` (see :mod:`clinic_app.storage.recordings`) commits the
   samples at least once a second;
3. :meth:`SessionStore.finish_trial` stores status, result and the last samples in one
   transaction.

After a crash, :meth:`SessionStore.unfinished_sessions` lists the visits to offer for
recovery; their trials that never finished keep status ``incomplete`` and ``ended_at``
NULL, with every journaled sample.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.storage._sql import Row
from clinic_app.storage._util import from_json, new_uid, to_json, utc_now
from clinic_app.storage.errors import StorageError
from clinic_app.storage.recordings import RecordingStore

log = logging.getLogger(__name__)

SESSION_STATUSES = ("in_progress", "complete", "abandoned")
TRIAL_STATUSES = ("valid", "invalid", "failed", "incomplete")
PROTOCOLS = ("lunge", "balance")
SIDES = ("left", "right")
BALANCE_CONDITIONS = ("eo_firm", "ec_firm", "eo_foam", "ec_foam")
DEFAULT_INCLINOMETER_SITE = "tibial_crest_15cm"


@dataclass(frozen=True, slots=True)
class Session:
    """One visit. Timestamps are ISO UTC (``…Z``); ``ended_at`` is None while in progress.

    ``test_plan`` is the Test plan JSON of ``docs/data-model.md`` (the tests chosen for the
    visit, in order, with their settings), or None for visits begun before schema v2 and
    visits made without one (imports of recordings, demo history).

    ``uid`` is the visit's stable identity (a UUID). ``mass_kg`` and ``height_cm`` are the
    body measures at this visit (copied from the patient record when the visit starts, so
    a later change of the record does not rewrite the past). A voided visit
    (``voided_at`` set, with ``void_reason``) stays stored but counts nowhere.
    """

    id: int
    patient_id: int
    started_at: str
    ended_at: str | None
    examiner: str
    status: str
    inclinometer_site: str
    notes: str
    created_at: str
    updated_at: str
    test_plan: dict[str, Any] | None = None
    uid: str = ""
    mass_kg: float | None = None
    height_cm: float | None = None
    voided_at: str | None = None
    void_reason: str = ""
    row_version: int = 1
    updated_by: str = ""

    @property
    def is_voided(self) -> bool:
        """True if the visit was voided (kept, restorable, but counted nowhere)."""
        return self.voided_at is not None

    @classmethod
    def from_row(cls, row: Row) -> Session:
        """Build from a ``sessions`` row."""
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["test_plan"] = from_json(values["test_plan"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Trial:
    """One attempt of one test; ``result`` is the JSON of ``docs/data-model.md``.

    ``condition`` is None for lunge trials; ``practice`` trials are not scored.
    ``ended_at`` is None for a trial interrupted by a crash.
    """

    id: int
    session_id: int
    protocol: str
    side: str
    condition: str | None
    attempt: int
    practice: bool
    status: str
    invalid_reason: str | None
    result: dict[str, Any] | None
    started_at: str
    ended_at: str | None
    uid: str = ""
    """Stable identity (a UUID) that survives export/import and other workstations."""

    @classmethod
    def from_row(cls, row: Row) -> Trial:
        """Build from a ``trials`` row."""
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["practice"] = bool(values["practice"])
        values["result"] = from_json(values["result"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SessionHistory:
    """A session with all its trials (in the order they were recorded)."""

    session: Session
    trials: tuple[Trial, ...]

    @property
    def counts(self) -> bool:
        """True if the visit counts in histories and trends: not voided, and at least one
        measured (non-practice) trial was recorded."""
        return not self.session.is_voided and any(not t.practice for t in self.trials)


def clean_json(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and ±inf become None (JSON has no NaN), numpy
    scalars and arrays become Python numbers and lists, tuples become lists."""
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


class SessionStore(RecordingStore):
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

    # ------------------------------------------------------------------ trials
    def begin_trial(
        self,
        session_id: int,
        protocol: str,
        side: str,
        condition: str | None = None,
        attempt: int = 1,
        practice: bool = False,
        *,
        started_at: str | None = None,
    ) -> int:
        """Journal the start of a trial (status ``incomplete``); return its id.

        Parameters
        ----------
        protocol : {"lunge", "balance"}
        side : {"left", "right"}
        condition : str or None
            None for lunge; ``eo_firm``, ``ec_firm``, ``eo_foam`` or ``ec_foam`` for balance.
        attempt : int
            1, 2, … within side and condition (see :meth:`next_attempt`).
        practice : bool
            A familiarisation trial, not scored.
        """
        _check_trial_kind(protocol, side, condition)
        if attempt < 1:
            raise ValueError(f"attempt numbers start at 1, not {attempt}")
        with self.transaction():
            session = self.get_session(session_id)
            if session.status != "in_progress":
                raise StorageError(
                    f"Session {session_id} is {session.status}; start a new assessment to "
                    "record more trials."
                )
            trial_id = self._insert(
                "trials",
                {"session_id": session_id, "uid": new_uid(), "protocol": protocol, "side": side,
                 "condition": condition, "attempt": attempt, "practice": int(practice),
                 "status": "incomplete", "started_at": started_at or utc_now()},
            )  # fmt: skip
            self.record_audit("create", "trial", trial_id, {"session_id": session_id})
        log.info("trial %d begun in session %d (%s %s)", trial_id, session_id, protocol, side)
        return trial_id

    def finish_trial(
        self,
        trial_id: int,
        status: str,
        result: Mapping[str, Any] | None,
        invalid_reason: str | None = None,
        *,
        final_samples: Mapping[str, npt.NDArray[Any]] | None = None,
        ended_at: str | None = None,
    ) -> None:
        """Store a trial's outcome atomically, with its last samples.

        Parameters
        ----------
        status : {"valid", "invalid", "failed", "incomplete"}
            ``incomplete`` for a trial cut short (e.g. a device unplugged): it is kept
            with the samples so far.
        result : mapping or None
            The result JSON of ``docs/data-model.md``. NaN/inf become null.
        invalid_reason : str, optional
            Why the trial is invalid or failed (e.g. ``heel_lift``); None for valid ones.
        final_samples : mapping, optional
            ``{device: samples}`` not yet journaled, appended in the same transaction.

        Raises
        ------
        StorageError
            If the trial was already finished.
        """
        if status not in TRIAL_STATUSES:
            raise ValueError(f"trial status must be one of {TRIAL_STATUSES}, not {status!r}")
        if status == "valid" and invalid_reason:
            raise ValueError("a valid trial has no invalid_reason")
        result_json = None if result is None else to_json(clean_json(result))
        with self.transaction():
            trial = self.get_trial(trial_id)
            if trial.ended_at is not None:
                raise StorageError(f"Trial {trial_id} is already finished ({trial.status}).")
            for device, samples in (final_samples or {}).items():
                self._append_chunk(trial_id, device, samples)
            self._execute(
                "UPDATE trials SET status = :status, result = :result, "
                "invalid_reason = :reason, ended_at = :ended WHERE id = :id",
                {"status": status, "result": result_json, "reason": invalid_reason,
                 "ended": ended_at or utc_now(), "id": trial_id},
            )  # fmt: skip
            self.record_audit(
                "update", "trial", trial_id,
                {"fields": ["ended_at", "invalid_reason", "result", "status"]},
            )  # fmt: skip
        log.info("trial %d finished as %s", trial_id, status)

    def get_trial(self, trial_id: int) -> Trial:
        """The trial with this id (NotFoundError if none)."""
        return Trial.from_row(self._require_row("trials", trial_id, "trial"))

    def trials_for_session(self, session_id: int) -> list[Trial]:
        """A visit's trials in recording order."""
        rows = self._rows(
            "SELECT * FROM trials WHERE session_id = :session ORDER BY id", {"session": session_id}
        )
        return [Trial.from_row(row) for row in rows]

    def next_attempt(
        self, session_id: int, protocol: str, side: str, condition: str | None = None
    ) -> int:
        """The attempt number the next trial of this kind in this visit should have."""
        same_condition = "condition IS NULL" if condition is None else "condition = :condition"
        row = self._row(
            "SELECT MAX(attempt) AS n FROM trials WHERE session_id = :session "
            f"AND protocol = :protocol AND side = :side AND {same_condition}",
            {"session": session_id, "protocol": protocol, "side": side, "condition": condition},
        )
        return int(row["n"] or 0) + 1 if row else 1


_CHANGED = ", updated_by = :user, row_version = row_version + 1"
"""What every UPDATE of a visit also sets (the server's trigger sets the same)."""


def _check_trial_kind(protocol: str, side: str, condition: str | None) -> None:
    if protocol not in PROTOCOLS:
        raise ValueError(f"protocol must be one of {PROTOCOLS}, not {protocol!r}")
    if side not in SIDES:
        raise ValueError(f"side must be one of {SIDES}, not {side!r}")
    if protocol == "lunge" and condition is not None:
        raise ValueError("a lunge trial has no condition (use None)")
    if protocol == "balance" and condition not in BALANCE_CONDITIONS:
        raise ValueError(f"a balance trial needs a condition from {BALANCE_CONDITIONS}")
