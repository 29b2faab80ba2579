"""Progression plan: findings from results → phased exercises with doses and criteria.

Public API::

    from clinic_app.plan import build_plan, load_library, Plan, Baseline
    plan = build_plan(interpretation, session_date=date(2026, 11, 24), session_id=7,
                      previous=PreviousPlan(last_plan, last_day))   # a re-test continues it
    plan.to_dict()            # the plan JSON (docs/data-model.md)
    Plan.from_dict(json_dict)

Editing: :mod:`clinic_app.plan.edit`. Words: :mod:`clinic_app.plan.text`.
"""

from clinic_app.plan.dose import Dose
from clinic_app.plan.engine import build_plan
from clinic_app.plan.findings import Baseline, PreviousPlan
from clinic_app.plan.items import make_item, pain_rule
from clinic_app.plan.library import Exercise, Library, LibraryError, load_library
from clinic_app.plan.model import (
    CLINICIAN_CAUSE,
    CLINICIAN_DOSE,
    Finding,
    Note,
    Plan,
    PlanError,
    PlanItem,
    PlanPhase,
)

__all__ = [
    "CLINICIAN_CAUSE",
    "CLINICIAN_DOSE",
    "Baseline",
    "Dose",
    "Exercise",
    "Finding",
    "Library",
    "LibraryError",
    "Note",
    "Plan",
    "PlanError",
    "PlanItem",
    "PlanPhase",
    "PreviousPlan",
    "build_plan",
    "load_library",
    "make_item",
    "pain_rule",
]
