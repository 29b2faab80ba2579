"""Gather everything stored about a patient, ready to be written in an export format."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.storage import Database, Patient, Session, StoredPlan, Trial


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


def collect_clinic(db: Database, *, recordings: bool = True) -> list[PatientBundle]:
    """Every patient not in the deleted list, sorted by name."""
    return [
        collect_patient(db, patient.id, recordings=recordings)
        for patient in db.search_patients("", limit=None)
    ]


def _recordings(db: Database, trial_id: int) -> dict[str, npt.NDArray[Any]]:
    out: dict[str, npt.NDArray[Any]] = {}
    for device in db.recording_devices(trial_id):
        samples = db.load_recording(trial_id, device)
        out[device] = np.ascontiguousarray(samples)
    return out
