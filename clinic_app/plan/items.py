"""Plan items from library exercises, and the pain-monitoring rule in words."""

from __future__ import annotations

from collections.abc import Sequence

from clinic_app.analysis.norms import Norms
from clinic_app.analysis.verdicts import basis_words
from clinic_app.plan.library import Exercise
from clinic_app.plan.model import PlanItem


def make_item(
    exercise: Exercise,
    because: Sequence[str],
    *,
    level: int = 1,
    side: str | None = None,
    notes: str = "",
) -> PlanItem:
    """A plan item at one of the exercise's dose levels (clamped to those that exist)."""
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


__all__ = ["make_item", "pain_rule"]
