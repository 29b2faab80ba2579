"""What a visit is made of, as stored: sessions, trials, and a patient's history.

The dataclasses the record stores return and the allowed values of their fields; no SQL.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from clinic_app.storage._sql import Row
from clinic_app.storage._util import from_json

SESSION_STATUSES = ("in_progress", "complete", "abandoned")
TRIAL_STATUSES = ("valid", "invalid", "failed", "incomplete")
PROTOCOLS = ("lunge", "balance")
SIDES = ("left", "right")
BALANCE_CONDITIONS = ("eo_firm", "ec_firm", "eo_foam", "ec_foam")
DEFAULT_INCLINOMETER_SITE = "tibial_crest_15cm"


@dataclass(frozen=True, slots=True)
class Session:
    """One visit. Timestamps are ISO UTC (``…Z``); ``ended_at`` is None while in progress.

    ``test_plan`` is the Test plan JSON of ``docs/data-model.md`` (the tests chosen for the
    visit, in order, with their settings), or None for visits begun before schema v2 and
    visits made without one (imports of recordings, demo history).

    ``uid`` is the visit's stable identity (a UUID). ``mass_kg`` and ``height_cm`` are the
    body measures at this visit (copied from the patient record when the visit starts, so
    a later change of the record does not rewrite the past). A voided visit
    (``voided_at`` set, with ``void_reason``) stays stored but counts nowhere.
    """

    id: int
    patient_id: int
    started_at: str
    ended_at: str | None
    examiner: str
    status: str
    inclinometer_site: str
    notes: str
    created_at: str
    updated_at: str
    test_plan: dict[str, Any] | None = None
    uid: str = ""
    mass_kg: float | None = None
    height_cm: float | None = None
    voided_at: str | None = None
    void_reason: str = ""
    row_version: int = 1
    updated_by: str = ""

    @property
    def is_voided(self) -> bool:
        """True if the visit was voided (kept, restorable, but counted nowhere)."""
        return self.voided_at is not None

    @classmethod
    def from_row(cls, row: Row) -> Session:
        """Build from a ``sessions`` row."""
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["test_plan"] = from_json(values["test_plan"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class Trial:
    """One attempt of one test; ``result`` is the JSON of ``docs/data-model.md``.

    ``condition`` is None for lunge trials; ``practice`` trials are not scored.
    ``ended_at`` is None for a trial interrupted by a crash.
    """

    id: int
    session_id: int
    protocol: str
    side: str
    condition: str | None
    attempt: int
    practice: bool
    status: str
    invalid_reason: str | None
    result: dict[str, Any] | None
    started_at: str
    ended_at: str | None
    uid: str = ""
    """Stable identity (a UUID) that survives export/import and other workstations."""

    @classmethod
    def from_row(cls, row: Row) -> Trial:
        """Build from a ``trials`` row."""
        values = {name: row[name] for name in cls.__dataclass_fields__}
        values["practice"] = bool(values["practice"])
        values["result"] = from_json(values["result"])
        return cls(**values)


@dataclass(frozen=True, slots=True)
class SessionHistory:
    """A session with all its trials (in the order they were recorded)."""

    session: Session
    trials: tuple[Trial, ...]

    @property
    def counts(self) -> bool:
        """True if the visit counts in histories and trends: not voided, and at least one
        measured (non-practice) trial was recorded."""
        return not self.session.is_voided and any(not t.practice for t in self.trials)


def clean_json(value: Any) -> Any:
    """``value`` made JSON-safe: NaN and ±inf become None (JSON has no NaN), numpy
    scalars and arrays become Python numbers and lists, tuples become lists."""
    if isinstance(value, Mapping):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    if isinstance(value, np.ndarray):
        return clean_json(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
