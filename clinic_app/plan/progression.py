"""Dose progression across visits: a re-test continues the previous plan (§3.7).

Rules (clinical reference §3.7; a convention built from §3.2–3.4 [U]):

- Each exercise keeps the level it had reached. It moves **up one level** when the pain rule
  was kept (lunge pain within the safe level) and its criterion was met — the lunge on its
  side improved beyond the MDC (mobility), the balance deficit went or improved beyond the
  MDC (balance ladder), or simply the pain rule (running drills, holds).
- A loading programme follows its own schedule (heavy slow resistance: week 1 3 × 15RM …
  weeks 9–12 4 × 6RM) and runs to its own end, not until range is normal.
- Pain within the acceptable level but above the safe one holds every level ("carry on, do not
  make it harder"); pain above the acceptable level moves it **down one level**.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from clinic_app.analysis.change import Change
from clinic_app.analysis.norms import Norms
from clinic_app.plan.items import make_item
from clinic_app.plan.library import Exercise, Library
from clinic_app.plan.model import CLINICIAN_DOSE, Finding, PlanItem
from clinic_app.plan.pain import PainState


@dataclass(frozen=True)
class Judged:
    """What a re-test tells the items: pain, lunge change, balance deficits, today."""

    pain: PainState
    changes: Sequence[Change]
    balance_deficits: Sequence[Finding]
    balance_tested: bool
    today: date
    norms: Norms | None = None


def weeks_since(started_on: str, today: date) -> float:
    """Weeks from an ISO date to ``today`` (0 when the date is missing or unreadable)."""
    try:
        return max(0.0, (today - date.fromisoformat(started_on)).days / 7.0)
    except ValueError:
        return 0.0


def _side_words(side: str | None) -> str:
    return f"the {side} side" if side else "either side"


def _lunge_improved(judged: Judged, side: str | None) -> bool:
    return any(
        c.measure.startswith("lunge")
        and c.verdict.status == "improved"
        and (side is None or c.side == side)
        for c in judged.changes
    )


def _balance_better(judged: Judged, side: str | None) -> bool | None:
    """True when the side's balance deficit has gone or improved; None when not re-tested."""
    if not judged.balance_tested:
        return None
    still = [f for f in judged.balance_deficits if side is None or f.side == side]
    improved = any(
        c.measure.startswith("balance")
        and c.verdict.status == "improved"
        and (side is None or c.side == side)
        for c in judged.changes
    )
    return improved or not still


def criterion_met(exercise: Exercise, side: str | None, judged: Judged) -> tuple[bool, str]:
    """Whether the item's own progression criterion was met, and the reason in words."""
    if exercise.progress_by == "lunge":
        if _lunge_improved(judged, side):
            return True, f"the lunge on {_side_words(side)} improved beyond its MDC"
        return False, f"no lunge change beyond the MDC on {_side_words(side)}"
    if exercise.progress_by == "balance":
        better = _balance_better(judged, side)
        if better is None:
            return False, "balance not re-tested"
        if better:
            return True, "the balance deficit has gone or improved beyond the MDC"
        return False, "the balance deficit is still there"
    if exercise.progress_by == "pain":
        return True, "the pain rule was kept"
    return False, "a single-level exercise"


def _programme_weeks(exercise: Exercise, judged: Judged) -> float | None:
    if not exercise.programme_weeks or judged.norms is None:
        return None
    return judged.norms.value(exercise.programme_weeks)


def _level_item(
    library: Library, item: PlanItem, level: int, started_on: str, why: str
) -> PlanItem:
    exercise = library.exercise(item.exercise_id)
    fresh = make_item(exercise, item.because, level=level, side=item.side, notes=item.notes)
    return replace(fresh, started_on=started_on, progression=why)


def _keep_clinicians(new: PlanItem, previous: PlanItem) -> PlanItem:
    """The clinician's own dose and note survive a re-test (the engine never overwrites them)."""
    if previous.dose_source == CLINICIAN_DOSE:
        new = replace(
            new,
            dose=previous.dose,
            dose_evidence=previous.dose_evidence,
            dose_source=previous.dose_source,
            progression=f"the clinician's own dose kept (the rules say: {new.progression})",
        )
    if previous.notes and not new.notes:
        new = replace(new, notes=previous.notes)
    return new


def progress_item(
    library: Library, item: PlanItem, previous: PlanItem | None, judged: Judged
) -> PlanItem:
    """The item at the level this visit gives it, with the reason in ``progression``.

    A dose the clinician typed and their note on the item are kept.
    """
    new = _progress(library, item, previous, judged)
    return new if previous is None else _keep_clinicians(new, previous)


def _progress(
    library: Library, item: PlanItem, previous: PlanItem | None, judged: Judged
) -> PlanItem:
    today = judged.today.isoformat()
    exercise = library.exercise(item.exercise_id)
    if previous is None:
        return replace(item, started_on=today, progression="new at this visit")
    started = previous.started_on or today
    top = len(exercise.levels)
    pain = judged.pain
    nrs = pain.worst(item.side)
    if nrs > pain.acceptable:
        level = max(1, previous.level - 1)
        why = (
            f"down one level: lunge pain {nrs}/10 is above the acceptable {pain.acceptable:g}/10"
            if level < previous.level
            else f"kept at level 1: lunge pain {nrs}/10 is above the acceptable level"
        )
        return _level_item(library, item, level, started, why)
    if exercise.progress_by == "schedule":
        week = int(weeks_since(started, judged.today)) + 1
        scheduled = exercise.level_for_week(week).level
        length = _programme_weeks(exercise, judged)
        if length is not None and week > length and nrs <= pain.safe:
            why = (
                f"the {length:g}-week programme is complete; level {previous.level} kept while "
                "its finding remains"
            )
            return _level_item(library, item, previous.level, started, why)
        if nrs > pain.safe or scheduled <= previous.level:
            why = (
                f"held at level {previous.level}: pain {nrs}/10 is acceptable but not safe"
                if nrs > pain.safe
                else f"week {week} of the programme: level {previous.level} kept"
            )
            return _level_item(library, item, previous.level, started, why)
        return _level_item(
            library, item, scheduled, started, f"week {week} of the programme: level {scheduled}"
        )
    met, reason = criterion_met(exercise, item.side, judged)
    if nrs > pain.safe:
        why = f"held: pain {nrs}/10 is acceptable but not safe, so no harder yet"
        return _level_item(library, item, previous.level, started, why)
    if met and previous.level < top:
        return _level_item(library, item, previous.level + 1, started, f"up one level: {reason}")
    why = f"top level kept: {reason}" if met else f"held: {reason}"
    return _level_item(library, item, previous.level, started, why)


def progress_ladder(
    library: Library, fresh_rung: int, side: str | None, previous: PlanItem | None,
    because: tuple[str, ...], judged: Judged,
) -> PlanItem:  # fmt: skip
    """The balance-ladder item: the previous rung moved by the rules, never below today's start.

    ``fresh_rung`` is where today's findings would start the ladder (one rung below the
    failing condition); 0 when no deficit was found today (the programme continues).
    """
    ladder = library.ladder()
    by_rung = {e.ladder: e for e in ladder}
    today = judged.today.isoformat()
    if previous is None or library.exercise(previous.exercise_id).ladder is None:
        rung = max(1, fresh_rung)
        item = make_item(by_rung.get(rung, ladder[0]), because, side=side)
        return replace(item, started_on=today, progression="new at this visit")
    before = library.exercise(previous.exercise_id).ladder or 1
    nrs = judged.pain.worst(side)
    if nrs > judged.pain.acceptable:
        rung, why = max(1, before - 1), f"down one step: lunge pain {nrs}/10 above acceptable"
    elif nrs > judged.pain.safe:
        rung, why = before, f"held: pain {nrs}/10 is acceptable but not safe"
    else:
        met, reason = criterion_met(library.exercise(previous.exercise_id), side, judged)
        rung = min(len(ladder), before + 1) if met else before
        why = f"up one step: {reason}" if rung > before else f"held: {reason}"
    if fresh_rung > rung:
        rung, why = fresh_rung, f"step {fresh_rung}: one below today's failing condition"
    item = make_item(by_rung.get(rung, ladder[0]), because, side=side)
    return replace(item, started_on=previous.started_on or today, progression=why)


__all__ = ["Judged", "criterion_met", "progress_item", "progress_ladder", "weeks_since"]
