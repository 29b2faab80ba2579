"""Patient records: create, read, update, search as you type, soft delete and restore.

Patients are never hard-deleted through this API: :meth:`PatientStore.delete_patient`
moves a patient to the deleted list (``deleted_at`` set), from where
:meth:`PatientStore.restore_patient` brings them back with all their sessions.
Every change writes an audit-log row naming the changed *fields*; logs carry ids only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from clinic_app.storage._base import StoreBase
from clinic_app.storage._sql import Row, set_clause
from clinic_app.storage._util import fold, new_uid, utc_now
from clinic_app.storage.errors import (
    ConcurrentChangeError,
    DuplicateRecordNumberError,
    StorageError,
    ValidationError,
)
from clinic_app.storage.search import search_columns
from clinic_app.storage.validation import PATIENT_FIELDS, parse_patient_fields

log = logging.getLogger(__name__)

_DOTTED_DATE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")


@dataclass(frozen=True, slots=True)
class PatientInput:
    """The editable fields of a patient, validated and typed.

    Build one with :meth:`from_fields` (raises :class:`ValidationError`) or directly;
    :meth:`PatientStore.create_patient` validates either way.
    """

    first_name: str
    last_name: str
    birth_date: date
    sex: str = "unspecified"
    record_number: str | None = None
    height_cm: float | None = None
    mass_kg: float | None = None
    dominant_leg: str = "unknown"
    involved_side: str = "none"
    weekly_km: float | None = None
    years_running: float | None = None
    notes: str = ""

    @classmethod
    def from_fields(
        cls, fields: Mapping[str, object], *, today: date | None = None
    ) -> PatientInput:
        """Parse form fields (see :func:`validate_patient`); raise ValidationError if wrong."""
        values, errors = parse_patient_fields(fields, today=today)
        if errors:
            raise ValidationError(errors)
        return cls(**values)

    def to_fields(self) -> dict[str, Any]:
        """The fields as a plain dict (birth date as a :class:`date`)."""
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Patient:
    """A stored patient. Units are in the field names; timestamps are ISO UTC (``…Z``)."""

    id: int
    record_number: str | None
    first_name: str
    last_name: str
    birth_date: date
    sex: str
    height_cm: float | None
    mass_kg: float | None
    dominant_leg: str
    involved_side: str
    weekly_km: float | None
    years_running: float | None
    notes: str
    created_at: str
    updated_at: str
    deleted_at: str | None
    uid: str = ""
    """Stable identity (a UUID) that survives backups, export/import and other workstations."""
    row_version: int = 1
    """1 when created, one more at every change: a save names the version it started from."""
    updated_by: str = ""
    """Who made the last change (the signed-in user on a clinic server)."""

    @property
    def display_name(self) -> str:
        """``Last, First`` as lists show it."""
        return f"{self.last_name}, {self.first_name}"

    @property
    def full_name(self) -> str:
        """``First Last`` as documents address the patient."""
        return f"{self.first_name} {self.last_name}"

    @property
    def is_deleted(self) -> bool:
        """True if the patient is in the deleted list."""
        return self.deleted_at is not None

    def age_years(self, on: date | None = None) -> int:
        """Age in whole years on ``on`` (default today)."""
        on = on or date.today()
        birth = self.birth_date
        return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))

    def to_fields(self) -> dict[str, object]:
        """The editable fields (:data:`PATIENT_FIELDS`), e.g. to fill the patient form."""
        return {name: getattr(self, name) for name in PATIENT_FIELDS}

    @classmethod
    def from_row(cls, row: Row) -> Patient:
        """Build from a ``patients`` row."""
        return cls(
            **{
                name: row[name] for name in cls.__dataclass_fields__ if name not in ("birth_date",)
            },
            birth_date=date.fromisoformat(row["birth_date"]),
        )


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _query_terms(query: str) -> list[str]:
    """LIKE patterns, one per query word: word-prefix for letters, substring for digits."""
    patterns = []
    for token in fold(query).split():
        dotted = _DOTTED_DATE.match(token)
        if dotted:  # 17.04.1990 or 17/04/1990: day first, as typed in most clinics,
            day, month = int(dotted[1]), int(dotted[2])
            if month > 12 >= day:  # unless only month first makes a date (04/17/1990)
                day, month = month, day
            token = f"{dotted[3]}-{month:02d}-{day:02d}"
        escaped = _like_escape(token)
        if any(c.isdigit() for c in token):
            patterns.append(f"%{escaped}%")
        else:
            patterns.append(f"% {escaped}%")
    return patterns


class PatientStore(StoreBase):
    """Patient methods of :class:`~clinic_app.storage.Database`."""

    def create_patient(self, patient: PatientInput | Mapping[str, object]) -> Patient:
        """Validate and store a new patient; return it with its id.

        Raises
        ------
        ValidationError
            With ``errors`` ``{field: message}`` if any field is wrong.
        DuplicateRecordNumberError
            If the record number is already used (also by a deleted patient).
        """
        fields = patient.to_fields() if isinstance(patient, PatientInput) else patient
        values = PatientInput.from_fields(fields).to_fields()
        now = utc_now()
        record = {**values, "birth_date": values["birth_date"].isoformat()}
        record.update(search_columns(values), created_at=now, updated_at=now, deleted_at=None)
        with self.transaction():
            self._check_record_number(values["record_number"], exclude_id=None)
            patient_id = self._insert("patients", {**record, "uid": new_uid()})
            self.record_audit("create", "patient", patient_id, {"fields": sorted(PATIENT_FIELDS)})
        log.info("patient %d created", patient_id)
        return self.get_patient(patient_id)

    def get_patient(self, patient_id: int) -> Patient:
        """The patient with this id (deleted ones too; see ``Patient.is_deleted``).

        Raises
        ------
        NotFoundError
            If there is no such patient.
        """
        return Patient.from_row(self._require_row("patients", patient_id, "patient"))

    def update_patient(
        self,
        patient_id: int,
        changes: Mapping[str, object],
        *,
        expected_version: int | None = None,
    ) -> Patient:
        """Change some fields of a patient; return the updated record.

        ``changes`` holds only the fields to change (any of :data:`PATIENT_FIELDS`); the
        merged record is validated as a whole. Nothing is written, and no audit row
        added, when no value actually changes.

        Parameters
        ----------
        expected_version : int, optional
            The ``row_version`` the caller read (a form passes the version it opened):
            if the record has changed since, nothing is written.

        Raises
        ------
        ValidationError, DuplicateRecordNumberError
            As for :meth:`create_patient`.
        ConcurrentChangeError
            If ``expected_version`` is given and another save came first.
        StorageError
            If the patient is deleted (restore them first).
        """
        with self.transaction():
            current = self.get_patient(patient_id)
            if expected_version is not None and current.row_version != expected_version:
                raise ConcurrentChangeError(
                    "This patient's record", current.updated_by, current.updated_at
                )
            if current.is_deleted:
                raise StorageError(
                    f"Patient {patient_id} is in the deleted list; restore the patient "
                    "before editing."
                )
            merged = {**current.to_fields(), **changes}
            values = PatientInput.from_fields(merged).to_fields()
            old = current.to_fields()
            changed = sorted(name for name in PATIENT_FIELDS if values[name] != old[name])
            if not changed:
                return current
            if "record_number" in changed:
                self._check_record_number(values["record_number"], exclude_id=patient_id)
            update: dict[str, Any] = {name: values[name] for name in changed}
            if "birth_date" in update:
                update["birth_date"] = update["birth_date"].isoformat()
            update.update(search_columns(values), updated_at=utc_now(), updated_by=self.user)
            written = self._execute(
                f"UPDATE patients SET {set_clause(list(update))}, "
                "row_version = row_version + 1 WHERE id = :id AND row_version = :seen",
                {**update, "id": patient_id, "seen": current.row_version},
            )
            if written != 1:  # another server session saved between our read and write
                latest = self.get_patient(patient_id)
                raise ConcurrentChangeError(
                    "This patient's record", latest.updated_by, latest.updated_at
                )
            self.record_audit("update", "patient", patient_id, {"fields": changed})
        log.info("patient %d updated (%d fields)", patient_id, len(changed))
        return self.get_patient(patient_id)

    def delete_patient(self, patient_id: int) -> None:
        """Move a patient to the deleted list (soft delete; sessions are kept).

        Deleting an already deleted patient does nothing.
        """
        self.require("delete")
        with self.transaction():
            if self.get_patient(patient_id).is_deleted:
                return
            now = utc_now()
            self._execute(
                "UPDATE patients SET deleted_at = :now, updated_at = :now, updated_by = :user, "
                "row_version = row_version + 1 WHERE id = :id",
                {"now": now, "id": patient_id, "user": self.user},
            )
            self.record_audit("delete", "patient", patient_id, {"fields": ["deleted_at"]})
        log.info("patient %d moved to the deleted list", patient_id)

    def restore_patient(self, patient_id: int) -> Patient:
        """Bring a patient back from the deleted list; return the record."""
        self.require("restore")
        with self.transaction():
            if not self.get_patient(patient_id).is_deleted:
                return self.get_patient(patient_id)
            self._execute(
                "UPDATE patients SET deleted_at = NULL, updated_at = :now, updated_by = :user, "
                "row_version = row_version + 1 WHERE id = :id",
                {"now": utc_now(), "id": patient_id, "user": self.user},
            )
            self.record_audit("restore", "patient", patient_id, {"fields": ["deleted_at"]})
        log.info("patient %d restored", patient_id)
        return self.get_patient(patient_id)

    def search_patients(
        self, query: str = "", *, limit: int | None = 50, include_deleted: bool = False
    ) -> list[Patient]:
        """Patients matching what has been typed so far, sorted by last then first name.

        Every word of ``query`` must match: a word of letters matches the start of any
        word of the first or last name (case- and accent-insensitive: ``zoe`` finds
        Zoë, ``munoz`` Muñoz; punctuation optional: ``oconnor`` finds O'Connor); a word
        with digits matches anywhere in the record number or the ISO birth date
        (``1990-04``; ``17.04.1990`` and ``17/04/1990`` are read day first unless only
        month first makes a date). An empty query lists all.

        Parameters
        ----------
        query : str
            What the user typed.
        limit : int or None
            At most this many patients (None: all).
        include_deleted : bool
            Also search the deleted list.
        """
        patterns = {f"p{i}": pattern for i, pattern in enumerate(_query_terms(query))}
        where = [] if include_deleted else ["deleted_at IS NULL"]
        where += [f"search_text LIKE :{name} ESCAPE '\\'" for name in patterns]
        sql = "SELECT * FROM patients"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY sort_name, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [Patient.from_row(row) for row in self._rows(sql, patterns)]

    def list_deleted_patients(self) -> list[Patient]:
        """The deleted list, most recently deleted first."""
        rows = self._rows(
            "SELECT * FROM patients WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC"
        )
        return [Patient.from_row(row) for row in rows]

    def count_patients(self, *, include_deleted: bool = False) -> int:
        """How many patients there are (active only unless ``include_deleted``)."""
        sql = "SELECT COUNT(*) AS n FROM patients"
        if not include_deleted:
            sql += " WHERE deleted_at IS NULL"
        row = self._row(sql)
        return int(row["n"]) if row else 0

    def record_number_owner(
        self, record_number: str | None, *, exclude_id: int | None = None
    ) -> int | None:
        """Id of the patient (deleted or not) holding ``record_number``, else None.

        Lets the form warn before saving; ``exclude_id`` is the patient being edited.
        """
        number = (record_number or "").strip()
        if not number:
            return None
        sql = "SELECT id FROM patients WHERE record_number = :number"
        if exclude_id is not None:
            sql += " AND id <> :exclude"
        row = self._row(sql, {"number": number, "exclude": exclude_id})
        return int(row["id"]) if row else None

    def possible_duplicates(
        self, first_name: str, last_name: str, birth_date: date, *, exclude_id: int | None = None
    ) -> list[Patient]:
        """Patients (deleted too) with the same birth date and the same folded names.

        For a "this patient may already exist" warning before a new record is saved.
        """
        key = search_columns(
            {"first_name": first_name, "last_name": last_name, "birth_date": birth_date}
        )["sort_name"]
        sql = "SELECT * FROM patients WHERE birth_date = :birth AND sort_name = :key"
        if exclude_id is not None:
            sql += " AND id <> :exclude"
        rows = self._rows(
            sql + " ORDER BY id",
            {"birth": birth_date.isoformat(), "key": key, "exclude": exclude_id},
        )
        return [Patient.from_row(row) for row in rows]

    def _check_record_number(self, record_number: str | None, *, exclude_id: int | None) -> None:
        owner = self.record_number_owner(record_number, exclude_id=exclude_id)
        if owner is not None:
            deleted = self.get_patient(owner).is_deleted
            raise DuplicateRecordNumberError(owner, deleted)
