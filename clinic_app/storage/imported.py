"""Inserting records that come from a DorsiLab export, with their own identity and times.

A record made in this database gets a new ``uid`` and "now" as its times; a record brought
from another workstation keeps the ``uid``, ``created_at``/``updated_at``, plan version
times and voiding it had there, so an export → import → export round trip gives back the
same document and a second import recognises what it already has. The caller
(:mod:`clinic_app.exchange.json_import`) validates everything before calling these
methods inside one :meth:`~clinic_app.storage.Database.transaction`.

Each imported patient and visit gets an ``import`` audit row (ids and counts only).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy.typing as npt

from clinic_app.storage._sql import in_clause
from clinic_app.storage._util import new_uid, to_json, utc_now
from clinic_app.storage.patients import Patient, PatientInput
from clinic_app.storage.recordings import RecordingStore
from clinic_app.storage.search import search_columns
from clinic_app.storage.sessions import clean_json

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImportedSession:
    """A visit as exported (times ISO UTC; see ``docs/data-model.md``)."""

    uid: str
    started_at: str
    ended_at: str | None
    examiner: str
    status: str
    inclinometer_site: str
    notes: str
    created_at: str
    updated_at: str
    test_plan: Mapping[str, Any] | None
    mass_kg: float | None
    height_cm: float | None
    voided_at: str | None
    void_reason: str


@dataclass(frozen=True, slots=True)
class ImportedTrial:
    """A trial as exported; ``recordings`` maps device to samples."""

    uid: str
    protocol: str
    side: str
    condition: str | None
    attempt: int
    practice: bool
    status: str
    invalid_reason: str | None
    result: Mapping[str, Any] | None
    started_at: str
    ended_at: str | None
    recordings: Mapping[str, npt.NDArray[Any]]


class ImportStore(RecordingStore):
    """Import methods of :class:`~clinic_app.storage.Database`."""

    def patient_by_uid(self, uid: str) -> Patient | None:
        """The patient with this uid (deleted ones too), or None."""
        row = self._row("SELECT * FROM patients WHERE uid = :uid", {"uid": uid})
        return Patient.from_row(row) if row else None

    def known_uids(self, table: str, uids: list[str]) -> set[str]:
        """Which of ``uids`` already exist in ``table`` (``patients``, ``sessions``,
        ``trials``)."""
        if table not in ("patients", "sessions", "trials"):
            raise ValueError(f"no uid column in {table!r}")
        found: set[str] = set()
        for start in range(0, len(uids), 500):
            part = uids[start : start + 500]
            clause, params = in_clause("uid", part)
            rows = self._rows(f"SELECT uid FROM {table} WHERE {clause}", params)
            found.update(row["uid"] for row in rows)
        return found

    def session_id_of_uid(self, uid: str) -> int | None:
        """The id of the visit with this uid, or None when there is none."""
        rows = self._rows("SELECT id FROM sessions WHERE uid = :uid", {"uid": uid})
        return int(rows[0]["id"]) if rows else None

    def insert_imported_patient(
        self,
        patient: PatientInput,
        *,
        uid: str | None,
        created_at: str | None,
        updated_at: str | None,
        deleted_at: str | None,
    ) -> int:
        """Insert a validated patient with its exported identity and times; return its id.

        The record-number uniqueness is the caller's to check (it decides whether the
        file's patient is one already here).
        """
        values = patient.to_fields()
        now = utc_now()
        record = {**values, "birth_date": values["birth_date"].isoformat()}
        record.update(
            search_columns(values),
            uid=uid or new_uid(),
            created_at=created_at or now,
            updated_at=updated_at or created_at or now,
            deleted_at=deleted_at,
        )
        with self.transaction():
            patient_id = self._insert("patients", record)
            self.record_audit("import", "patient", patient_id, {"fields": sorted(values)})
        log.info("patient %d imported", patient_id)
        return patient_id

    def insert_imported_session(
        self, patient_id: int, session: ImportedSession, trials: list[ImportedTrial]
    ) -> int:
        """Insert a visit with its trials and recordings as exported; return its id."""
        with self.transaction():
            self._require_row("patients", patient_id, "patient")
            session_id = self._insert(
                "sessions",
                {"patient_id": patient_id, "uid": session.uid or new_uid(),
                 "started_at": session.started_at, "ended_at": session.ended_at,
                 "examiner": session.examiner, "status": session.status,
                 "inclinometer_site": session.inclinometer_site, "notes": session.notes,
                 "created_at": session.created_at, "updated_at": session.updated_at,
                 "test_plan": None if session.test_plan is None
                 else to_json(clean_json(session.test_plan)),
                 "mass_kg": session.mass_kg, "height_cm": session.height_cm,
                 "voided_at": session.voided_at, "void_reason": session.void_reason},
            )  # fmt: skip
            for trial in trials:
                self._insert_imported_trial(session_id, trial)
            self.record_audit(
                "import", "session", session_id,
                {"patient_id": patient_id, "trials": len(trials)},
            )  # fmt: skip
        log.info("session %d imported (%d trials)", session_id, len(trials))
        return session_id

    def insert_imported_plan(
        self,
        session_id: int,
        *,
        version: int,
        plan: Mapping[str, Any],
        edited_by: str,
        created_at: str,
    ) -> None:
        """Insert one plan version with its number and time as exported."""
        with self.transaction():
            plan_id = self._insert(
                "plans",
                {"session_id": session_id, "version": version,
                 "plan": to_json(clean_json(plan)), "edited_by": edited_by,
                 "created_at": created_at},
            )  # fmt: skip
            self.record_audit(
                "import", "plan", plan_id,
                {"session_id": session_id, "version": version},
            )  # fmt: skip

    def _insert_imported_trial(self, session_id: int, trial: ImportedTrial) -> int:
        trial_id = self._insert(
            "trials",
            {"session_id": session_id, "uid": trial.uid or new_uid(),
             "protocol": trial.protocol, "side": trial.side, "condition": trial.condition,
             "attempt": trial.attempt, "practice": int(trial.practice), "status": trial.status,
             "invalid_reason": trial.invalid_reason,
             "result": None if trial.result is None else to_json(clean_json(trial.result)),
             "started_at": trial.started_at, "ended_at": None},
        )  # fmt: skip
        # Samples are journaled while ended_at is NULL (a finished trial cannot grow).
        for device, samples in trial.recordings.items():
            self._append_chunk(trial_id, device, samples)
        if trial.ended_at is not None:
            self._execute(
                "UPDATE trials SET ended_at = :ended WHERE id = :id",
                {"ended": trial.ended_at, "id": trial_id},
            )
        return trial_id
