"""The plan engine: findings → a phased progression plan with doses and a re-test date.

Rules, in the order a clinician reads them (DESIGN.md "Plan logic"; clinical reference §3):

1. A ticked red flag stops the plan: no exercises, plain words on whom to see.
2. Pain decides before range (§3.6). Lunge pain above the acceptable level (5/10), at any
   site and any range, gives a *reduce-load* plan: low-load calf holds within the pain rule,
   end-range and heavy loading held, running cut back within the rule, review before the next
   visit — never "continue normal training". Calf or Achilles pain at any level puts tendon
   loading (heavy slow resistance, Beyer 2015) in the plan whatever the range, dosed by the
   pain rule. Front-of-ankle pain removes every end-range drill, keeps calf strength (lowering
   only to level) and flags a review.
3. Range: a lunge below the reference or a left–right difference → mobility with strength
   alongside. A distance under the [U] clinic default with a normal angle starts nothing.
4. Balance: a judged deficit → the balance ladder (one rung below the failing condition) and
   the single-leg squat.
5. Running: with symptoms, the step-rate cue now (§3.8); drills and strides once range and
   control are within reference and pain-free, or range stops improving (with review).
   Never a mid/forefoot cue with calf or Achilles pain.
6. A re-test continues the previous plan (§3.7, :mod:`clinic_app.plan.progression`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from clinic_app.analysis.norms import Norms, load_norms
from clinic_app.analysis.session import SessionInterpretation
from clinic_app.plan import rules
from clinic_app.plan.carry import continue_plan, notes
from clinic_app.plan.findings import (
    DF_KINDS,
    Baseline,
    PreviousPlan,
    balance_findings,
    continued_finding,
    dorsiflexion_findings,
    plateau_finding,
    readiness_finding,
    red_flag_findings,
)
from clinic_app.plan.items import make_item, pain_rule
from clinic_app.plan.library import Library, load_library
from clinic_app.plan.model import Finding, Note, Plan, PlanItem, PlanPhase
from clinic_app.plan.pain import PainState, pain_findings, pain_state
from clinic_app.plan.progression import Judged
from clinic_app.plan.rules import DRILL_IDS, Draft, Facts, ids_of
from clinic_app.plan.running import running_advice

__all__ = ["Baseline", "PreviousPlan", "build_plan", "make_item", "pain_rule"]


def build_plan(
    interp: SessionInterpretation,
    *,
    session_date: date,
    session_id: int | None = None,
    red_flags: Sequence[str] = (),
    red_flags_checked: bool = False,
    baseline: Baseline | None = None,
    previous: PreviousPlan | None = None,
    library: Library | None = None,
    norms: Norms | None = None,
    now: datetime | None = None,
) -> Plan:
    """Build the progression plan of one session.

    Parameters
    ----------
    interp : SessionInterpretation
        From :func:`clinic_app.analysis.session.interpret_session` (with the previous visit,
        so that the lunge change since then can move levels).
    session_date : date
        Date of the visit; the re-test date counts from it.
    session_id : int, optional
    red_flags : sequence of str
        Ids of the ticked red-flag checklist items (``exercises.toml`` ``[[red_flag]]``).
    red_flags_checked : bool
        True once the clinician completed the checklist (documents say so otherwise).
    baseline : Baseline, optional
        The first visit with results, for the plateau rule.
    previous : PreviousPlan, optional
        The previous visit's saved plan, which this one continues (§3.7).
    library, norms : optional
        Default: the bundled ``exercises.toml`` and ``norms.toml``.
    now : datetime, optional
        Time stamp of the plan (UTC); default now.
    """
    library = library or load_library()
    norms = norms or load_norms()
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    rule, rule_basis = pain_rule(norms)
    pain = pain_state(interp.summary, norms)
    flags = red_flag_findings(red_flags, library)
    common: dict[str, Any] = {
        "generated_at": stamp,
        "session_id": session_id,
        "red_flags": tuple(red_flags),
        "red_flags_checked": red_flags_checked or bool(red_flags),
        "pain_rule": rule,
        "pain_rule_basis": rule_basis,
        "pain_safe_max": pain.safe,
        "pain_acceptable_max": pain.acceptable,
    }
    pains = pain_findings(pain, library, norms)
    df = dorsiflexion_findings(interp)
    bal = balance_findings(interp)
    if flags:  # the measured findings stay on record; the red flag decides the plan
        return _stopped([*flags, *pains, *df, *bal], red_flags, library, norms, pain, common)
    if previous is not None and previous.plan.status != "active":
        previous = None  # a stopped plan has nothing to continue
    plateau = plateau_finding(interp, df, baseline, norms)
    ready = readiness_finding(interp, df, bal, pain_free=not pain.any)
    continued = continued_finding(previous, session_date)
    findings = [*pains, *df, *bal, *(f for f in (plateau, continued, ready) if f is not None)]
    facts = Facts(
        library, norms, pain,
        {kind: ids_of([f for f in pains if f.kind == kind]) for kind in ("lunge_pain",
                                                                        "anterior_pain")},
        [f for f in df if f.kind in DF_KINDS],
        [f for f in bal if f.kind == "balance_deficit"],
        plateau, ready,
        Judged(pain, interp.changes, [f for f in bal if f.kind == "balance_deficit"],
               interp.balance_tested, session_date, norms),
        baseline.weeks_before if baseline is not None else 0.0,
    )  # fmt: skip
    draft = Draft()
    rules.mobility(facts, draft)
    rules.strength(facts, draft)
    rules.balance(facts, draft, previous)
    rules.running(facts, draft)
    continue_plan(facts, draft, previous, continued)
    referrals, prompts = notes(facts, draft)
    phases = _assemble(library, draft)
    urgent = pain.worst() > pain.safe or pain.anterior_sides or plateau is not None
    weeks = norms.value("retest.min_weeks" if urgent else "retest.max_weeks")
    drills = any(i.exercise_id in DRILL_IDS for p in phases for i in p.items)
    advice, basis = running_advice(pain, library, norms, stopped=False, drills_now=drills)
    plan = Plan(
        retest_date=(session_date + timedelta(weeks=weeks)).isoformat(),
        retest_weeks=weeks,
        status="active",
        findings=tuple(findings),
        phases=tuple(phases),
        referral_notes=tuple(referrals),
        prompts=tuple(prompts),
        reduce_load=bool(pain.high_sides),
        running_advice=advice,
        running_basis=basis,
        continues=previous.plan.session_id if previous is not None else None,
        transitions=tuple(draft.transitions),
        **common,
    )
    from clinic_app.plan.text import plan_summary

    return Plan(**{**plan.__dict__, "summary": plan_summary(plan, library)})


def _stopped(
    flags: list[Finding], red_flags: Sequence[str], library: Library, norms: Norms,
    pain: PainState, common: dict[str, Any],
) -> Plan:  # fmt: skip
    notes = tuple(
        Note(f.id, library.red_flags[f.id.removeprefix("red_flag_")].see, (f.id,), f.evidence,
             f.source)
        for f in flags
        if f.kind == "red_flag"
    )  # fmt: skip
    advice, basis = running_advice(pain, library, norms, stopped=True, drills_now=False)
    labels = "; ".join(library.red_flags[r].label for r in red_flags)
    return Plan(
        retest_date="",
        retest_weeks=0.0,
        status="stopped",
        findings=tuple(flags),
        phases=(),
        referral_notes=notes,
        summary=(
            f"Exercise plan stopped: red flag present ({labels}). See the referral notes; "
            "re-assess after medical review."
        ),
        running_advice=advice,
        running_basis=basis,
        **common,
    )


def _assemble(library: Library, draft: Draft) -> list[PlanPhase]:
    phases: list[PlanPhase] = []
    active: list[str] = []
    for phase_id in ("mobility", "strength", "balance", "running"):
        if phase_id not in draft.causes:
            continue
        items = draft.items.get(phase_id, [])
        d = library.phases[phase_id]
        status = "current" if items else "later"
        because = tuple(draft.causes[phase_id])
        phases.append(PlanPhase(d.id, d.title, status, d.entry, d.exit, because, tuple(items)))
        if items:
            active.extend(c for c in because if c not in active)
    if active:
        d = library.phases["recovery"]
        item = make_item(library.exercise("calf_self_massage"), tuple(active))
        item = PlanItem(**{**item.__dict__, "progression": ""})
        phases.append(PlanPhase(d.id, d.title, "current", d.entry, d.exit, tuple(active), (item,)))
    return phases
