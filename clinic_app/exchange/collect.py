"""Gather everything stored about a patient, ready to be written in an export format."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.storage import Database, Patient, Session, StoredPlan, Trial
from clinic_app.storage.bulk import export_patient_ids, iter_patient_records, patient_recordings


@dataclass(frozen=True)
class TrialBundle:
    """One trial with its recordings (``{device: structured array}``)."""

    trial: Trial
    recordings: dict[str, npt.NDArray[Any]]


@dataclass(frozen=True)
class SessionBundle:
    """One visit with its trials (recording order) and every saved plan version."""

    session: Session
    trials: tuple[TrialBundle, ...]
    plans: tuple[StoredPlan, ...]


@dataclass(frozen=True)
class PatientBundle:
    """A patient with all visits, oldest first."""

    patient: Patient
    sessions: tuple[SessionBundle, ...]


def collect_patient(db: Database, patient_id: int, *, recordings: bool = True) -> PatientBundle:
    """Everything stored about one patient.

    Parameters
    ----------
    db : Database
    patient_id : int
    recordings : bool
        Also load the raw samples of every trial (large); False leaves them empty.

    Raises
    ------
    clinic_app.storage.NotFoundError
        If there is no such patient.
    """
    patient = db.get_patient(patient_id)
    sessions = []
    for history in db.patient_history(patient_id):
        trials = tuple(
            TrialBundle(trial, _recordings(db, trial.id) if recordings else {})
            for trial in history.trials
        )
        plans = tuple(db.plan_versions(history.session.id))
        sessions.append(SessionBundle(history.session, trials, plans))
    return PatientBundle(patient, tuple(sessions))


def iter_bundles(
    db: Database,
    patient_ids: Sequence[int] | None,
    *,
    recordings: bool = True,
    plans: bool = True,
) -> Iterator[PatientBundle]:
    """Each patient's records, one patient at a time, read in batches
    (:mod:`clinic_app.storage.bulk`); the same bundles as :func:`collect_patient`.

    ``patient_ids`` None means every patient not in the deleted list, sorted by name.
    Recordings are read patient by patient, so memory holds one patient's samples.
    ``recordings`` and ``plans`` False leave those out (empty), for formats without them.

    Raises
    ------
    clinic_app.storage.NotFoundError
        If a patient does not exist.
    """
    ids = export_patient_ids(db) if patient_ids is None else patient_ids
    for records in iter_patient_records(db, ids, plans=plans):
        samples = patient_recordings(db, records.patient.id) if recordings else {}
        yield PatientBundle(
            records.patient,
            tuple(
                SessionBundle(
                    visit.session,
                    tuple(TrialBundle(t, samples.get(t.id, {})) for t in visit.trials),
                    visit.plans,
                )
                for visit in records.visits
            ),
        )


def _recordings(db: Database, trial_id: int) -> dict[str, npt.NDArray[Any]]:
    out: dict[str, npt.NDArray[Any]] = {}
    for device in db.recording_devices(trial_id):
        samples = db.load_recording(trial_id, device)
        out[device] = np.ascontiguousarray(samples)
    return out
