"""The written schema of a DorsiLab JSON export (pydantic v2 models) and its limits.

An import is validated against these models as a whole before anything is written
(:mod:`clinic_app.exchange.json_import`). Every field has a type, enumerations are closed,
times are ISO 8601, numbers are finite and within physical ranges (the patient ranges are
those of the patient form, :data:`clinic_app.storage.validation.NUMBER_LIMITS`), and
collections are bounded (:class:`Limits`). Unknown fields are refused, except inside a
balance trial's ``processing`` object and a plan, which later DorsiLab versions extend.

The same schema is published as JSON Schema by :func:`json_schema` (``docs/exchange.md``
says how to print it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    model_validator,
)

from clinic_app.exchange.json_version import FORMAT_NAME as FORMAT_NAME
from clinic_app.exchange.json_version import FORMAT_VERSION as FORMAT_VERSION
from clinic_app.storage.validation import MAX_LENGTH, NUMBER_LIMITS


@dataclass(frozen=True)
class Limits:
    """Resource limits of an import (documented in ``docs/exchange.md``).

    A file over ``max_file_bytes`` is refused before it is read; a recording is refused
    before it is decompressed beyond ``max_recording_bytes``; the counts bound the work
    and memory of one import.
    """

    max_file_bytes: int = 512 * 1024 * 1024
    max_recording_bytes: int = 64 * 1024 * 1024
    max_patients: int = 50_000
    max_sessions_per_patient: int = 2_000
    max_trials_per_session: int = 500
    max_plans_per_session: int = 200
    max_trials: int = 250_000


LIMITS = Limits()

_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)
_OPEN = ConfigDict(extra="allow", strict=True, frozen=True)


def _no_control(text: str) -> str:
    if any((ord(c) < 32 and c not in "\r\n\t") or ord(c) == 127 for c in text):
        raise ValueError("contains a control character")
    return text


def _no_line_break(text: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise ValueError("contains a line break or control character")
    return text


def _timestamp(text: str) -> str:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not an ISO 8601 date-time (e.g. 2026-11-24T09:15:00Z)") from None
    if parsed.tzinfo is None:
        raise ValueError("a date-time needs its time zone (e.g. …Z for UTC)")
    return text


def _iso_date(text: str) -> str:
    try:
        date.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO date (e.g. 1990-04-17)") from None
    if len(text) != 10:
        raise ValueError("not an ISO date (e.g. 1990-04-17)")
    return text


def _uuid(text: str) -> str:
    import uuid

    try:
        uuid.UUID(text)
    except ValueError:
        raise ValueError("not a UUID") from None
    return text


Text = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(_no_control)]
Timestamp = Annotated[str, StringConstraints(max_length=40), AfterValidator(_timestamp)]
IsoDate = Annotated[str, StringConstraints(max_length=40), AfterValidator(_iso_date)]
Uid = Annotated[str, StringConstraints(max_length=36), AfterValidator(_uuid)]
Line40 = Annotated[str, StringConstraints(max_length=40), AfterValidator(_no_line_break)]
Line200 = Annotated[str, StringConstraints(max_length=200), AfterValidator(_no_line_break)]
Line1000 = Annotated[str, StringConstraints(max_length=1000), AfterValidator(_no_line_break)]
RecordNumber = Annotated[
    str, StringConstraints(max_length=MAX_LENGTH["record_number"]), AfterValidator(_no_line_break)
]
NamePart = Annotated[
    str,
    StringConstraints(min_length=1, max_length=MAX_LENGTH["first_name"]),
    AfterValidator(_no_line_break),
]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]


def _bounded(low: float, high: float) -> Any:
    return Field(ge=low, le=high, allow_inf_nan=False)


def _finite(value: Any) -> Any:
    # Metric values: JSON numbers (ints too), never booleans, never NaN or infinity.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("not a number")
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    return value


Finite = Annotated[Any, AfterValidator(_finite)]
Side = Literal["left", "right"]
Condition = Literal["eo_firm", "ec_firm", "eo_foam", "ec_foam"]
Site = Literal["tibial_crest_15cm", "tibial_tuberosity"]


HeightCm = Annotated[float, _bounded(*NUMBER_LIMITS["height_cm"][:2])]
MassKg = Annotated[float, _bounded(*NUMBER_LIMITS["mass_kg"][:2])]
WeeklyKm = Annotated[float, _bounded(*NUMBER_LIMITS["weekly_km"][:2])]
YearsRunning = Annotated[float, _bounded(*NUMBER_LIMITS["years_running"][:2])]
AngleDeg = Annotated[float, _bounded(-30.0, 90.0)]
DistanceCm = Annotated[float, _bounded(-10.0, 40.0)]
Seconds = Annotated[float, _bounded(0.0, 3600.0)]
PlannedS = Annotated[float, _bounded(0.5, 600.0)]
SdDeg = Annotated[float, _bounded(0.0, 90.0)]
RateHz = Annotated[float, _bounded(0.01, 100_000.0)]


# ---------------------------------------------------------------------------- results
class LungeResult(BaseModel):
    """Result of a weight-bearing lunge trial (``docs/data-model.md``)."""

    model_config = _STRICT
    angle_deg: AngleDeg | None = None
    distance_cm: DistanceCm | None = None
    hold_s: Seconds | None = None
    hold_sd_deg: SdDeg | None = None
    capture: Literal["auto", "manual"] | None = None
    heel_lift: StrictBool = False
    pain_nrs: Annotated[StrictInt, Field(ge=0, le=10)] | None = None
    pain_location: Literal["none", "anterior", "posterior"] | None = None
    site: Site | None = None


class Processing(BaseModel):
    """How a balance trial's COP series was prepared (extra fields allowed)."""

    model_config = _OPEN
    filter: Line200 | None = None
    fs_hz: RateHz | None = None
    trim_s: Annotated[list[Seconds], Field(min_length=2, max_length=2)] | None = None
    resampled: StrictBool | None = None
    source_fs_hz: RateHz | None = None
    lowpass_hz: RateHz | None = None
    filter_order: Annotated[StrictInt, Field(ge=1, le=20)] | None = None
    mean_centred: StrictBool | None = None


class BalanceResult(BaseModel):
    """Result of a single-leg balance trial (``docs/data-model.md``)."""

    model_config = _STRICT
    planned_s: PlannedS | None = None
    completed_s: Seconds | None = None
    time_to_failure_s: Seconds | None = None
    failure_reason: Literal["touchdown", "step", "foot_shift", "stepped_off"] | None = None
    body_mass_kg: MassKg | None = None
    metrics: Annotated[dict[Code, Finite | None], Field(max_length=200)] | None = None
    processing: Processing | None = None


# ---------------------------------------------------------------------------- records
class Recording(BaseModel):
    """Samples of one device in a trial: numpy dtype, count, zlib+base64 bytes."""

    model_config = _STRICT
    dtype: Annotated[
        list[Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(
            min_length=2, max_length=2)]],
        Field(min_length=1, max_length=64),
    ]  # fmt: skip
    n_samples: Annotated[StrictInt, Field(ge=0, le=100_000_000)]
    encoding: Literal["zlib+base64"]
    data: Annotated[str, StringConstraints(max_length=2 * LIMITS.max_recording_bytes)]


class Trial(BaseModel):
    """One trial (``uid`` from format version 2; ``id`` in version 1 is ignored)."""

    model_config = _STRICT
    uid: Uid | None = None
    id: StrictInt | None = None
    protocol: Literal["lunge", "balance"]
    side: Side
    condition: Condition | None
    attempt: Annotated[StrictInt, Field(ge=1, le=1000)]
    practice: StrictBool
    status: Literal["valid", "invalid", "failed", "incomplete"]
    invalid_reason: Line1000 | None = None
    result: dict[str, Any] | None = None
    started_at: Timestamp
    ended_at: Timestamp | None = None
    recordings: dict[Literal["inclinometer", "plate"], Recording] = {}

    @model_validator(mode="after")
    def _consistent(self) -> Trial:
        if self.protocol == "lunge" and self.condition is not None:
            raise ValueError("a lunge trial has no condition (null)")
        if self.protocol == "balance" and self.condition is None:
            raise ValueError("a balance trial needs a condition")
        if self.status == "valid" and self.invalid_reason:
            raise ValueError("a valid trial has no invalid_reason")
        if self.ended_at is None and self.status != "incomplete":
            raise ValueError("a trial with no ended_at is 'incomplete'")
        return self


class PlanVersion(BaseModel):
    """One saved version of a visit's plan."""

    model_config = _STRICT
    version: Annotated[StrictInt, Field(ge=1, le=100_000)]
    plan: dict[str, Any]
    edited_by: Line200
    created_at: Timestamp | None = None


class Session(BaseModel):
    """One visit with its trials and plan versions."""

    model_config = _STRICT
    uid: Uid | None = None
    id: StrictInt | None = None
    started_at: Timestamp
    ended_at: Timestamp | None = None
    examiner: Line200 = ""
    status: Literal["in_progress", "complete", "abandoned"]
    inclinometer_site: Site
    notes: Text = ""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    mass_kg: MassKg | None = None
    height_cm: HeightCm | None = None
    voided_at: Timestamp | None = None
    void_reason: Line1000 = ""
    test_plan: dict[str, Any] | None = None
    trials: Annotated[list[Trial], Field(max_length=LIMITS.max_trials_per_session)] = []
    plans: Annotated[list[PlanVersion], Field(max_length=LIMITS.max_plans_per_session)] = []

    @model_validator(mode="after")
    def _consistent(self) -> Session:
        if self.status != "in_progress" and self.ended_at is None:
            raise ValueError(f"a visit that is {self.status} has an ended_at")
        if self.voided_at is not None and not self.void_reason.strip():
            raise ValueError("a voided visit needs its void_reason")
        versions = [p.version for p in self.plans]
        if len(set(versions)) != len(versions):
            raise ValueError("plan version numbers repeat")
        return self


class Patient(BaseModel):
    """A patient with every visit; identity and field rules as on the patient form."""

    model_config = _STRICT
    uid: Uid | None = None
    id: StrictInt | None = None
    record_number: RecordNumber | None = None
    first_name: NamePart
    last_name: NamePart
    birth_date: IsoDate
    sex: Literal["female", "male", "other", "unspecified"] = "unspecified"
    height_cm: HeightCm | None = None
    mass_kg: MassKg | None = None
    dominant_leg: Literal["left", "right", "unknown"] = "unknown"
    involved_side: Literal["left", "right", "both", "none"] = "none"
    weekly_km: WeeklyKm | None = None
    years_running: YearsRunning | None = None
    notes: Text = ""
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    deleted_at: Timestamp | None = None
    sessions: Annotated[list[Session], Field(max_length=LIMITS.max_sessions_per_patient)] = []


class ExportDocument(BaseModel):
    """The whole file."""

    model_config = _STRICT
    format: Literal["dorsilab-export"]
    format_version: Annotated[StrictInt, Field(ge=1, le=2)]
    software_version: Line40 = ""
    exported_at: Timestamp | None = None
    deidentified: Literal[False] = False
    includes_recordings: StrictBool = False
    patients: Annotated[list[Patient], Field(max_length=LIMITS.max_patients)]


def json_schema() -> dict[str, Any]:
    """The export's JSON Schema (draft 2020-12), as pydantic writes it."""
    return ExportDocument.model_json_schema()
