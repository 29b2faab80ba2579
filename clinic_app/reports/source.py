"""Gather :class:`~clinic_app.reports.data.ReportData` from the database.

The visit, its interpretation and its plan come from :mod:`clinic_app.reports.context`
(re-exported here: :class:`SessionContext`, :func:`session_context`, :func:`generate_plan`,
:func:`session_plan`, :func:`clinic_norms`, :func:`latest_session_with_results`).

Numbers come from :mod:`clinic_app.analysis` (summaries, verdicts, MDC change); the plan is
the session's latest saved version, or a freshly generated one (not saved) when none exists.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from clinic_app.analysis.preprocess import SignalError, preprocess
from clinic_app.analysis.sway import prediction_ellipse_q
from clinic_app.plan import Plan
from clinic_app.reports.charts import CopPath, TraceSeries
from clinic_app.reports.context import (
    SessionContext,
    clinic_norms,
    generate_plan,
    latest_session_with_results,
    session_context,
    session_plan,
)
from clinic_app.reports.data import ClinicInfo, PatientInfo, ReportData, VisitInfo
from clinic_app.reports.words import trial_labels
from clinic_app.storage import Database, Trial

log = logging.getLogger(__name__)


def screen_labels(trials: Sequence[Trial]) -> dict[int, str]:
    """Trial id → its label as the live screen numbered it (per protocol, side, condition)."""
    groups: dict[tuple[str, str, str], list[Trial]] = {}
    for t in trials:
        groups.setdefault((t.protocol, t.side, t.condition or ""), []).append(t)
    out: dict[int, str] = {}
    for group in groups.values():
        group.sort(key=lambda t: (not t.practice, t.attempt))
        out.update(zip((t.id for t in group), trial_labels(group)))
    return out


def _traces(db: Database, trials: Sequence[Trial]) -> dict[str, list[TraceSeries]]:
    labels = screen_labels(trials)
    out: dict[str, list[TraceSeries]] = {}
    for t in sorted(trials, key=lambda t: t.attempt):
        if t.protocol != "lunge" or t.practice:
            continue
        rec = db.load_recording(t.id, "inclinometer")
        if rec.size < 2:
            continue
        time = rec["t_host_s"] - rec["t_host_s"][0]
        captured = (t.result or {}).get("angle_deg")
        out.setdefault(t.side, []).append(
            TraceSeries(
                labels[t.id],
                time.astype(np.float64),
                rec["tibia_deg"].astype(np.float64),
                None if captured is None else float(captured),
            )
        )
    return out


def cop_path(ml_mm: np.ndarray, ap_mm: np.ndarray, fs_hz: float) -> CopPath | None:
    """Filtered, centred COP path in cm with its 95 % prediction ellipse (None if unusable).

    Uses the analysis package's preprocessing (10 Hz zero-lag low-pass) and its F-based
    prediction-ellipse scale factor, so the drawn ellipse matches the reported area.
    """
    keep = np.isfinite(ml_mm) & np.isfinite(ap_mm)
    if keep.sum() < 10:
        return None
    try:
        ap, ml, _ = preprocess(ap_mm[keep], ml_mm[keep], fs_hz=fs_hz)
    except SignalError:
        return None
    ml_cm, ap_cm = ml / 10.0, ap / 10.0
    cov = np.cov(np.vstack([ml_cm, ap_cm]))
    eigval, eigvec = np.linalg.eigh(cov)
    q = prediction_ellipse_q(ml_cm.size)
    axes = np.sqrt(np.maximum(eigval, 0.0) * q)
    theta = float(np.arctan2(eigvec[1, 1], eigvec[0, 1]))
    area = float(np.pi * axes[0] * axes[1])
    return CopPath(ml_cm, ap_cm, (float(axes[1]), float(axes[0]), theta), area)


def _cop(db: Database, trials: Sequence[Trial]) -> dict[tuple[str, str], CopPath]:
    """The first valid trial of each side and condition, labelled with its stored area."""
    labels = screen_labels(trials)
    out: dict[tuple[str, str], CopPath] = {}
    for t in sorted(trials, key=lambda t: t.attempt):
        key = (t.side, t.condition or "")
        if t.protocol != "balance" or t.practice or t.status != "valid" or key in out:
            continue
        rec = db.load_recording(t.id, "plate")
        if rec.size < 10:
            continue
        span = float(rec["t_host_s"][-1] - rec["t_host_s"][0])
        fs = (rec.size - 1) / span if span > 0 else 100.0
        path = cop_path(rec["cop_x_mm"], rec["cop_y_mm"], fs)
        if path is None:
            continue
        # The plot's number is the one the balance table lists for this trial.
        stored = ((t.result or {}).get("metrics") or {}).get("ellipse_area_95_cm2")
        area = float(stored) if isinstance(stored, int | float) else path.area_cm2
        out[key] = dataclasses.replace(path, area_cm2=area, trial_label=labels[t.id])
    return out


def _processing(trials: Sequence[Trial]) -> str:
    for t in trials:
        processing = (t.result or {}).get("processing")
        if isinstance(processing, Mapping) and processing.get("filter"):
            fs = processing.get("fs_hz")
            return f"{processing['filter']}" + (f", metrics at {fs:g} Hz" if fs else "")
    return ""


def load_report_data(
    db: Database,
    patient_id: int,
    session_id: int | None = None,
    *,
    paper: str | None = None,
    plan: Plan | None = None,
) -> ReportData:
    """Everything both documents need for one patient's session.

    Parameters
    ----------
    db : Database
    patient_id : int
    session_id : int, optional
        Default: the patient's latest session with results.
    paper : {"A4", "Letter"}, optional
        Default: the clinic's ``paper_size`` setting.
    plan : Plan, optional
        A plan to print instead of the stored one (the plan editor's live preview).

    Raises
    ------
    UserError
        Unknown patient (:class:`~clinic_app.storage.NotFoundError`), a session of another
        patient, or a patient without results.
    """
    ctx = session_context(db, patient_id, session_id)
    patient, history, index = ctx.patient, ctx.history, ctx.index
    current = history[index]
    summaries, interp, day = ctx.summaries, ctx.interp, ctx.day
    plan = plan or session_plan(db, ctx)
    logo = str(db.get_setting("logo_path") or "")
    clinic = ClinicInfo(
        name=str(db.get_setting("clinic_name") or ""),
        address=str(db.get_setting("clinic_address") or ""),
        logo_path=Path(logo) if logo and Path(logo).is_file() else None,
        header=str(db.get_setting("report_header") or ""),
    )
    log.info("report data gathered for patient %d session %d", patient_id, current.session.id)
    return ReportData(
        clinic=clinic,
        patient=PatientInfo(
            id=patient.id,
            first_name=patient.first_name,
            last_name=patient.last_name,
            birth_date=patient.birth_date,
            sex=patient.sex,
            involved_side=patient.involved_side,
            record_number=patient.record_number,
            mass_kg=patient.mass_kg,
            dominant_leg=patient.dominant_leg,
            weekly_km=patient.weekly_km,
            years_running=patient.years_running,
            height_cm=patient.height_cm,
        ),
        visit=VisitInfo(
            session_id=current.session.id,
            day=day,
            examiner=current.session.examiner or str(db.get_setting("examiner_name") or ""),
            site=current.session.inclinometer_site,
            number=index + 1,
            of=len(history),
        ),
        interp=interp,
        plan=plan,
        traces=_traces(db, current.trials),
        cop=_cop(db, current.trials),
        history=summaries,
        paper=paper or str(db.get_setting("paper_size") or "A4"),
        processing=_processing(current.trials),
        local_thresholds=tuple(e for e in ctx.norms.values() if e.local),
        norms=ctx.norms,
    )


__all__ = [
    "SessionContext",
    "clinic_norms",
    "cop_path",
    "generate_plan",
    "latest_session_with_results",
    "load_report_data",
    "session_context",
    "session_plan",
]
