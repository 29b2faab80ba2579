"""Words for a plan: the clinician's one-paragraph summary and the patient's explanations."""

from __future__ import annotations

from clinic_app.plan.library import Library
from clinic_app.plan.model import Finding, Plan

_KIND_ORDER = {
    "red_flag": 0,
    "loading_pain": 1,
    "anterior_pain": 2,
    "dorsiflexion_below_reference": 3,
    "dorsiflexion_asymmetry": 4,
    "plateau": 5,
    "balance_deficit": 6,
    "range_within_reference": 7,
}
_LEVEL_ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}


def ranked_findings(plan: Plan) -> list[Finding]:
    """Findings, most important first (red flags, pain, range, plateau, balance, good news)."""
    return sorted(
        plan.findings, key=lambda f: (_LEVEL_ORDER.get(f.level, 9), _KIND_ORDER.get(f.kind, 9))
    )


def top_findings(plan: Plan, n: int = 3) -> list[Finding]:
    """The ``n`` most important findings (distinct kinds and sides first)."""
    seen: set[tuple[str, str | None]] = set()
    first: list[Finding] = []
    rest: list[Finding] = []
    for f in ranked_findings(plan):
        key = (f.kind, f.side)
        (rest if key in seen else first).append(f)
        seen.add(key)
    return (first + rest)[:n]


def _names(plan: Plan, library: Library, phase_id: str) -> list[str]:
    phase = next((p for p in plan.phases if p.id == phase_id), None)
    if phase is None:
        return []
    return [library.exercise(i.exercise_id).name.lower() for i in phase.items]


def plan_summary(plan: Plan, library: Library) -> str:
    """The plan in one paragraph for page 1 of the clinician report."""
    if plan.status == "stopped":
        return plan.summary
    current = [p for p in plan.phases if p.status == "current"]
    if not current:
        return (
            "No finding calls for exercises. Continue normal training; re-test on "
            f"{plan.retest_date}."
        )
    parts: list[str] = []
    for phase in current:
        names = _names(plan, library, phase.id)
        if not names or phase.id == "recovery":
            continue
        sides = {i.side for i in phase.items if i.side}
        side = f" ({next(iter(sides))} side)" if len(sides) == 1 else ""
        short = phase.title.split("·")[-1].split("(")[0].strip()
        parts.append(f"{short}{side}: {', '.join(names)}")
    later = [p.title.split("·")[-1].strip().lower() for p in plan.phases if p.status == "later"]
    text = "; ".join(parts) + "."
    if later:
        text += f" Later, once the entry criteria are met: {', '.join(later)}."
    if plan.referral_notes:
        text += f" {len(plan.referral_notes)} referral note(s)."
    if plan.prompts:
        text += " Review prompt: no change beyond the MDC after the plateau period."
    text += f" Re-test on {plan.retest_date} ({plan.retest_weeks:g} weeks)."
    return text


def patient_summary(plan: Plan) -> str:
    """'What we found and why it matters', in plain words (reading age about 12)."""
    if plan.status == "stopped":
        return (
            "Today's check found something that a doctor needs to look at before you start "
            "exercises. Please follow the advice below and do not start the exercises yet."
        )
    seen: set[str] = set()
    sentences: list[str] = []
    for f in ranked_findings(plan):
        if f.patient_text not in seen:
            sentences.append(f.patient_text)
            seen.add(f.patient_text)
    found = " ".join(sentences[:4]) if sentences else "Your tests looked good today."
    why = (
        " Why it matters: when the ankle cannot bend enough, the knee, hip and back take "
        "extra load with every running step, and balance on one leg helps protect the ankle "
        "from sprains. The exercises below work on exactly what we found."
    )
    return found + why
