"""One visit of a patient, interpreted: :class:`SessionContext` and its plan.

Only visits that count (``db.patient_history(pid, counted_only=True)``: not voided, at least
one measured trial) enter trends, comparisons and the plan's continuation; a voided or empty
visit is never "the previous visit" or "the first visit".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.session import SessionInterpretation, interpret_session
from clinic_app.analysis.summary import SessionSummary, TrialDataError, summarize_session
from clinic_app.errors import UserError
from clinic_app.plan import Baseline, Plan, PlanError, PreviousPlan, build_plan
from clinic_app.reports.data import HistoryVisit
from clinic_app.storage import Database, Patient, SessionHistory, Trial

SIDES = ("left", "right")


def day_of(stamp: str) -> date:
    """The calendar date of an ISO time stamp (``…Z`` allowed)."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).date()


def trial_rows(trials: Sequence[Trial]) -> list[dict[str, Any]]:
    """Trials with results as the mappings :func:`summarize_session` reads."""
    return [
        {f.name: getattr(t, f.name) for f in dataclasses.fields(t)}
        for t in trials
        if t.result is not None
    ]


PAST_VISIT_METRICS = frozenset({"mean_velocity_cm_s"})
"""The only balance metric a past visit is judged on (change, trends)."""


def visit_summary(visit: SessionHistory, *, past: bool = False) -> SessionSummary:
    """Summary of one stored visit (:class:`UserError` naming the session if data is bad).

    ``past``: a visit before the one reported on keeps only the balance metric that is
    compared (the trend of a long history stays cheap).
    """
    s = visit.session
    try:
        return summarize_session(
            trial_rows(visit.trials), session_id=s.id, examiner=s.examiner,
            site=s.inclinometer_site, metric_keys=PAST_VISIT_METRICS if past else None,
        )  # fmt: skip
    except TrialDataError as exc:
        raise UserError(f"session {s.id}: {exc}") from None


def clinic_norms(db: Database) -> Norms:
    """The bundled thresholds with the clinic's overrides from Settings applied."""
    overrides = db.get_setting("thresholds") or {}
    return load_norms().with_overrides(overrides) if overrides else load_norms()


def _with_results(history: Sequence[SessionHistory]) -> list[SessionHistory]:
    return [v for v in history if any(t.result is not None for t in v.trials)]


def _pick(history: Sequence[SessionHistory], session_id: int | None, patient_id: int) -> int:
    if session_id is not None:
        for index, visit in enumerate(history):
            if visit.session.id == session_id:
                return index
        raise UserError(
            f"session {session_id} is not a counted visit of patient {patient_id} (another "
            "patient's, voided, or without measured results)"
        )
    if not history:
        raise UserError(f"patient {patient_id} has no session with results yet")
    return len(history) - 1


def latest_session_with_results(db: Database, patient_id: int) -> int | None:
    """Id of the patient's latest counted session with results (None when there is none)."""
    history = _with_results(db.patient_history(patient_id, counted_only=True))
    return int(history[-1].session.id) if history else None


@dataclass(frozen=True)
class SessionContext:
    """One counted visit of a patient, interpreted against the previous and the first one.

    Attributes
    ----------
    history : list of SessionHistory
        The patient's counted visits with results (oldest first).
    index : int
        Position of the chosen visit in ``history``.
    summaries : list of HistoryVisit
        Visits up to and including the chosen one, summarised.
    interp : SessionInterpretation
        Against the previous counted visit and the first one.
    day : date
    baseline : Baseline or None
        The first visit, for the plateau rule (None on a first visit).
    previous_plan : PreviousPlan or None
        The previous visit's saved plan, which a generated plan continues.
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
    previous_plan: PreviousPlan | None = None

    @property
    def session_id(self) -> int:
        """Id of the chosen session."""
        return int(self.history[self.index].session.id)

    @property
    def visit(self) -> SessionHistory:
        """The chosen visit."""
        return self.history[self.index]


def _previous_plan(db: Database, summaries: Sequence[HistoryVisit]) -> PreviousPlan | None:
    if len(summaries) < 2 or summaries[-2].session_id is None:
        return None
    stored = db.latest_plan(int(summaries[-2].session_id))
    if stored is None:
        return None
    try:
        return PreviousPlan(Plan.from_dict(stored.plan), summaries[-2].day)
    except PlanError:
        return None  # an unreadable old plan is not continued; the new one starts afresh


def session_context(
    db: Database, patient_id: int, session_id: int | None = None
) -> SessionContext:
    """Summarise and interpret one counted visit (default: the latest with results).

    Raises
    ------
    UserError
        Unknown patient, a session of another patient (or voided, or without results), or
        no results yet.
    """
    patient = db.get_patient(patient_id)
    history = _with_results(db.patient_history(patient_id, counted_only=True))
    index = _pick(history, session_id, patient_id)
    norms = clinic_norms(db)
    summaries = [
        HistoryVisit(v.session.id, day_of(v.session.started_at),
                     visit_summary(v, past=n < index), v.session.examiner or "")
        for n, v in enumerate(history[: index + 1])
    ]  # fmt: skip
    summary = summaries[-1].summary
    previous = summaries[-2].summary if len(summaries) > 1 else None
    first = summaries[0].summary if len(summaries) > 1 else None
    involved = patient.involved_side if patient.involved_side in SIDES else None
    dominant = patient.dominant_leg if patient.dominant_leg in SIDES else None
    interp = interpret_session(
        summary, previous, first=first, involved_side=involved, dominant_side=dominant,
        norms=norms,
    )  # fmt: skip
    day = summaries[-1].day
    baseline = None
    if len(summaries) > 1:
        baseline = Baseline(summaries[0].summary, (day - summaries[0].day).days / 7.0)
    return SessionContext(
        patient, history, index, summaries, interp, day, baseline, norms,
        _previous_plan(db, summaries),
    )  # fmt: skip


def generate_plan(
    ctx: SessionContext, *, red_flags: Sequence[str] = (), red_flags_checked: bool = False
) -> Plan:
    """A freshly generated plan for the visit (not saved), continuing the previous one."""
    return build_plan(
        ctx.interp,
        session_date=ctx.day,
        session_id=ctx.session_id,
        baseline=ctx.baseline,
        previous=ctx.previous_plan,
        red_flags=red_flags,
        red_flags_checked=red_flags_checked,
        norms=ctx.norms,
    )


def session_plan(db: Database, ctx: SessionContext) -> Plan:
    """The visit's latest saved plan, or a generated one when none was saved."""
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


__all__ = [
    "SessionContext",
    "clinic_norms",
    "day_of",
    "generate_plan",
    "latest_session_with_results",
    "session_context",
    "session_plan",
    "trial_rows",
    "visit_summary",
]
