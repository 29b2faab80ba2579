"""Editing a plan (the plan editor's operations): each returns a new :class:`Plan`.

Edits keep every item's cause: an added exercise names :data:`CLINICIAN_CAUSE`. Saving an
edited plan as a new version (and auditing it) is the storage layer's job.
"""

from __future__ import annotations

from dataclasses import replace

from clinic_app.plan.dose import Dose
from clinic_app.plan.items import make_item
from clinic_app.plan.library import Library, load_library
from clinic_app.plan.model import (
    CLINICIAN_CAUSE,
    CLINICIAN_DOSE,
    Plan,
    PlanError,
    PlanItem,
    PlanPhase,
)


def _locate(plan: Plan, phase_id: str) -> tuple[int, PlanPhase]:
    for index, phase in enumerate(plan.phases):
        if phase.id == phase_id:
            return index, phase
    raise PlanError(f"plan: no phase {phase_id!r}")


def with_summary(plan: Plan, library: Library | None = None) -> Plan:
    """The plan with its one-paragraph summary recomputed from its content."""
    from clinic_app.plan.text import plan_summary

    return replace(plan, summary=plan_summary(plan, library or load_library()))


def _with_items(plan: Plan, phase_index: int, items: list[PlanItem]) -> Plan:
    phases = list(plan.phases)
    phase = phases[phase_index]
    status = "current" if items else "later"
    phases[phase_index] = replace(phase, items=tuple(items), status=status)
    return with_summary(plan.with_phases(tuple(phases)))


def _item_at(phase: PlanPhase, position: int) -> PlanItem:
    if not 0 <= position < len(phase.items):
        raise PlanError(f"plan: phase {phase.id!r} has no item {position}")
    return phase.items[position]


def add_exercise(
    plan: Plan,
    exercise_id: str,
    *,
    phase_id: str | None = None,
    level: int = 1,
    library: Library | None = None,
) -> Plan:
    """Add an exercise from the library (to its home phase unless ``phase_id`` is given)."""
    library = library or load_library()
    exercise = library.exercise(exercise_id)
    target = phase_id or exercise.phase
    if not any(p.id == target for p in plan.phases):
        d = library.phases[target]
        order = list(library.phases)
        new = PlanPhase(d.id, d.title, "current", d.entry, d.exit, (CLINICIAN_CAUSE,))
        phases = sorted([*plan.phases, new], key=lambda p: order.index(p.id))
        plan = plan.with_phases(tuple(phases))
    index, phase = _locate(plan, target)
    item = make_item(exercise, (CLINICIAN_CAUSE,), level=level)
    item = replace(item, started_on=plan.generated_at[:10], progression="added by the clinician")
    return _with_items(plan, index, [*phase.items, item])


def remove_item(plan: Plan, phase_id: str, position: int) -> Plan:
    """Remove the item at ``position`` of a phase."""
    index, phase = _locate(plan, phase_id)
    _item_at(phase, position)
    items = [i for n, i in enumerate(phase.items) if n != position]
    return _with_items(plan, index, items)


def move_item(plan: Plan, phase_id: str, position: int, new_position: int) -> Plan:
    """Reorder within a phase (``new_position`` is clamped to the phase)."""
    index, phase = _locate(plan, phase_id)
    items = list(phase.items)
    item = items.pop(position if 0 <= position < len(items) else -1)
    items.insert(max(0, min(new_position, len(items))), item)
    return _with_items(plan, index, items)


def set_level(
    plan: Plan, phase_id: str, position: int, level: int, library: Library | None = None
) -> Plan:
    """Change an item to another dose level of its exercise (dose and basis follow)."""
    library = library or load_library()
    index, phase = _locate(plan, phase_id)
    old = _item_at(phase, position)
    new = make_item(
        library.exercise(old.exercise_id), old.because, level=level, side=old.side, notes=old.notes
    )
    new = replace(
        new, started_on=old.started_on, progression=f"level {level} set by the clinician"
    )
    items = list(phase.items)
    items[position] = new
    return _with_items(plan, index, items)


def set_dose(plan: Plan, phase_id: str, position: int, dose: Dose) -> Plan:
    """Set a custom dose: its basis becomes the clinician's choice (never evidence)."""
    index, phase = _locate(plan, phase_id)
    old = _item_at(phase, position)
    items = list(phase.items)
    items[position] = replace(old, dose=dose, dose_evidence="U", dose_source=CLINICIAN_DOSE)
    return _with_items(plan, index, items)


def set_notes(plan: Plan, phase_id: str, position: int, notes: str) -> Plan:
    """Set the clinician's note on one item (shown on the handout card)."""
    index, phase = _locate(plan, phase_id)
    items = list(phase.items)
    items[position] = replace(_item_at(phase, position), notes=notes.strip())
    return _with_items(plan, index, items)


def set_clinician_notes(plan: Plan, notes: str) -> Plan:
    """Set the plan-level clinician notes."""
    return replace(plan, clinician_notes=notes.strip())
