"""The written schema of a stored progression plan (the Plan JSON of ``docs/data-model.md``).

An imported plan must be one DorsiLab can show and print: the fields the report, the
handout and the plan editor read have their types checked here (texts are text, levels
and doses are numbers, lists are lists). Fields a later version adds are allowed and
kept as they are.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

_OPEN = ConfigDict(extra="allow", strict=True, frozen=True)

Prose = Annotated[str, StringConstraints(max_length=20_000)]
Ident = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Because = Annotated[list[Ident], Field(max_length=200)]
Count = Annotated[StrictInt, Field(ge=0, le=10_000)]
Nrs = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]


class DoseSchema(BaseModel):
    """How much of an exercise."""

    model_config = _OPEN
    sets: Count | None = None
    reps: Count | None = None
    hold_s: Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)] | None = None
    per_day: Count | None = None
    days_per_week: Annotated[StrictInt, Field(ge=0, le=7)] | None = None
    tempo: Prose = ""
    load: Prose = ""


class ItemSchema(BaseModel):
    """One exercise of a phase."""

    model_config = _OPEN
    exercise_id: Ident
    level: Annotated[StrictInt, Field(ge=0, le=100)] = 1
    dose: DoseSchema = DoseSchema()
    dose_evidence: Prose = "U"
    dose_source: Prose = ""
    because: Because = []
    side: Literal["left", "right", "both"] | None = None
    notes: Prose = ""


class PhaseSchema(BaseModel):
    """A phase of the plan."""

    model_config = _OPEN
    id: Ident
    title: Prose
    status: Literal["current", "later", "done"] = "current"
    entry: Prose = ""
    exit_criteria: Prose = ""
    because: Because = []
    items: Annotated[list[ItemSchema], Field(max_length=500)] = []


class FindingSchema(BaseModel):
    """A finding that the plan follows from."""

    model_config = _OPEN
    id: Ident
    kind: Ident
    side: Literal["left", "right", "both"] | None = None
    condition: Annotated[str, StringConstraints(max_length=40)] | None = None
    text: Prose
    patient_text: Prose
    level: Annotated[str, StringConstraints(max_length=20)]
    evidence: Prose = ""
    source: Prose = ""
    clinic_default: StrictBool = False


class NoteSchema(BaseModel):
    """A referral note or review prompt."""

    model_config = _OPEN
    id: Ident
    text: Prose
    because: Because = []
    evidence: Prose = ""
    source: Prose = ""


class PlanSchema(BaseModel):
    """A whole plan version."""

    model_config = _OPEN
    schema_: Literal[1] = Field(alias="schema")
    generated_at: Annotated[str, StringConstraints(max_length=40)]
    session_id: StrictInt | None = None
    retest_date: Annotated[str, StringConstraints(max_length=40)]
    retest_weeks: Annotated[float, Field(ge=0, le=520, allow_inf_nan=False)] | None = None
    status: Literal["active", "stopped"] = "active"
    summary: Prose = ""
    findings: Annotated[list[FindingSchema], Field(max_length=500)]
    red_flags: Annotated[list[Ident], Field(max_length=100)] = []
    red_flags_checked: StrictBool = False
    referral_notes: Annotated[list[NoteSchema], Field(max_length=200)] = []
    prompts: Annotated[list[NoteSchema], Field(max_length=200)] = []
    phases: Annotated[list[PhaseSchema], Field(max_length=50)]
    pain_rule: Prose = ""
    pain_rule_basis: Prose = ""
    pain_safe_max_nrs: Nrs | None = None
    pain_acceptable_max_nrs: Nrs | None = None
    clinician_notes: Prose = ""
