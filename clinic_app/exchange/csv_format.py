"""CSV exports: one row per trial with its results, and raw recordings as one CSV per trial.

Trial table columns (``trials.csv``): patient and session identity, the trial's kind and
status, then every result field flattened — lunge fields by name (``angle_deg``,
``distance_cm``, …) and balance metrics prefixed ``metric_`` (``metric_mean_velocity_cm_s``
…, the keys of ``clinic-app analyze --json``). Empty cells mean "not applicable" or "not
measured". Text is UTF-8 with a header row, comma-separated, ``.`` as decimal point.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.exchange.collect import PatientBundle
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.files import write_text_atomic

IDENTITY_COLUMNS = (
    "patient_id",
    "record_number",
    "last_name",
    "first_name",
    "session_id",
    "session_started_at",
    "examiner",
    "inclinometer_site",
    "trial_id",
    "protocol",
    "side",
    "condition",
    "attempt",
    "practice",
    "status",
    "invalid_reason",
    "started_at",
    "ended_at",
)
IDENTIFYING = ("record_number", "last_name", "first_name")
LUNGE_COLUMNS = (
    "angle_deg",
    "distance_cm",
    "hold_s",
    "hold_sd_deg",
    "capture",
    "heel_lift",
    "pain_nrs",
    "pain_location",
    "site",
)
BALANCE_COLUMNS = ("planned_s", "completed_s", "time_to_failure_s", "failure_reason")


def trial_rows(
    bundles: Sequence[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The header and one row per trial of every patient in ``bundles``."""
    rows: list[dict[str, Any]] = []
    metric_keys: set[str] = set()
    for bundle in bundles:
        patient = bundle.patient
        for session_bundle in bundle.sessions:
            session = session_bundle.session
            for item in session_bundle.trials:
                trial = item.trial
                row: dict[str, Any] = {
                    "patient_id": _id(pseudonymizer, "patient", patient.id),
                    "record_number": patient.record_number or "",
                    "last_name": patient.last_name,
                    "first_name": patient.first_name,
                    "session_id": _id(pseudonymizer, "session", session.id),
                    "session_started_at": session.started_at,
                    "examiner": session.examiner,
                    "inclinometer_site": session.inclinometer_site,
                    "trial_id": _id(pseudonymizer, "trial", trial.id),
                    "protocol": trial.protocol,
                    "side": trial.side,
                    "condition": trial.condition or "",
                    "attempt": trial.attempt,
                    "practice": int(trial.practice),
                    "status": trial.status,
                    "invalid_reason": trial.invalid_reason or "",
                    "started_at": trial.started_at,
                    "ended_at": trial.ended_at or "",
                }
                result = trial.result or {}
                for key in (*LUNGE_COLUMNS, *BALANCE_COLUMNS):
                    if key in result:
                        row[key] = result[key]
                for key, value in (result.get("metrics") or {}).items():
                    if isinstance(value, int | float) and not isinstance(value, bool):
                        row[f"metric_{key}"] = value
                        metric_keys.add(f"metric_{key}")
                rows.append(row)
    columns = [c for c in IDENTITY_COLUMNS if pseudonymizer is None or c not in IDENTIFYING]
    columns += [*LUNGE_COLUMNS, *BALANCE_COLUMNS, *sorted(metric_keys)]
    return columns, rows


def write_trials_csv(
    path: Path, bundles: Sequence[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> int:
    """Write ``trials.csv`` atomically; return the number of trial rows."""
    columns, rows = trial_rows(bundles, pseudonymizer)
    _write_csv(path, columns, ([_cell(row.get(c)) for c in columns] for row in rows))
    return len(rows)


def recording_csv_text(samples: npt.NDArray[Any]) -> str:
    """A structured array as CSV text: one column per field, header = field names.

    Times keep microsecond resolution; other values 6 significant decimals; NaN is
    written as an empty cell.
    """
    names = list(samples.dtype.names or ())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    columns = [np.asarray(samples[name]) for name in names]
    for i in range(len(samples)):
        writer.writerow([_number(col[i]) for col in columns])
    return buffer.getvalue()


def _number(value: Any) -> str:
    if isinstance(value, np.integer):
        return str(int(value))
    number = float(value)
    if not math.isfinite(number):
        return ""
    return f"{number:.6f}".rstrip("0").rstrip(".") if number != 0 else "0"


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return "" if not math.isfinite(value) else repr(value)
    return str(value)


def _id(pseudonymizer: Pseudonymizer | None, kind: str, record_id: int) -> str | int:
    return record_id if pseudonymizer is None else pseudonymizer.pseudonym(kind, record_id)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[str]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())
