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
from typing import Any, cast

import numpy.typing as npt

from clinic_app.storage._util import to_json, utc_now
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
        row = self._row("SELECT * FROM patients WHERE uid = ?", (uid,))
        return Patient.from_row(row) if row else None

    def known_uids(self, table: str, uids: list[str]) -> set[str]:
        """Which of ``uids`` already exist in ``table`` (``patients``, ``sessions``,
        ``trials``)."""
        if table not in ("patients", "sessions", "trials"):
            raise ValueError(f"no uid column in {table!r}")
        found: set[str] = set()
        for start in range(0, len(uids), 500):
            part = uids[start : start + 500]
            marks = ", ".join("?" * len(part))
            rows = self._rows(f"SELECT uid FROM {table} WHERE uid IN ({marks})", part)
            found.update(row["uid"] for row in rows)
        return found

    def session_id_of_uid(self, uid: str) -> int | None:
        """The id of the visit with this uid, or None when there is none."""
        rows = self._rows("SELECT id FROM sessions WHERE uid = ?", (uid,))
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
            uid=uid,
            created_at=created_at or now,
            updated_at=updated_at or created_at or now,
            deleted_at=deleted_at,
        )
        with self.transaction():
            patient_id = int(cast(int, self.su.table("patients").insert(record).last_pk))
            self.record_audit("import", "patient", patient_id, {"fields": sorted(values)})
        log.info("patient %d imported", patient_id)
        return patient_id

    def insert_imported_session(
        self, patient_id: int, session: ImportedSession, trials: list[ImportedTrial]
    ) -> int:
        """Insert a visit with its trials and recordings as exported; return its id."""
        with self.transaction():
            self._require_row("patients", patient_id, "patient")
            cursor = self.conn.execute(
                "INSERT INTO sessions (patient_id, uid, started_at, ended_at, examiner, status,"
                " inclinometer_site, notes, created_at, updated_at, test_plan, mass_kg,"
                " height_cm, voided_at, void_reason)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (patient_id, session.uid or None, session.started_at, session.ended_at,
                 session.examiner, session.status, session.inclinometer_site, session.notes,
                 session.created_at, session.updated_at,
                 None if session.test_plan is None else to_json(clean_json(session.test_plan)),
                 session.mass_kg, session.height_cm, session.voided_at, session.void_reason),
            )  # fmt: skip
            session_id = int(cursor.lastrowid or 0)
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
            cursor = self.conn.execute(
                "INSERT INTO plans (session_id, version, plan, edited_by, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, version, to_json(clean_json(plan)), edited_by, created_at),
            )
            self.record_audit(
                "import", "plan", int(cursor.lastrowid or 0),
                {"session_id": session_id, "version": version},
            )  # fmt: skip

    def _insert_imported_trial(self, session_id: int, trial: ImportedTrial) -> int:
        cursor = self.conn.execute(
            "INSERT INTO trials (session_id, uid, protocol, side, condition, attempt, practice,"
            " status, invalid_reason, result, started_at, ended_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            (session_id, trial.uid or None, trial.protocol, trial.side, trial.condition,
             trial.attempt, int(trial.practice), trial.status, trial.invalid_reason,
             None if trial.result is None else to_json(clean_json(trial.result)),
             trial.started_at),
        )  # fmt: skip
        trial_id = int(cursor.lastrowid or 0)
        # Samples are journaled while ended_at is NULL (a finished trial cannot grow).
        for device, samples in trial.recordings.items():
            self._append_chunk(trial_id, device, samples)
        if trial.ended_at is not None:
            self.conn.execute(
                "UPDATE trials SET ended_at = ? WHERE id = ?", (trial.ended_at, trial_id)
            )
        return trial_id
