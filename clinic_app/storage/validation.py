"""Patient-form validation, Qt-free, fast enough to run on every keystroke.

:func:`validate_patient` takes the form's fields as they are (strings from line edits,
numbers, :class:`datetime.date`) and returns ``{field: message}`` with a message in words
for every field that is wrong; an empty dict means the form can be saved. Record-number
uniqueness needs the database and is checked on save
(:class:`~clinic_app.storage.errors.DuplicateRecordNumberError`), or ahead of time with
``Database.record_number_owner``.

Messages never quote the value typed (it may be a name or a birth date, and messages may
be logged).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

PATIENT_FIELDS = (
    "record_number",
    "first_name",
    "last_name",
    "birth_date",
    "sex",
    "height_cm",
    "mass_kg",
    "dominant_leg",
    "involved_side",
    "weekly_km",
    "years_running",
    "notes",
)
"""The editable patient fields, in form order."""

REQUIRED_FIELDS = ("first_name", "last_name", "birth_date")

CHOICES: dict[str, tuple[tuple[str, str], ...]] = {
    "sex": (
        ("female", "Female"), ("male", "Male"), ("other", "Other"), ("unspecified", "Not stated"),
    ),
    "dominant_leg": (("left", "Left"), ("right", "Right"), ("unknown", "Unknown")),
    "involved_side": (("left", "Left"), ("right", "Right"), ("both", "Both"), ("none", "None")),
}  # fmt: skip
"""Allowed values of the choice fields as ``(value, label)``; left before right in both
leg fields, so the two lists read alike. Defaults are in :data:`DEFAULTS` (``sex``
``unspecified``, ``dominant_leg`` ``unknown``, ``involved_side`` ``none``)."""

DEFAULTS: dict[str, Any] = {
    "record_number": None,
    "sex": "unspecified",
    "height_cm": None,
    "mass_kg": None,
    "dominant_leg": "unknown",
    "involved_side": "none",
    "weekly_km": None,
    "years_running": None,
    "notes": "",
}

LABELS = {
    "record_number": "Record number",
    "first_name": "First name",
    "last_name": "Last name",
    "birth_date": "Birth date",
    "sex": "Sex",
    "height_cm": "Height",
    "mass_kg": "Body mass",
    "dominant_leg": "Dominant leg",
    "involved_side": "Involved side",
    "weekly_km": "Weekly running distance",
    "years_running": "Years running",
    "notes": "Notes",
}

NUMBER_LIMITS: dict[str, tuple[float, float, str, str]] = {
    # field: (minimum, maximum, unit, example)
    "height_cm": (50.0, 250.0, "cm", "172"),
    "mass_kg": (10.0, 300.0, "kg", "68.5"),
    "weekly_km": (0.0, 300.0, "km", "35"),
    "years_running": (0.0, 80.0, "years", "6"),
}
"""Plausible ranges of the numeric fields (inclusive), with unit and an example."""

MAX_LENGTH = {"record_number": 40, "first_name": 100, "last_name": 100, "notes": 20000}
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
_DOTTED_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")


def validate_patient(fields: Mapping[str, object], *, today: date | None = None) -> dict[str, str]:
    """Check a patient form; return ``{field: message}`` for every field that is wrong.

    Parameters
    ----------
    fields : mapping
        Field name (see :data:`PATIENT_FIELDS`) to value. Missing fields count as empty.
        Numbers may be strings and may use a decimal comma (``"68,5"``); dates may be
        :class:`datetime.date` or ISO strings (``"1990-04-17"``, also ``"17.04.1990"``).
    today : date, optional
        The date "in the future" is judged against (default: today).

    Returns
    -------
    dict
        Empty when the form is valid.
    """
    return parse_patient_fields(fields, today=today)[1]


def parse_patient_fields(
    fields: Mapping[str, object], *, today: date | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse and check a patient form.

    Returns
    -------
    values : dict
        Clean typed values for every field of :data:`PATIENT_FIELDS` that parsed
        (strings stripped, empty optional fields None, numbers float, dates ``date``).
    errors : dict
        ``{field: message}`` for every field that is wrong.
    """
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in fields:
        if key not in PATIENT_FIELDS:
            errors[str(key)] = f"Unknown field '{key}'."
    for name in PATIENT_FIELDS:
        raw = fields.get(name)
        try:
            values[name] = _parse_one(name, raw, today or date.today())
        except ValueError as exc:
            errors[name] = str(exc)
    years, birth = values.get("years_running"), values.get("birth_date")
    if isinstance(years, float) and isinstance(birth, date) and "years_running" not in errors:
        age = _age(birth, today or date.today())
        if years > age:
            errors["years_running"] = "Years running cannot be more than the patient's age."
    return values, errors


def _parse_one(name: str, raw: object, today: date) -> Any:
    label = LABELS[name]
    if name in ("first_name", "last_name", "record_number", "notes"):
        if name == "record_number" and isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)  # a numeric record number from a spin box or an import
        text = _text(raw, label)
        if _has_control(text, allowed=TEXT_WHITESPACE):
            raise ValueError(
                f"{label} cannot contain control characters (such as NUL); retype it."
            )
        if name == "notes":
            text = text.strip("\n") if text.strip() else ""
        else:
            text = " ".join(text.split()) if name != "record_number" else text.strip()
        if len(text) > MAX_LENGTH[name]:
            raise ValueError(f"{label} is too long (at most {MAX_LENGTH[name]} characters).")
        if name in REQUIRED_FIELDS and not text:
            raise ValueError(f"{label} is required.")
        if name == "record_number":
            if any(c in text for c in "\r\n\t"):
                raise ValueError("Record number cannot contain line breaks or tabs.")
            return text or None
        return text
    if name == "birth_date":
        return _birth_date(raw, today)
    if name in CHOICES:
        allowed = [value for value, _ in CHOICES[name]]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return DEFAULTS[name]
        value = str(raw).strip().lower()
        if value not in allowed:
            raise ValueError(f"{label} must be one of: {', '.join(allowed)}.")
        return value
    return _number(name, raw)


TEXT_WHITESPACE = frozenset("\t\n\r")
"""Control characters a text field may hold: names fold them into spaces, notes keep them."""

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
"""Embedding, override and isolate marks, which can make a name display as another."""


def _has_control(text: str, *, allowed: frozenset[str]) -> bool:
    """True when ``text`` holds a C0/C1 control, a line/paragraph separator or a bidi
    override (Unicode categories Cc, Zl, Zp and :data:`BIDI_CONTROLS`) not in ``allowed``.

    Joiners (U+200C, U+200D) stay allowed: several scripts need them in names.
    """
    return any(
        c not in allowed and (unicodedata.category(c) in ("Cc", "Zl", "Zp") or c in BIDI_CONTROLS)
        for c in text
    )


def _text(raw: object, label: str) -> str:
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise ValueError(f"{label} must be text.")
    return raw


def _number(name: str, raw: object) -> float | None:
    low, high, unit, example = NUMBER_LIMITS[name]
    label = LABELS[name]
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError(f"{label} must be a number in {unit}, e.g. {example}.")
    if isinstance(raw, str):
        raw = raw.strip().replace(",", ".")  # a decimal comma, as typed in much of Europe
    if not isinstance(raw, str | int | float):
        raise ValueError(f"{label} must be a number in {unit}, e.g. {example}.")
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{label} must be a number in {unit}, e.g. {example}.") from None
    if not math.isfinite(value):
        raise ValueError(f"{label} must be a number in {unit}, e.g. {example}.")
    if not low <= value <= high:
        raise ValueError(f"{label} must be between {low:g} and {high:g} {unit}.")
    return value


def _birth_date(raw: object, today: date) -> date:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("Birth date is required.")
    if isinstance(raw, datetime):
        value = raw.date()
    elif isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        dotted = _DOTTED_DATE.match(text)
        try:
            if dotted:
                value = date(int(dotted[3]), int(dotted[2]), int(dotted[1]))
            elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
                value = date.fromisoformat(text)
            else:
                raise ValueError
        except ValueError:
            raise ValueError(
                "Birth date must be a real date written like 1990-04-17 (year-month-day)."
            ) from None
    else:
        raise ValueError("Birth date must be a date.")
    if value > today:
        raise ValueError("Birth date cannot be in the future.")
    if value < EARLIEST_BIRTH_DATE:
        raise ValueError("Birth date cannot be before 1900.")
    return value


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
