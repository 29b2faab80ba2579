"""A re-test continues the previous plan (clinical reference §3.7).

:func:`continue_plan` sets every new item's level from the previous plan
(:mod:`clinic_app.plan.progression`), carries over what must go on — loading programmes that
have not run their length, the clinician's own additions — unless a safety rule now rules
them out, and says in words what finished. :func:`notes` adds the referral notes and review
prompts.
"""

from __future__ import annotations

from clinic_app.plan.findings import PreviousPlan
from clinic_app.plan.model import CLINICIAN_CAUSE, Finding, Note, PlanItem
from clinic_app.plan.progression import progress_item, weeks_since
from clinic_app.plan.rules import LOW_LOAD_ID, STEP_RATE_ID, Draft, Facts, pinches


def _excluded(facts: Facts, item: PlanItem, phase_id: str) -> str:
    """Why a carried item may not stay in the plan now ("" when it may)."""
    exercise = facts.library.exercise(item.exercise_id)
    if exercise.end_range and pinches(facts.pain, item.side):
        return "it loads the ankle into the front-of-ankle pinch"
    if exercise.strike_cue and facts.pain.posterior_sides:
        return "it cues a forefoot landing, which loads a painful Achilles"
    held = phase_id in ("mobility", "strength", "running")
    if facts.pain.high_sides and held and item.exercise_id not in (LOW_LOAD_ID, STEP_RATE_ID):
        return "lunge pain is above the acceptable level"
    return ""


def continue_plan(
    facts: Facts, draft: Draft, previous: PreviousPlan | None, continued: Finding | None
) -> None:
    """Levels from the previous plan; carry its unfinished programmes and clinician items."""
    lib, judged = facts.library, facts.judged
    earlier = {
        i.exercise_id: i for p in (previous.plan.phases if previous else ()) for i in p.items
    }
    for phase_id, items in draft.items.items():
        draft.items[phase_id] = [
            item if lib.exercise(item.exercise_id).ladder is not None
            else progress_item(lib, item, earlier.get(item.exercise_id), judged)
            for item in items
        ]  # fmt: skip
    if previous is None or continued is None:
        return
    present = {i.exercise_id for items in draft.items.values() for i in items}
    for phase in previous.plan.phases:
        for item in phase.items:
            exercise = lib.exercises.get(item.exercise_id)
            if exercise is None or item.exercise_id in present or exercise.ladder is not None:
                continue
            name = exercise.name
            added = CLINICIAN_CAUSE in item.because
            key = exercise.programme_weeks
            unfinished = bool(key) and weeks_since(item.started_on, judged.today) < (
                facts.norms.value(key)
            )
            if not (added or unfinished):
                if key:
                    draft.transitions.append(f"{name}: the programme has run its length.")
                continue
            reason = _excluded(facts, item, phase.id)
            if reason:
                draft.transitions.append(f"{name}: not carried over, {reason}.")
                continue
            because = tuple(c for c in item.because if c == CLINICIAN_CAUSE) or (continued.id,)
            carried = progress_item(lib, item, item, judged)
            draft.add(phase.id, PlanItem(**{**carried.__dict__, "because": because}), because)
    for phase in previous.plan.phases:
        finished = phase.id != "recovery" and phase.id not in draft.items
        if phase.status == "current" and phase.items and finished:
            title = phase.title.split("·")[-1].strip()
            draft.transitions.append(f"{title}: finished, its entry findings are gone.")


def notes(facts: Facts, draft: Draft) -> tuple[list[Note], list[Note]]:
    lib, pain = facts.library, facts.pain
    referrals: list[Note] = []
    prompts: list[Note] = []
    values = {"acceptable": f"{pain.acceptable:g}", "safe": f"{pain.safe:g}"}
    for side in pain.anterior_sides:
        ref = lib.referral("anterior_impingement")
        referrals.append(Note(f"ref_anterior_{side}", ref.text.format(side=side, **values),
                              (f"pain_anterior_{side}",), ref.evidence, ref.source))  # fmt: skip
    for side in pain.high_sides:
        ref = lib.referral("loading_pain_high")
        referrals.append(Note(f"ref_pain_{side}", ref.text.format(side=side, **values),
                              (f"pain_{side}",), ref.evidence, ref.source))  # fmt: skip
    review = facts.norms.value("plan.tendon_loading_review_weeks")
    loading = [i for i in draft.items.get("strength", []) if i.exercise_id != LOW_LOAD_ID]
    for side in pain.posterior_sides:
        if any(weeks_since(i.started_on, facts.judged.today) >= review for i in loading):
            ref = lib.referral("tendon_no_improvement")
            referrals.append(Note(f"ref_tendon_{side}", ref.text.format(side=side, weeks=review),
                                  (f"pain_{side}",), ref.evidence, ref.source))  # fmt: skip
    if facts.plateau is not None:
        ref = lib.referral("plateau")
        weeks = round(facts.weeks_since_first)
        prompts.append(Note("review_plateau", ref.text.format(weeks=weeks), (facts.plateau.id,),
                            ref.evidence, ref.source))  # fmt: skip
    return referrals, prompts


__all__ = ["continue_plan", "notes"]
