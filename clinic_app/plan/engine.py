"""The plan engine: findings → a phased progression plan with doses and a re-test date.

Rules (DESIGN.md "Plan logic"; clinical reference §3):

- A ticked red flag stops the plan: no exercises, the red flag says whom to see.
- Lunge below the reference or left–right asymmetry → **mobility** (calf stretches knee
  straight and bent, belt self-mobilisation, ankle rocks) with **strength** alongside (heavy
  slow calf raises; slow heel drops instead when the lunge hurt in the calf/Achilles).
- Pain above the acceptable level holds loading (strength, running) and adds a referral note;
  front-of-ankle pain adds the impingement note and keeps end-range work short of the pinch.
- A balance deficit → the **balance ladder**, starting one rung below the failing condition.
- Range and control within reference, or a plateau → **running integration**; otherwise the
  running phase is listed as ``later`` with its entry criteria.
- Re-test after the shorter interval when pain, impingement or a plateau is present.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.session import SessionInterpretation
from clinic_app.analysis.verdicts import basis_words
from clinic_app.plan.findings import (
    Baseline,
    balance_findings,
    dorsiflexion_findings,
    pain_findings,
    plateau_finding,
    readiness_finding,
    red_flag_findings,
)
from clinic_app.plan.library import Exercise, Library, load_library
from clinic_app.plan.model import Finding, Note, Plan, PlanItem, PlanPhase

MOBILITY_IDS = ("calf_stretch_straight", "calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks")
END_RANGE_IDS = ("lunge_self_mob_belt", "ankle_rocks")
RUNNING_IDS = ("toe_taps", "line_steps", "running_ankle_rocks", "midfoot_strides")
CONDITION_RUNG = {"eo_firm": 1, "ec_firm": 2, "eo_foam": 3, "ec_foam": 4}
"""Ladder rung that trains each tested balance condition (clinical reference §3.3)."""


def make_item(
    exercise: Exercise,
    because: Sequence[str],
    *,
    level: int = 1,
    side: str | None = None,
    notes: str = "",
) -> PlanItem:
    """A plan item at one of the exercise's dose levels."""
    dose_level = exercise.level(level)
    return PlanItem(
        exercise_id=exercise.id,
        level=dose_level.level,
        dose=dose_level.dose,
        dose_evidence=dose_level.evidence,
        dose_source=dose_level.source,
        because=tuple(because),
        side=side,
        notes=notes,
    )


def _sides(findings: Sequence[Finding]) -> str | None:
    sides = {f.side for f in findings if f.side}
    return next(iter(sides)) if len(sides) == 1 else None


def _ids(findings: Sequence[Finding]) -> tuple[str, ...]:
    return tuple(f.id for f in findings)


def _phase(
    library: Library, phase_id: str, status: str, because: Sequence[str], items: Sequence[PlanItem]
) -> PlanPhase:
    d = library.phases[phase_id]
    return PlanPhase(d.id, d.title, status, d.entry, d.exit, tuple(because), tuple(items))


def pain_rule(norms: Norms) -> tuple[str, str]:
    """The pain-monitoring rule in words and its basis (Silbernagel 2007, norms.toml)."""
    safe = norms.value("pain.safe_max_nrs")
    acceptable = norms.value("pain.acceptable_max_nrs")
    text = (
        f"Pain during and after the exercises: 0–{safe:g} out of 10 is safe; "
        f"{safe + 1:g}–{acceptable:g} is acceptable; above {acceptable:g} is too much, so make "
        "the exercise easier. Pain and stiffness the next morning must not be worse than "
        "before: if they are, go back a step."
    )
    return text, basis_words(norms["pain.safe_max_nrs"])


def build_plan(
    interp: SessionInterpretation,
    *,
    session_date: date,
    session_id: int | None = None,
    red_flags: Sequence[str] = (),
    red_flags_checked: bool = False,
    baseline: Baseline | None = None,
    library: Library | None = None,
    norms: Norms | None = None,
    now: datetime | None = None,
) -> Plan:
    """Build the progression plan of one session.

    Parameters
    ----------
    interp : SessionInterpretation
        From :func:`clinic_app.analysis.session.interpret_session`.
    session_date : date
        Date of the visit; the re-test date counts from it.
    session_id : int, optional
    red_flags : sequence of str
        Ids of the ticked red-flag checklist items (``exercises.toml`` ``[[red_flag]]``).
    red_flags_checked : bool
        True once the clinician completed the checklist (documents say so otherwise).
    baseline : Baseline, optional
        The earliest session of the current episode, for the plateau rule.
    library, norms : optional
        Default: the bundled ``exercises.toml`` and ``norms.toml``.
    now : datetime, optional
        Time stamp of the plan (UTC); default now.
    """
    library = library or load_library()
    norms = norms or load_norms()
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rule, rule_basis = pain_rule(norms)
    flags = red_flag_findings(red_flags, library)
    df = dorsiflexion_findings(interp)
    bal = balance_findings(interp)
    pain = pain_findings(interp, library, norms)
    plateau = plateau_finding(interp, df, baseline, norms)
    ready = readiness_finding(interp, df, bal)
    extra = [f for f in (plateau, ready) if f is not None]
    findings = [*flags, *df, *bal, *pain, *extra]
    common: dict[str, Any] = {
        "generated_at": stamp,
        "session_id": session_id,
        "red_flags": tuple(red_flags),
        "red_flags_checked": red_flags_checked or bool(red_flags),
        "pain_rule": rule,
        "pain_rule_basis": rule_basis,
        "pain_safe_max": norms.value("pain.safe_max_nrs"),
        "pain_acceptable_max": norms.value("pain.acceptable_max_nrs"),
    }
    if flags:
        notes = tuple(
            Note(
                f.id,
                library.red_flags[f.id.removeprefix("red_flag_")].see,
                (f.id,),
                f.evidence,
                f.source,
            )
            for f in flags
        )
        return Plan(
            retest_date="",
            retest_weeks=0.0,
            status="stopped",
            findings=tuple(findings),
            phases=(),
            referral_notes=notes,
            summary=(
                "Exercise plan stopped: red flag present ("
                + "; ".join(library.red_flags[r].label for r in red_flags)
                + "). See the referral notes; re-assess after medical review."
            ),
            **common,
        )
    posterior_sides = {
        side for side, lunge in interp.summary.lunge.items() if "posterior" in lunge.pain_locations
    }
    weeks_before = baseline.weeks_before if baseline is not None else 0.0
    phases, referrals, prompts = _phases(
        library, df, bal, pain, plateau, ready, posterior_sides, weeks_before
    )
    urgent = any(f.kind in ("loading_pain", "anterior_pain") for f in pain) or plateau is not None
    weeks = norms.value("retest.min_weeks" if urgent else "retest.max_weeks")
    retest = session_date + timedelta(weeks=weeks)
    plan = Plan(
        retest_date=retest.isoformat(),
        retest_weeks=weeks,
        status="active",
        findings=tuple(findings),
        phases=tuple(phases),
        referral_notes=tuple(referrals),
        prompts=tuple(prompts),
        **common,
    )
    from clinic_app.plan.text import plan_summary

    return Plan(**{**plan.__dict__, "summary": plan_summary(plan, library)})


def _phases(
    library: Library,
    df: Sequence[Finding],
    bal: Sequence[Finding],
    pain: Sequence[Finding],
    plateau: Finding | None,
    ready: Finding | None,
    posterior_sides: set[str],
    weeks_before: float,
) -> tuple[list[PlanPhase], list[Note], list[Note]]:
    phases: list[PlanPhase] = []
    referrals: list[Note] = []
    prompts: list[Note] = []
    ex = library.exercise
    anterior = [f for f in pain if f.kind == "anterior_pain"]
    loading = [f for f in pain if f.kind == "loading_pain"]
    high_pain = [f for f in loading if f.level == "red"]
    for f in anterior:
        ref = library.referral("anterior_impingement")
        referrals.append(
            Note(f"ref_{f.id}", ref.text.format(side=f.side), (f.id,), ref.evidence, ref.source)
        )
    for f in high_pain:
        ref = library.referral("loading_pain_high")
        referrals.append(
            Note(f"ref_{f.id}", ref.text.format(side=f.side), (f.id,), ref.evidence, ref.source)
        )
    if plateau is not None:
        ref = library.referral("plateau")
        prompts.append(
            Note(
                "review_plateau",
                ref.text.format(weeks=round(weeks_before)),
                (plateau.id,),
                ref.evidence,
                ref.source,
            )
        )
    active_causes: list[str] = []
    if df:
        side = _sides(df)
        causes = _ids(df)
        pinch = "Stay short of any pinch at the front of the ankle." if anterior else ""
        items = [
            make_item(
                ex(i),
                causes + (_ids(anterior) if i in END_RANGE_IDS else ()),
                side=side,
                notes=pinch if i in END_RANGE_IDS else "",
            )
            for i in MOBILITY_IDS
        ]
        phases.append(_phase(library, "mobility", "current", causes, items))
        posterior = [f for f in loading if f.level != "red" and f.side in posterior_sides]
        strength_id = "eccentric_heel_drops" if posterior else "hsr_calf_raises"
        if high_pain:
            phases.append(_phase(library, "strength", "later", _ids(high_pain), []))
        else:
            item = make_item(ex(strength_id), causes + _ids(posterior), side=side)
            phases.append(_phase(library, "strength", "current", causes + _ids(posterior), [item]))
        active_causes.extend(causes)
    if bal:
        start = max(1, min(CONDITION_RUNG.get(f.condition or "", 1) for f in bal) - 1)
        rung = next((e for e in library.ladder() if e.ladder == start), library.ladder()[0])
        item = make_item(rung, _ids(bal), side=_sides(bal))
        phases.append(_phase(library, "balance", "current", _ids(bal), [item]))
        active_causes.extend(_ids(bal))
    running_causes = _ids([f for f in (ready, plateau) if f is not None])
    if running_causes and not high_pain:
        items = [make_item(ex(i), running_causes) for i in RUNNING_IDS]
        phases.append(_phase(library, "running", "current", running_causes, items))
        active_causes.extend(running_causes)
    elif df or bal or high_pain:
        phases.append(_phase(library, "running", "later", _ids([*df, *bal, *high_pain]), []))
    if active_causes:
        unique = tuple(dict.fromkeys(active_causes))
        item = make_item(ex("calf_self_massage"), unique)
        phases.append(_phase(library, "recovery", "current", unique, [item]))
    return phases, referrals, prompts
