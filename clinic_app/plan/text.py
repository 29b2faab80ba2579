"""Words for a plan: the clinician's one-paragraph summary and the patient's explanations.

Both are computed from the plan as it stands, so they follow the clinician's edits (an item
removed in the editor is no longer named; an added one is).
"""

from __future__ import annotations

from clinic_app.plan.library import Library
from clinic_app.plan.model import CLINICIAN_DOSE, Finding, Plan, PlanItem

_KIND_ORDER = {
    "red_flag": 0,
    "lunge_pain": 1,
    "anterior_pain": 2,
    "dorsiflexion_below_reference": 3,
    "dorsiflexion_asymmetry": 4,
    "plateau": 5,
    "balance_deficit": 6,
    "dorsiflexion_borderline": 7,
    "balance_not_tested": 8,
    "range_within_reference": 9,
    "plan_continued": 10,
}
_LEVEL_ORDER = {"red": 0, "amber": 1, "grey": 2, "green": 3}


def ranked_findings(plan: Plan) -> list[Finding]:
    """Findings, most important first (red flags, pain, range, plateau, balance, the rest)."""
    return sorted(
        plan.findings, key=lambda f: (_LEVEL_ORDER.get(f.level, 9), _KIND_ORDER.get(f.kind, 99))
    )


def top_findings(plan: Plan, n: int = 3) -> list[Finding]:
    """The ``n`` most important findings (distinct kinds and sides first).

    Pain is never left out of the key findings: a painful side's finding is always among
    them (issue 13 §3).
    """
    seen: set[tuple[str, str | None]] = set()
    first: list[Finding] = []
    rest: list[Finding] = []
    for f in ranked_findings(plan):
        if f.kind == "plan_continued":
            continue
        key = (f.kind, f.side)
        (rest if key in seen else first).append(f)
        seen.add(key)
    chosen = (first + rest)[:n]
    for f in plan.findings:
        if f.kind == "lunge_pain" and f not in chosen:
            chosen = [*chosen[: n - 1], f] if len(chosen) >= n else [*chosen, f]
    return chosen


def _names(plan: Plan, library: Library, phase_id: str) -> list[str]:
    phase = next((p for p in plan.phases if p.id == phase_id), None)
    if phase is None:
        return []
    out = []
    for item in phase.items:
        ex = library.exercises.get(item.exercise_id)
        out.append((ex.name if ex else item.exercise_id).lower())
    return out


def _short(title: str) -> str:
    return title.split("·")[-1].split("(")[0].strip()


def plan_summary(plan: Plan, library: Library) -> str:
    """The plan in one paragraph for page 1 of the clinician report (and the editor header).

    "Continue normal training" is written only when nothing hurt: never after lunge pain
    above the acceptable level, never with a deficit being treated.
    """
    if plan.status == "stopped":
        return plan.summary
    current = [p for p in plan.phases if p.status == "current" and p.items]
    parts: list[str] = []
    if plan.reduce_load:
        parts.append(
            "Reduce load: lunge pain above the acceptable level, so low-load work within the "
            "pain rule and a review before the next visit"
        )
    for phase in current:
        names = _names(plan, library, phase.id)
        if not names or phase.id == "recovery":
            continue
        sides = {i.side for i in phase.items if i.side}
        side = f" ({next(iter(sides))} side)" if len(sides) == 1 else ""
        parts.append(f"{_short(phase.title)}{side}: {', '.join(names)}")
    later = [_short(p.title).lower() for p in plan.phases if p.status == "later"]
    if not parts:
        text = "No finding calls for exercises. Continue normal training."
    else:
        text = "; ".join(parts) + "."
    if later:
        text += f" Later, once the entry criteria are met: {', '.join(later)}."
    if plan.referral_notes:
        n = len(plan.referral_notes)
        text += f" {n} referral note{'s' if n != 1 else ''}."
    if plan.prompts:
        text += " Review prompt: no change beyond the MDC after the plateau period."
    if plan.retest_date:
        text += f" Re-test on {plan.retest_date} ({plan.retest_weeks:g} weeks)."
    return text


def patient_summary(plan: Plan) -> str:
    """'What we found and why it matters', in plain words (reading age about 12)."""
    if plan.status == "stopped":
        return (
            "Today's check found something that a doctor needs to look at first. Please "
            "follow the advice below."
        )
    seen: set[str] = set()
    sentences: list[str] = []
    for f in ranked_findings(plan):
        if f.patient_text and f.patient_text not in seen and f.kind != "plan_continued":
            sentences.append(f.patient_text)
            seen.add(f.patient_text)
    found = " ".join(sentences[:5]) if sentences else "We found nothing that needs exercises."
    if not any(p.items for p in plan.phases if p.id != "recovery"):
        return found
    kinds = {f.kind for f in plan.findings}
    reasons = []
    if kinds & {"dorsiflexion_below_reference", "dorsiflexion_asymmetry", "plateau"}:
        reasons.append(
            "an ankle that cannot bend enough makes the knee and hip take extra load with every "
            "running step"
        )
    if "lunge_pain" in kinds:
        reasons.append(
            "a sore calf, Achilles or ankle recovers best with the right amount of load: not "
            "too much, and not none"
        )
    if "balance_deficit" in kinds:
        reasons.append("good balance on one leg helps protect the ankle from sprains")
    if not reasons:
        return found + " The exercises below bring your ankle range into your running."
    why = "; ".join(reasons)
    return f"{found} Why it matters: {why}. The exercises below work on what we found."


def edited_dose(item: PlanItem) -> bool:
    """True when the clinician typed this item's dose (it is then theirs, not a default)."""
    return item.dose_source == CLINICIAN_DOSE


def dose_basis(item: PlanItem, *, long: bool = False) -> str:
    """Where an item's dose comes from, in words: edited, clinic default, or its evidence.

    A dose the clinician edited is "set by clinician", never "clinic default" (issue 14
    §5), even though both carry the [U] tag (neither is research-based).

    Parameters
    ----------
    item : PlanItem
    long : bool
        The report's wording ("set by the clinician for this patient (not research-based)").
    """
    if edited_dose(item):
        return (
            "set by the clinician for this patient (not research-based)"
            if long
            else "set by clinician"
        )
    if item.dose_evidence == "U":
        return "clinic default (not research-based)" if long else "clinic default"
    return f"[{item.dose_evidence}] {item.dose_source}"
