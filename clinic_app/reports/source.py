"""Gather :class:`~clinic_app.reports.data.ReportData` from the database.

Numbers come from :mod:`clinic_app.analysis` (summaries, verdicts, MDC change); the plan is
the session's latest saved version, or a freshly generated one (not saved) when none exists.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.preprocess import SignalError, preprocess
from clinic_app.analysis.session import SessionInterpretation, interpret_session
from clinic_app.analysis.summary import SessionSummary, TrialDataError, summarize_session
from clinic_app.analysis.sway import prediction_ellipse_q
from clinic_app.errors import UserError
from clinic_app.plan import Baseline, Plan, PlanError, build_plan
from clinic_app.reports.charts import CopPath, TraceSeries
from clinic_app.reports.data import ClinicInfo, HistoryVisit, PatientInfo, ReportData, VisitInfo
from clinic_app.storage import Database, Patient, SessionHistory, Trial

log = logging.getLogger(__name__)


def _day(stamp: str) -> date:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def _rows(trials: Sequence[Trial]) -> list[dict[str, Any]]:
    return [
        {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}
        for t in trials
        if t.result is not None
    ]


def _summary(visit: SessionHistory) -> SessionSummary:
    s = visit.session
    try:
        return summarize_session(
            _rows(visit.trials), session_id=s.id, examiner=s.examiner, site=s.inclinometer_site
        )
    except TrialDataError as exc:
        raise UserError(f"session {s.id}: {exc}") from None


def clinic_norms(db: Database) -> Norms:
    """The bundled thresholds with the clinic's overrides from Settings applied."""
    overrides = db.get_setting("thresholds") or {}
    return load_norms().with_overrides(overrides) if overrides else load_norms()


def _pick(history: Sequence[SessionHistory], session_id: int | None, patient_id: int) -> int:
    if session_id is not None:
        for index, visit in enumerate(history):
            if visit.session.id == session_id:
                return index
        raise UserError(f"session {session_id} does not belong to patient {patient_id}")
    for index in range(len(history) - 1, -1, -1):
        if any(t.result is not None for t in history[index].trials):
            return index
    raise UserError(f"patient {patient_id} has no session with results yet")


def latest_session_with_results(db: Database, patient_id: int) -> int | None:
    """Id of the patient's latest session with results (None when there is none)."""
    history = db.patient_history(patient_id)
    try:
        index = _pick(history, None, patient_id)
    except UserError:
        return None
    return int(history[index].session.id)


def _traces(db: Database, trials: Sequence[Trial]) -> dict[str, list[TraceSeries]]:
    out: dict[str, list[TraceSeries]] = {}
    for t in trials:
        if t.protocol != "lunge" or t.practice:
            continue
        rec = db.load_recording(t.id, "inclinometer")
        if rec.size < 2:
            continue
        time = rec["t_host_s"] - rec["t_host_s"][0]
        captured = (t.result or {}).get("angle_deg")
        label = f"trial {t.attempt}" + ("" if t.status == "valid" else f" ({t.status})")
        out.setdefault(t.side, []).append(
            TraceSeries(
                label,
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
    out: dict[tuple[str, str], CopPath] = {}
    for t in trials:
        key = (t.side, t.condition or "")
        if t.protocol != "balance" or t.practice or t.status != "valid" or key in out:
            continue
        rec = db.load_recording(t.id, "plate")
        if rec.size < 10:
            continue
        span = float(rec["t_host_s"][-1] - rec["t_host_s"][0])
        fs = (rec.size - 1) / span if span > 0 else 100.0
        path = cop_path(rec["cop_x_mm"], rec["cop_y_mm"], fs)
        if path is not None:
            out[key] = path
    return out


def _processing(trials: Sequence[Trial]) -> str:
    for t in trials:
        processing = (t.result or {}).get("processing")
        if isinstance(processing, Mapping) and processing.get("filter"):
            fs = processing.get("fs_hz")
            return f"{processing['filter']}" + (f", metrics at {fs:g} Hz" if fs else "")
    return ""


@dataclass(frozen=True)
class SessionContext:
    """One session of a patient, interpreted against the previous one.

    Attributes
    ----------
    history : list of SessionHistory
        Every visit of the patient (oldest first).
    index : int
        Position of the chosen session in ``history``.
    summaries : list of HistoryVisit
        Visits with results up to and including the chosen one, summarised.
    interp : SessionInterpretation
    day : date
    baseline : Baseline or None
        The first visit with results, for the plateau rule (None on a first visit).
    norms : Norms
        Thresholds with the clinic's overrides.
    """

    patient: Patient
    history: list[SessionHistory]
    index: int
    summaries: list[HistoryVisit]
    interp: SessionInterpretation
    day: date
    baseline: Baseline | None
    norms: Norms

    @property
    def session_id(self) -> int:
        """Id of the chosen session."""
        return int(self.history[self.index].session.id)


def session_context(
    db: Database, patient_id: int, session_id: int | None = None
) -> SessionContext:
    """Summarise and interpret one session (default: the latest with results).

    Raises
    ------
    UserError
        Unknown patient, a session of another patient, or no results yet.
    """
    patient = db.get_patient(patient_id)
    history = db.patient_history(patient_id)
    index = _pick(history, session_id, patient_id)
    norms = clinic_norms(db)
    visits = [v for v in history[: index + 1] if any(t.result for t in v.trials)]
    summaries = [
        HistoryVisit(v.session.id, _day(v.session.started_at), _summary(v)) for v in visits
    ]
    summary = summaries[-1].summary
    previous = summaries[-2].summary if len(summaries) > 1 else None
    involved = patient.involved_side if patient.involved_side in ("left", "right") else None
    interp = interpret_session(summary, previous, involved_side=involved, norms=norms)
    day = _day(history[index].session.started_at)
    baseline = None
    if len(summaries) > 1:
        first = summaries[0]
        baseline = Baseline(first.summary, (day - first.day).days / 7.0)
    return SessionContext(patient, history, index, summaries, interp, day, baseline, norms)


def generate_plan(
    ctx: SessionContext, *, red_flags: Sequence[str] = (), red_flags_checked: bool = False
) -> Plan:
    """A freshly generated plan for the session (not saved)."""
    return build_plan(
        ctx.interp,
        session_date=ctx.day,
        session_id=ctx.session_id,
        baseline=ctx.baseline,
        red_flags=red_flags,
        red_flags_checked=red_flags_checked,
        norms=ctx.norms,
    )


def session_plan(db: Database, ctx: SessionContext) -> Plan:
    """The session's latest saved plan, or a generated one when none was saved."""
    stored = db.latest_plan(ctx.session_id)
    if stored is None:
        return generate_plan(ctx)
    try:
        return Plan.from_dict(stored.plan)
    except PlanError as exc:
        raise UserError(
            f"the saved plan (version {stored.version}) of session {ctx.session_id} cannot be "
            f"read: {exc}"
        ) from None


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
    )
