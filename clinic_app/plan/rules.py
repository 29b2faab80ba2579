"""The phase rules of the plan engine: which findings put which exercises in each phase.

Read with :mod:`clinic_app.plan.engine` (the order of the rules) and clinical reference §3.
Each rule adds items (level 1; :mod:`clinic_app.plan.carry` then sets levels from the
previous plan) and the findings behind the phase to a :class:`Draft`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from clinic_app.analysis.norms import Norms
from clinic_app.plan.findings import PreviousPlan
from clinic_app.plan.items import make_item
from clinic_app.plan.library import Library
from clinic_app.plan.model import Finding, PlanItem
from clinic_app.plan.pain import PainState
from clinic_app.plan.progression import Judged, progress_ladder, weeks_since

MOBILITY_IDS = ("calf_stretch_straight", "calf_stretch_bent", "lunge_self_mob_belt", "ankle_rocks")
TENDON_LOADING_ID = "hsr_calf_raises"
LOW_LOAD_ID = "calf_isometric_hold"
SQUAT_ID = "single_leg_squat"
STEP_RATE_ID = "running_step_rate"
DRILL_IDS = ("toe_taps", "line_steps", "running_ankle_rocks", "midfoot_strides")
CONDITION_RUNG = {"eo_firm": 1, "ec_firm": 2, "eo_foam": 3, "ec_foam": 4}
"""Ladder rung that trains each tested balance condition (clinical reference §3.3)."""
LOWER_TO_LEVEL = (
    "Lower only to level (heels not below the step) while the front of the ankle pinches."
)


def sides_of(findings: Sequence[Finding]) -> str | None:
    sides = {f.side for f in findings if f.side}
    return next(iter(sides)) if len(sides) == 1 else None


def ids_of(findings: Sequence[Finding | None]) -> tuple[str, ...]:
    return tuple(f.id for f in findings if f is not None)


@dataclass
class Draft:
    """Phases being built: items and the findings behind each phase."""

    items: dict[str, list[PlanItem]] = field(default_factory=dict)
    causes: dict[str, list[str]] = field(default_factory=dict)
    transitions: list[str] = field(default_factory=list)

    def add(self, phase: str, item: PlanItem | None, because: Sequence[str]) -> None:
        self.items.setdefault(phase, [])
        self.causes.setdefault(phase, [])
        if item is not None and all(i.exercise_id != item.exercise_id for i in self.items[phase]):
            self.items[phase].append(item)
        self.causes[phase].extend(c for c in because if c not in self.causes[phase])


@dataclass(frozen=True)
class Facts:
    """Everything the phase rules read."""

    library: Library
    norms: Norms
    pain: PainState
    pain_ids: dict[str, tuple[str, ...]]
    df: list[Finding]
    balance: list[Finding]
    plateau: Finding | None
    ready: Finding | None
    judged: Judged
    weeks_since_first: float


def mobility(facts: Facts, draft: Draft) -> None:
    if not facts.df:
        return
    side, causes = sides_of(facts.df), ids_of(facts.df)
    if facts.pain.high_sides:
        draft.add("mobility", None, causes + facts.pain_ids["lunge_pain"])
        draft.transitions.append(
            "Mobility held: the lunge hurt above the acceptable level; it starts once pain "
            "settles."
        )
        return
    for exercise_id in MOBILITY_IDS:
        exercise = facts.library.exercise(exercise_id)
        if exercise.end_range and pinches(facts.pain, side):
            continue
        draft.add("mobility", make_item(exercise, causes, side=side), causes)


def pinches(pain: PainState, side: str | None) -> bool:
    """True when front-of-ankle pain rules out end-range work on ``side`` (None: either)."""
    anterior = pain.anterior_sides
    return bool(anterior) and (side is None or side in anterior)


def strength(facts: Facts, draft: Draft) -> None:
    pain, lib = facts.pain, facts.library
    painful = facts.pain_ids["lunge_pain"]
    if pain.high_sides:
        # Both legs at first (the dose says so): a low, even load while pain settles.
        draft.add("strength", make_item(lib.exercise(LOW_LOAD_ID), painful), painful)
        return
    # Tendon loading for calf/Achilles pain at any level, calf strength kept with front-of-
    # ankle pain, strength alongside mobility for limited range (§3.6, DESIGN "Plan logic").
    loaded = (*pain.posterior_sides, *pain.anterior_sides)
    causes = ids_of(facts.df) + tuple(dict.fromkeys(f"pain_{s}" for s in loaded))
    if not causes:
        return
    sides = {f.side for f in facts.df if f.side} | set(loaded)
    side = next(iter(sides)) if len(sides) == 1 else None
    notes = LOWER_TO_LEVEL if pain.anterior_sides else ""
    item = make_item(lib.exercise(TENDON_LOADING_ID), causes, side=side, notes=notes)
    draft.add("strength", item, causes)


def balance(facts: Facts, draft: Draft, previous: PreviousPlan | None) -> None:
    deficits = facts.balance
    prev = previous_items(previous, "balance")
    prev_rung = next((i for i in prev if facts.library.exercise(i.exercise_id).ladder), None)
    running_programme = prev_rung is not None and weeks_since(
        prev_rung.started_on, facts.judged.today
    ) < facts.norms.value("plan.balance_programme_weeks")
    if not deficits and not running_programme:
        if prev_rung is not None:
            draft.transitions.append(
                "Balance ladder finished: the programme ran its length and no balance deficit "
                "was found at this visit."
            )
        return
    fresh = 0
    if deficits:
        fresh = max(1, min(CONDITION_RUNG.get(f.condition or "", 1) for f in deficits) - 1)
    causes = ids_of(deficits) or ("plan_continued",)
    side = sides_of(deficits) if deficits else (prev_rung.side if prev_rung else None)
    rung = progress_ladder(facts.library, fresh, side, prev_rung, causes, facts.judged)
    draft.add("balance", rung, causes)
    if not facts.pain.high_sides:
        squat = make_item(facts.library.exercise(SQUAT_ID), causes, side=side)
        draft.add("balance", squat, causes)


def running(facts: Facts, draft: Draft) -> None:
    pain, lib = facts.pain, facts.library
    painful = facts.pain_ids["lunge_pain"]
    ready_causes = ids_of([facts.ready, facts.plateau])
    if pain.any:
        draft.add("running", make_item(lib.exercise(STEP_RATE_ID), painful), painful)
    if ready_causes and not pain.high_sides:
        for exercise_id in DRILL_IDS:
            exercise = lib.exercise(exercise_id)
            if exercise.end_range and pinches(pain, None):
                continue
            if exercise.strike_cue and pain.posterior_sides:
                continue
            draft.add("running", make_item(exercise, ready_causes), ready_causes)
    elif "running" not in draft.items:
        waiting = ids_of([*facts.df, *facts.balance])
        if waiting:
            draft.add("running", None, waiting)


def previous_items(previous: PreviousPlan | None, phase_id: str) -> list[PlanItem]:
    if previous is None:
        return []
    return [i for p in previous.plan.phases if p.id == phase_id for i in p.items]


__all__ = [
    "CONDITION_RUNG", "DRILL_IDS", "LOW_LOAD_ID", "MOBILITY_IDS", "STEP_RATE_ID", "Draft",
    "Facts", "balance", "ids_of", "mobility", "pinches", "previous_items", "running",
    "sides_of", "strength",
]  # fmt: skip
