"""Reading many patients' records in few queries, for clinic-wide exports.

Reading one patient at a time through the record stores costs several queries per patient
and one or two per trial (``patient_history``, ``plan_versions``, ``recording_devices``,
``load_recording``). :func:`iter_patient_records` reads patients in batches instead:
patients, visits, trials and plans of :data:`BATCH_PATIENTS` patients take four queries,
each batch inside one short read transaction (a consistent snapshot under WAL, which never
blocks a writer), and yields one patient at a time. :func:`patient_recordings` reads all of
one patient's samples in one query; recordings are read per patient, not per batch,
because one patient's recordings can be large and memory must not grow with the batch.

The records are the same objects, in the same order, as the per-patient calls give
(:meth:`~clinic_app.storage.Database.patient_history`, ``plan_versions``,
``load_recording``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.storage._base import StoreBase
from clinic_app.storage._sql import Params, in_clause
from clinic_app.storage._util import from_json
from clinic_app.storage.errors import NotFoundError
from clinic_app.storage.patients import Patient
from clinic_app.storage.plans import StoredPlan
from clinic_app.storage.recordings import decode_dtype, join_chunks
from clinic_app.storage.sessions import Session, Trial

BATCH_PATIENTS = 500
"""Patients read per batch: few enough that a batch's rows stay a few MB, enough that the
per-query cost vanishes."""

_PATIENT_FIELDS = tuple(Patient.__dataclass_fields__)
_SESSION_FIELDS = tuple(Session.__dataclass_fields__)
_TRIAL_FIELDS = tuple(Trial.__dataclass_fields__)
_PLAN_FIELDS = tuple(StoredPlan.__dataclass_fields__)
_BIRTH_DATE = _PATIENT_FIELDS.index("birth_date")
_TEST_PLAN = _SESSION_FIELDS.index("test_plan")
_PRACTICE = _TRIAL_FIELDS.index("practice")
_RESULT = _TRIAL_FIELDS.index("result")
_PLAN = _PLAN_FIELDS.index("plan")


@dataclass(frozen=True, slots=True)
class VisitRecords:
    """One visit with its trials (recording order) and every saved plan version."""

    session: Session
    trials: tuple[Trial, ...]
    plans: tuple[StoredPlan, ...]


@dataclass(frozen=True, slots=True)
class PatientRecords:
    """A patient with every visit, oldest first."""

    patient: Patient
    visits: tuple[VisitRecords, ...]


def export_patient_ids(db: StoreBase) -> list[int]:
    """Ids of every patient not in the deleted list, sorted by name (as the patient list)."""
    rows = _fetch(db, "SELECT id FROM patients WHERE deleted_at IS NULL ORDER BY sort_name, id")
    return [row[0] for row in rows]


def iter_patient_records(
    db: StoreBase,
    patient_ids: Sequence[int],
    *,
    plans: bool = True,
    batch_size: int = BATCH_PATIENTS,
) -> Iterator[PatientRecords]:
    """Each patient's records in the order of ``patient_ids``, read ``batch_size`` at a time.

    ``plans`` False leaves every visit's plans out (empty), for exports that have no use
    for them.

    Raises
    ------
    NotFoundError
        If a patient does not exist (raised when its batch is read).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    for start in range(0, len(patient_ids), batch_size):
        batch = [int(i) for i in patient_ids[start : start + batch_size]]
        yield from _read_batch(db, batch, plans=plans)


def patient_recordings(db: StoreBase, patient_id: int) -> dict[int, dict[str, npt.NDArray[Any]]]:
    """Every recording of one patient: ``{trial id: {device: samples}}`` in one query.

    Devices are in name order, samples exactly as ``load_recording`` returns them; trials
    without samples are absent.

    Raises
    ------
    StorageError
        If a stored chunk does not decompress to its declared size (damaged data).
    """
    rows = _fetch(
        db,
        "SELECT trial_id, device, chunk, dtype, n_samples, data FROM recordings "
        "WHERE trial_id IN (SELECT t.id FROM sessions s JOIN trials t ON t.session_id = s.id "
        "WHERE s.patient_id = :patient) ORDER BY trial_id, device, chunk",  # the index's order
        {"patient": int(patient_id)},
    )
    out: dict[int, dict[str, npt.NDArray[Any]]] = {}
    start = 0
    while start < len(rows):
        trial_id, device = rows[start][0], rows[start][1]
        end = start + 1
        while end < len(rows) and rows[end][0] == trial_id and rows[end][1] == device:
            end += 1
        out.setdefault(trial_id, {})[device] = _join_chunks(rows[start:end], trial_id, device)
        start = end
    return out


VISIT_FIELDS = ("id", "uid", "started_at", "voided_at", "examiner", "inclinometer_site")
"""The columns of a visit in a :class:`TrialTable`."""
TRIAL_TABLE_FIELDS = (
    "id", "uid", "protocol", "side", "condition", "attempt", "practice", "status",
    "invalid_reason", "started_at", "ended_at", "result",
)  # fmt: skip
"""The columns of a trial in a :class:`TrialTable` (``result`` is the stored JSON text)."""


@dataclass(frozen=True, slots=True)
class TrialTable:
    """One patient's visits and trials as plain rows, for a table export (``trials.csv``).

    Attributes
    ----------
    patient : tuple
        ``(id, uid, record_number, last_name, first_name)``.
    visits : list of (tuple, list of tuple)
        Each visit (columns :data:`VISIT_FIELDS`) with its trials (columns
        :data:`TRIAL_TABLE_FIELDS`), visits oldest first and trials in recording order, as
        :func:`iter_patient_records` orders them.
    """

    patient: tuple[Any, ...]
    visits: list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]


def iter_trial_tables(
    db: StoreBase, patient_ids: Sequence[int], batch_size: int = BATCH_PATIENTS
) -> Iterator[TrialTable]:
    """Each patient's :class:`TrialTable`, in the order of ``patient_ids``: three queries
    per batch and no record objects, for the clinic-wide CSV (the records' dataclasses and
    parsed JSON columns that :func:`iter_patient_records` builds cost more than the
    table's cells).

    Raises
    ------
    NotFoundError
        If a patient does not exist.
    """
    visit_columns = ", ".join(VISIT_FIELDS)
    trial_columns = ", ".join(TRIAL_TABLE_FIELDS)
    for start in range(0, len(patient_ids), batch_size):
        ids = [int(i) for i in patient_ids[start : start + batch_size]]
        among, wanted = in_clause("id", ids, "p")
        visits_among, _ = in_clause("patient_id", ids, "p")
        # As in _read_batch, each ORDER BY follows an index: SQLite never sorts.
        with db._lock, db.sql.snapshot():
            patients = _fetch(
                db,
                "SELECT id, uid, record_number, last_name, first_name FROM patients "
                f"WHERE {among}",
                wanted,
            )
            sessions = _fetch(
                db,
                f"SELECT patient_id, {visit_columns} FROM sessions WHERE {visits_among} "
                "ORDER BY patient_id, started_at, id",
                wanted,
            )
            trials = _fetch(
                db,
                f"SELECT session_id, {trial_columns} FROM trials WHERE session_id IN "
                f"(SELECT id FROM sessions WHERE {visits_among}) ORDER BY session_id, id",
                wanted,
            )
        by_id = {row[0]: row for row in patients}
        missing = [i for i in ids if i not in by_id]
        if missing:
            raise NotFoundError(f"There is no patient with id {missing[0]}.")
        trials_of: dict[int, list[tuple[Any, ...]]] = {}
        for row in trials:
            trials_of.setdefault(row[0], []).append(row[1:])
        visits_of: dict[int, list[tuple[tuple[Any, ...], list[tuple[Any, ...]]]]] = {}
        for row in sessions:
            visit = row[1:]
            visits_of.setdefault(row[0], []).append((visit, trials_of.get(visit[0], [])))
        del trials, sessions, trials_of
        for patient_id in ids:
            yield TrialTable(by_id[patient_id], visits_of.get(patient_id, []))


# ---------------------------------------------------------------------------- internals
def _read_batch(db: StoreBase, ids: list[int], *, plans: bool) -> Iterator[PatientRecords]:
    in_batch, wanted = in_clause("patient_id", ids, "p")
    visits = f"SELECT id FROM sessions WHERE {in_batch}"
    # Every ORDER BY below follows an index (a trial's rowid orders it within its visit's
    # index entries), so SQLite never sorts rows, which could spill to a temporary file.
    with db._lock, db.sql.snapshot():
        patients = _fetch(
            db,
            f"SELECT {_columns(_PATIENT_FIELDS)} FROM patients "
            f"WHERE {in_batch.replace('patient_id', 'id', 1)}",
            wanted,
        )
        sessions = _fetch(
            db,
            f"SELECT {_columns(_SESSION_FIELDS)} FROM sessions WHERE {in_batch} "
            "ORDER BY patient_id, started_at, id",
            wanted,
        )
        trials = _fetch(
            db,
            f"SELECT {_columns(_TRIAL_FIELDS)} FROM trials "
            f"WHERE session_id IN ({visits}) ORDER BY session_id, id",
            wanted,
        )
        plan_rows = (
            _fetch(
                db,
                f"SELECT {_columns(_PLAN_FIELDS)} FROM plans "
                f"WHERE session_id IN ({visits}) ORDER BY session_id, version",
                wanted,
            )
            if plans
            else []
        )
    by_id = {row[0]: row for row in patients}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFoundError(f"There is no patient with id {missing[0]}.")
    trials_of: dict[int, list[Trial]] = {}
    for row in trials:
        trials_of.setdefault(row[1], []).append(_trial(row))
    plans_of: dict[int, list[StoredPlan]] = {}
    for row in plan_rows:
        plans_of.setdefault(row[1], []).append(_plan(row))
    visits_of: dict[int, list[VisitRecords]] = {}
    for row in sessions:
        session = _session(row)
        visit = VisitRecords(
            session,
            tuple(trials_of.get(session.id, ())),
            tuple(plans_of.get(session.id, ())),
        )
        visits_of.setdefault(session.patient_id, []).append(visit)
    del trials_of, plans_of, sessions, trials, plan_rows
    for patient_id in ids:
        yield PatientRecords(_patient(by_id[patient_id]), tuple(visits_of.get(patient_id, ())))


def _columns(fields: Sequence[str]) -> str:
    return ", ".join(fields)


def _fetch(db: StoreBase, sql: str, params: Params | None = None) -> list[tuple[Any, ...]]:
    """Plain tuples (a row factory per row costs more than the query here)."""
    return db._tuples(sql, params)


def _patient(row: tuple[Any, ...]) -> Patient:
    values = list(row)
    values[_BIRTH_DATE] = date.fromisoformat(values[_BIRTH_DATE])
    return Patient(*values)


def _session(row: tuple[Any, ...]) -> Session:
    values = list(row)
    values[_TEST_PLAN] = from_json(values[_TEST_PLAN])
    return Session(*values)


def _trial(row: tuple[Any, ...]) -> Trial:
    values = list(row)
    values[_PRACTICE] = bool(values[_PRACTICE])
    values[_RESULT] = from_json(values[_RESULT])
    return Trial(*values)


def _plan(row: tuple[Any, ...]) -> StoredPlan:
    values = list(row)
    values[_PLAN] = from_json(values[_PLAN])
    return StoredPlan(*values)


@functools.lru_cache(maxsize=64)
def _dtype(descr_json: str) -> np.dtype[Any]:
    return decode_dtype(descr_json)


def _join_chunks(rows: Sequence[tuple[Any, ...]], trial_id: int, device: str) -> npt.NDArray[Any]:
    """A recording from its rows ``(trial_id, device, chunk, dtype, n_samples, data)``."""
    chunks = [(chunk, int(n_samples), data) for _, _, chunk, _, n_samples, data in rows]
    return join_chunks(chunks, _dtype(rows[0][3]), trial_id, device)
