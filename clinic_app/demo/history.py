"""Past visits of the demo patients: simulated recordings, real analysis, saved plans.

The scripts below say only what the fictional runners *are* on each visit (their true
maximal dorsiflexion, how steady they stand, whether a heel rises or a foot touches down);
every stored number is measured from the simulated devices by the real analysis code
(:mod:`clinic_app.demo.trials`), and every plan is generated from those measurements by
:func:`clinic_app.plan.build_plan`, as the clinic's own workflow would.

The showcase is Amélie Durand (``DEMO-001``, left side involved): four visits over twelve
weeks, one of them by a second examiner; her left ankle gains range beyond the MDC while the
right one stays put, her left single-leg balance settles, and the first visit has an invalid
heel-lift lunge and a balance trial failed by a touchdown. Three more runners have one or two
visits, one of them with the inclinometer at another site (angles then are not compared).
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from clinic_app.analysis.interpret import SITE_15CM, SITE_TUBEROSITY
from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.session import SessionSummary, interpret_session, summarize_session
from clinic_app.demo.trials import DemoRig, TapeModel, TrialOutcome
from clinic_app.plan import Baseline, PreviousPlan, build_plan
from clinic_app.storage import Database, Patient, Trial

log = logging.getLogger(__name__)

EXAMINER = "Dr. Léa Moreau"
SECOND_EXAMINER = "Tom Okafor"

#: Segment length ratio knee–ankle / body height (Winter, Biomechanics and Motor Control of
#: Human Movement, segment table): used by the demo's tape model only.
SHANK_RATIO = 0.246


@dataclass(frozen=True)
class LungePlan:
    """What happens at one visit's lunge test on one side."""

    side: str
    max_deg: float
    heel_lift_attempts: tuple[int, ...] = ()
    pain_nrs: int = 0
    pain_location: str = "none"


@dataclass(frozen=True)
class VisitScript:
    """One visit: when, by whom, and what the runner is like that day.

    Attributes
    ----------
    week : float
        Weeks after the patient's first visit.
    examiner : str
    max_deg : dict of side to float
        True maximal tibial angle (°) the simulated patient reaches.
    sway : dict of side to float
        Sway scale per side (1 = the recorded healthy adult's sway).
    conditions : tuple of str
        Balance conditions tested (each side, ``trials`` trials each).
    trials : int
        Measured balance trials per side and condition.
    heel_lift : dict of side to tuple of int
        Lunge attempts in which the heel rises (they are repeated).
    touchdown : dict of (side, condition) to tuple of int
        Balance attempts in which the lifted foot touches down (they are repeated).
    pain : dict of side to (NRS, location)
    site : str
        Inclinometer site of the visit.
    site_offset_deg : float
        How much lower the inclinometer reads at ``site`` than the true tibial angle the
        tape distance follows (°).
    """

    week: float
    examiner: str
    max_deg: dict[str, float]
    sway: dict[str, float]
    conditions: tuple[str, ...] = ("eo_firm", "ec_firm")
    trials: int = 2
    heel_lift: dict[str, tuple[int, ...]] = field(default_factory=dict)
    touchdown: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    pain: dict[str, tuple[int, str]] = field(default_factory=dict)
    site: str = SITE_15CM
    site_offset_deg: float = 0.0


@dataclass(frozen=True)
class PatientScript:
    """A demo patient's visits (``record_number`` of :mod:`clinic_app.storage.demo_seed`)."""

    record_number: str
    seed: int
    toe_cm: float
    last_visit_days_ago: int
    visits: tuple[VisitScript, ...]


_BOTH = ("left", "right")

SCRIPTS: tuple[PatientScript, ...] = (
    PatientScript(
        "DEMO-001", 101, 16.0, 5,
        (
            VisitScript(0, EXAMINER, {"left": 33.0, "right": 43.0}, {"left": 1.6, "right": 1.0},
                        heel_lift={"left": (2,)}, touchdown={("left", "ec_firm"): (2,)},
                        pain={"left": (3, "posterior")}),
            VisitScript(4, EXAMINER, {"left": 35.0, "right": 43.4}, {"left": 1.45, "right": 1.0},
                        pain={"left": (2, "posterior")}),
            VisitScript(8, SECOND_EXAMINER, {"left": 38.5, "right": 42.8},
                        {"left": 1.2, "right": 1.0}, pain={"left": (1, "posterior")}),
            VisitScript(12, EXAMINER, {"left": 41.0, "right": 43.2}, {"left": 1.05, "right": 1.0}),
        ),
    ),
    PatientScript(
        "DEMO-002", 202, 17.0, 12,
        (
            VisitScript(0, EXAMINER, {"left": 44.0, "right": 37.5}, {"left": 1.0, "right": 1.3},
                        conditions=("ec_firm",), pain={"right": (2, "anterior")}),
            VisitScript(6, EXAMINER, {"left": 44.5, "right": 39.0}, {"left": 1.0, "right": 1.2},
                        conditions=("ec_firm",), pain={"right": (1, "anterior")}),
        ),
    ),
    PatientScript(
        "DEMO-003", 303, 18.0, 20,
        (
            VisitScript(0, SECOND_EXAMINER, {"left": 36.0, "right": 35.0},
                        {"left": 1.2, "right": 1.25}, conditions=()),
        ),
    ),
    PatientScript(
        "DEMO-004", 404, 16.5, 9,
        (
            VisitScript(0, EXAMINER, {"left": 37.0, "right": 42.0}, {"left": 1.2, "right": 1.0},
                        conditions=()),
            # This visit's inclinometer sat on the tuberosity, where the published mean angle
            # is 5.9° lower (Hall & Docherty 2017: 44.9° vs 39.0°); the true range is unchanged.
            VisitScript(5, EXAMINER, {"left": 37.0 - 5.9, "right": 42.0 - 5.9},
                        {"left": 1.1, "right": 1.0}, conditions=(), site=SITE_TUBEROSITY,
                        site_offset_deg=5.9),
        ),
    ),
)  # fmt: skip


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _trial_rows(trials: Sequence[Trial]) -> list[dict[str, Any]]:
    return [{f.name: getattr(t, f.name) for f in fields(t)} for t in trials if t.result]


#: Seconds between two trials on the visit's clock (instructions, rest, re-positioning). The
#: simulation skips these pauses, so they cost no samples; the stored times include them.
PAUSE_S = 40.0


def _store_trial(
    db: Database, session_id: int, outcome: TrialOutcome, attempt: int, t0: datetime, shift: float
) -> None:
    started = t0 + timedelta(seconds=outcome.start_s + shift)
    ended = t0 + timedelta(seconds=outcome.end_s + shift)
    trial_id = db.begin_trial(
        session_id, outcome.protocol, outcome.side, outcome.condition, attempt,
        started_at=_stamp(started),
    )  # fmt: skip
    db.finish_trial(
        trial_id, outcome.status, outcome.result, outcome.invalid_reason,
        final_samples=outcome.recordings, ended_at=_stamp(ended),
    )  # fmt: skip


def _run_visit(
    db: Database, session_id: int, rig: DemoRig, visit: VisitScript, t0: datetime
) -> float:
    """Run and store every trial of the visit; return its length on the visit's clock (s)."""
    shift = 120.0 - rig.clock.now()  # two minutes to strap the inclinometer on
    for side in _BOTH:
        nrs, where = visit.pain.get(side, (0, "none"))
        attempt, valid = 0, 0
        while valid < int(rig.norms.value("lunge.measured_trials")):
            attempt += 1
            lifted = attempt in visit.heel_lift.get(side, ())
            outcome = rig.lunge(
                side, heel_lift=lifted, pain_nrs=nrs, pain_location=where,
                site_offset_deg=visit.site_offset_deg,
            )  # fmt: skip
            outcome.result["site"] = visit.site
            _store_trial(db, session_id, outcome, attempt, t0, shift)
            valid += outcome.status == "valid"
            shift += PAUSE_S
    for condition in visit.conditions:
        for side in _BOTH:
            attempt, valid = 0, 0
            while valid < visit.trials and attempt < visit.trials + 3:
                attempt += 1
                falls = attempt in visit.touchdown.get((side, condition), ())
                outcome = rig.balance(side, condition, touchdown_at_s=4.2 if falls else None)
                _store_trial(db, session_id, outcome, attempt, t0, shift)
                valid += outcome.status == "valid"
                shift += PAUSE_S
    return rig.clock.now() + shift


def _visit_start(today: date, script: PatientScript, visit: VisitScript) -> datetime:
    last = script.visits[-1].week
    day = today - timedelta(days=script.last_visit_days_ago + round((last - visit.week) * 7))
    hour = 9 + (script.seed + round(visit.week)) % 8
    return datetime.combine(day, time(hour, 15), tzinfo=UTC)


def _seed_patient(
    db: Database, patient: Patient, script: PatientScript, today: date, norms: Norms
) -> list[int]:
    involved = patient.involved_side if patient.involved_side in _BOTH else None
    tape = TapeModel(SHANK_RATIO * (patient.height_cm or 170.0), script.toe_cm)
    summaries: list[tuple[date, SessionSummary]] = []
    session_ids: list[int] = []
    last_plan: PreviousPlan | None = None
    for index, visit in enumerate(script.visits):
        t0 = _visit_start(today, script, visit)
        rig = DemoRig.create(
            script.seed * 10 + index, patient.mass_kg or 70.0, visit.max_deg, visit.sway, tape
        )
        with db.transaction():
            sid = db.create_session(patient.id, visit.examiner, visit.site, started_at=_stamp(t0))
            elapsed = _run_visit(db, sid, rig, visit, t0)
            rig.close()
            trials = db.trials_for_session(sid)
            summary = summarize_session(
                _trial_rows(trials), session_id=sid, examiner=visit.examiner, site=visit.site
            )
            previous = summaries[-1][1] if summaries else None
            first = summaries[0][1] if summaries else None
            interp = interpret_session(
                summary, previous, first=first, involved_side=involved,
                dominant_side=patient.dominant_leg, norms=norms,
            )  # fmt: skip
            baseline = None
            if summaries:
                weeks = (t0.date() - summaries[0][0]).days / 7.0
                baseline = Baseline(summaries[0][1], weeks)
            end = t0 + timedelta(seconds=math.ceil(elapsed) + 600)
            plan = build_plan(
                interp, session_date=t0.date(), session_id=sid, baseline=baseline,
                previous=last_plan, red_flags_checked=True, norms=norms,
                now=end.replace(tzinfo=UTC),
            )  # fmt: skip
            last_plan = PreviousPlan(plan, t0.date())
            db.save_plan(sid, plan.to_dict(), visit.examiner)
            db.finish_session(sid, "complete", ended_at=_stamp(end))
        summaries.append((t0.date(), summary))
        session_ids.append(sid)
    return session_ids


def seed_demo_history(db: Database, *, today: date | None = None) -> dict[str, list[int]]:
    """Give the scripted demo patients their past visits, once.

    A patient who already has any session is left alone, so calling this again adds
    nothing (and never touches visits a user recorded in the demo database).

    Parameters
    ----------
    db : Database
        With the demo patients already seeded.
    today : date, optional
        The day the history is anchored to (the last visits are a few days before it);
        default today (UTC). The recorded values do not depend on it.

    Returns
    -------
    dict of record number to list of session ids
        Only the patients seeded by this call.
    """
    today = today or datetime.now(UTC).date()
    norms = load_norms()
    seeded: dict[str, list[int]] = {}
    for script in SCRIPTS:
        pid = db.record_number_owner(script.record_number)
        if pid is None or db.list_sessions(pid):
            continue
        patient = db.get_patient(pid)
        seeded[script.record_number] = _seed_patient(db, patient, script, today, norms)
        log.info("demo history: patient %d given %d visits", pid, len(script.visits))
    return seeded
