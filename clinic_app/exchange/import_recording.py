"""Import a force-plate recording made on another plate as a balance trial of a patient.

The file is read by :func:`clinic_app.exchange.recordings.read_balance_trial` (the balance
data set's TSV, a CSV table or a C3D from any laboratory), which accepts it only if it is a
balance trial (the protocol's ``balance.trial_s`` or longer, a single-leg load that holds)
and finds its stance; the stance's sway metrics are computed by the same pipeline and
with the same clinic processing as a live trial (``balance.lowpass_hz`` zero-lag low-pass,
``balance.trim_*``; so the imported trial compares like with like against DorsiLab's own
trials), and the samples are stored as the trial's ``plate`` recording in
``drivers.base.PLATE_DTYPE``:

- ``t_host_s`` and ``t_dev_s``: the file's sample times (s from the start of the recording);
- ``seq``: 0, 1, 2, …;
- ``cop_x_mm`` (medio-lateral) and ``cop_y_mm`` (antero-posterior): the file's COP in mm;
- ``fz_n``: the file's vertical load when it has one, else NaN; the four cells are NaN
  (another plate's cells are not DorsiLab's).

Stance failures (touchdown, step) are not re-judged: the other plate's software decided
whether the trial counted, so an imported trial is stored as ``valid``. The stance is the
trial (``planned_s`` = ``completed_s`` = its duration). Everything happens in one
transaction: a bad file, an unknown patient or session, or a too-slow recording writes
nothing.

Typical use::

    from clinic_app.exchange.import_recording import import_recording
    done = import_recording(db, patient_id, Path("trial.c3d"), side="left",
                            condition="ec_firm", examiner="Dr. Léa Moreau")
    done.session_id, done.trial_id, done.metrics.mean_velocity_cm_s
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.pipeline import sway_from_cop
from clinic_app.analysis.preprocess import SignalError
from clinic_app.analysis.summary import CONDITIONS, SIDES
from clinic_app.analysis.sway import SwayMetrics
from clinic_app.exchange.recordings import (
    BalanceRules,
    ForceRecording,
    RecordingError,
    read_balance_trial,
)
from clinic_app.storage import Database, NotFoundError
from drivers.base import PLATE_DTYPE


class RecordingImportError(ValueError):
    """The recording cannot be imported; the message says why (file, field or id)."""


@dataclass(frozen=True)
class ImportedRecording:
    """What :func:`import_recording` stored.

    Attributes
    ----------
    session_id, trial_id, attempt : int
    created_session : bool
        True when a new visit was created for the trial.
    metrics : SwayMetrics
    notes : tuple of str
        How the file was read (columns, units) and any caveat (a low sampling rate).
    """

    session_id: int
    trial_id: int
    attempt: int
    created_session: bool
    metrics: SwayMetrics
    notes: tuple[str, ...]


def plate_samples(recording: ForceRecording) -> npt.NDArray[Any]:
    """The recording as ``PLATE_DTYPE`` samples (COP in mm; unknown fields NaN)."""
    n = recording.n
    samples = np.zeros(n, dtype=PLATE_DTYPE)
    samples["t_host_s"] = recording.t_s
    samples["t_dev_s"] = recording.t_s
    samples["seq"] = np.arange(n)
    samples["cop_x_mm"] = recording.cop_ml_cm * 10.0
    samples["cop_y_mm"] = recording.cop_ap_cm * 10.0
    samples["fz_n"] = np.nan if recording.fz_n is None else recording.fz_n
    for cell in ("tr_n", "br_n", "tl_n", "bl_n"):
        samples[cell] = np.nan
    return samples


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _read(
    path: Path, fmt: str, fs_hz: float | None, norms: Norms
) -> tuple[ForceRecording, list[str]]:
    try:
        recording = read_balance_trial(
            path, fmt, fs_hz=fs_hz, rules=BalanceRules.from_norms(norms)
        )
    except RecordingError as exc:
        raise RecordingImportError(str(exc)) from None
    notes = list(recording.notes)
    floor = norms.value("balance.hard_floor_sampling_hz")
    minimum = norms.value("balance.min_sampling_hz")
    if recording.fs_hz < floor:
        raise RecordingImportError(
            f"{path.name}: sampled at {recording.fs_hz:g} Hz, below the {floor:g} Hz that sway "
            "metrics need; nothing was imported"
        )
    if recording.fs_hz < minimum:
        notes.append(
            f"sampled at {recording.fs_hz:g} Hz, below the clinic's {minimum:g} Hz minimum; "
            "velocities may read low"
        )
    return recording, notes


def import_recording(
    db: Database,
    patient_id: int,
    path: Path,
    *,
    side: str,
    condition: str,
    session_id: int | None = None,
    examiner: str = "",
    started_at: datetime | None = None,
    fmt: str = "auto",
    fs_hz: float | None = None,
    norms: Norms | None = None,
) -> ImportedRecording:
    """Store a recording from another plate as a balance trial of ``patient_id``.

    Parameters
    ----------
    db : Database
    patient_id : int
    path : Path
        BDS TSV, CSV or C3D file.
    side : {"left", "right"}
        Stance leg.
    condition : {"eo_firm", "ec_firm", "eo_foam", "ec_foam"}
    session_id : int, optional
        Add to this visit of the patient, which must be in progress (a finished visit is
        closed to new trials); default a new visit (completed at once).
    examiner : str
        Examiner of a new visit.
    started_at : datetime, optional
        When the trial was recorded (UTC); default the visit's start for an existing visit,
        now for a new one.
    fmt : {"auto", "bds", "csv", "c3d"}
    fs_hz : float, optional
        Sampling rate of a CSV without a time column (Hz).
    norms : Norms, optional
        The clinic's thresholds (processing choices); default the bundled ``norms.toml``.

    Raises
    ------
    RecordingImportError
        Bad side/condition, unreadable file, a file that is not a balance trial, too low a
        sampling rate, signal that cannot be analysed, unknown patient, a visit of another
        patient or a finished visit. Nothing is written.
    """
    if side not in SIDES:
        raise RecordingImportError(f"side must be left or right, not {side!r}")
    if condition not in CONDITIONS:
        raise RecordingImportError(
            f"condition must be one of {', '.join(CONDITIONS)}, not {condition!r}"
        )
    norms = norms or load_norms()
    try:
        patient = db.get_patient(patient_id)
    except NotFoundError:
        raise RecordingImportError(f"there is no patient with id {patient_id}") from None
    if session_id is not None:
        try:
            session = db.get_session(session_id)
        except NotFoundError:
            raise RecordingImportError(f"there is no visit with id {session_id}") from None
        if session.patient_id != patient_id:
            raise RecordingImportError(
                f"visit {session_id} belongs to another patient, not to patient {patient_id}"
            )
        if session.status != "in_progress":
            raise RecordingImportError(
                f"visit {session_id} is {session.status}; import into the visit in progress "
                "or into a new visit"
            )
    recording, notes = _read(path, fmt, fs_hz, norms)
    try:
        metrics = sway_from_cop(
            recording.cop_ap_cm,
            recording.cop_ml_cm,
            fs_hz=recording.fs_hz,
            t_s=recording.t_s,
            uniform=recording.uniform,
            lowpass_hz=norms.value("balance.lowpass_hz"),
            filter_order=int(norms.value("balance.lowpass_order")),
            trim_s=(norms.value("balance.trim_start_s"), norms.value("balance.trim_end_s")),
        )
    except SignalError as exc:
        raise RecordingImportError(f"{path.name}: {exc}; nothing was imported") from None
    duration = float(recording.t_s[-1] - recording.t_s[0]) + 1.0 / recording.fs_hz
    result = {
        "planned_s": round(duration, 6),
        "completed_s": round(duration, 6),
        "time_to_failure_s": None,
        "failure_reason": None,
        "body_mass_kg": patient.mass_kg,
        "metrics": metrics.to_json(),
        "processing": metrics.processing.to_dict() if metrics.processing else None,
        "source": {"file": path.name, "format": recording.format, "notes": notes},
    }
    with db.transaction():
        created = session_id is None
        if session_id is None:
            start = started_at or datetime.now(UTC)
            session_id = db.create_session(patient_id, examiner, started_at=_stamp(start))
        else:
            start = started_at or datetime.fromisoformat(
                db.get_session(session_id).started_at.replace("Z", "+00:00")
            )
        attempt = db.next_attempt(session_id, "balance", side, condition)
        trial_id = db.begin_trial(
            session_id, "balance", side, condition, attempt, started_at=_stamp(start)
        )
        end = _stamp(start + timedelta(seconds=duration))
        db.finish_trial(
            trial_id, "valid", result, final_samples={"plate": plate_samples(recording)},
            ended_at=end,
        )  # fmt: skip
        if created:
            db.finish_session(session_id, "complete", ended_at=end)
        db.record_audit(
            "import", "trial", trial_id,
            {"file": path.name, "format": recording.format, "samples": recording.n},
        )  # fmt: skip
    return ImportedRecording(session_id, trial_id, attempt, created, metrics, tuple(notes))
