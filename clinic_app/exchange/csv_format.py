"""CSV exports: one row per trial with its results, and raw recordings as one CSV per trial.

Trial table columns (``trials.csv``): patient and visit identity, the trial's kind and
status, then every result field flattened — lunge fields by name (``angle_deg``,
``distance_cm``, …) and balance metrics prefixed ``metric_`` (``metric_mean_velocity_cm_s``
…, every metric of ``clinic-app analyze --json``, in alphabetical order). Empty cells mean
"not applicable" or "not measured". UTF-8 with a header row, comma-separated, ``.`` as
decimal point; every text cell is made safe for spreadsheets
(:mod:`clinic_app.exchange.csv_safety`); ``excel=True`` adds a byte-order mark and CRLF.

Identity columns are the records' ``uid`` (stable across workstations and imports); a
de-identified table has pseudonyms instead, no names or record number, the examiner as a
pseudonym and the invalid reason as a code.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app.analysis.sway import SwayMetrics
from clinic_app.exchange.collect import PatientBundle
from clinic_app.exchange.csv_safety import (
    LOOK_CLOSER,
    Cell,
    ReadyCell,
    SafeCsvWriter,
    number_text,
    ready_cell,
)
from clinic_app.exchange.deidentify import Pseudonymizer, coded_reason, is_code
from clinic_app.exchange.files import atomic_binary, atomic_text

IDENTITY_COLUMNS = (
    "patient_id",
    "patient_uid",
    "record_number",
    "last_name",
    "first_name",
    "session_id",
    "session_uid",
    "session_started_at",
    "session_voided",
    "examiner",
    "inclinometer_site",
    "trial_id",
    "trial_uid",
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
IDENTIFYING = (
    "record_number",
    "last_name",
    "first_name",
    "patient_uid",
    "session_uid",
    "trial_uid",
)
"""Left out of a de-identified table (its ``*_id`` columns hold pseudonyms)."""
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
METRIC_KEYS = tuple(
    sorted(
        f.name for f in dataclasses.fields(SwayMetrics) if f.name not in ("processing", "window_s")
    )
)
"""Every balance metric, as in ``result["metrics"]`` (the ``analyze --json`` keys)."""
_NO_METRICS: tuple[None, ...] = (None,) * len(METRIC_KEYS)
_RESULT_KEYS = (*LUNGE_COLUMNS, *BALANCE_COLUMNS)
_PLAIN_NUMBER: frozenset[type] = frozenset({int, float, bool, type(None)})
_PLAIN_RESULT = _PLAIN_NUMBER | {str}


def trial_columns(pseudonymizer: Pseudonymizer | None = None) -> list[str]:
    """The header of ``trials.csv`` (fixed, so the table can be written patient by patient)."""
    if pseudonymizer is None:
        identity = list(IDENTITY_COLUMNS)
    else:
        identity = [c for c in IDENTITY_COLUMNS if c not in IDENTIFYING]
    return [*identity, *LUNGE_COLUMNS, *BALANCE_COLUMNS, *(f"metric_{k}" for k in METRIC_KEYS)]


def trial_rows(
    bundle: PatientBundle, pseudonymizer: Pseudonymizer | None = None
) -> Iterator[list[ReadyCell]]:
    """One row (in :func:`trial_columns` order) per trial of one patient, every cell a
    :func:`~clinic_app.exchange.csv_safety.ready_cell` value."""
    pseudo = pseudonymizer
    patient = bundle.patient
    # Result values of these types pass to _ready's checks as they are; others (a nested
    # object; for a de-identified table, any text that is not a code) become cells here.
    plain = _PLAIN_RESULT if pseudo is None else _PLAIN_NUMBER
    for session_bundle in bundle.sessions:
        session = session_bundle.session
        if pseudo is None:
            visit: list[Cell] = [
                patient.id, patient.uid, patient.record_number, patient.last_name,
                patient.first_name, session.id, session.uid, session.started_at,
                session.is_voided, session.examiner, session.inclinometer_site,
            ]  # fmt: skip
        else:
            visit = [
                pseudo.pseudonym("patient", patient.uid),
                pseudo.pseudonym("session", session.uid), session.started_at,
                session.is_voided, pseudo.examiner(session.examiner),
                _code(session.inclinometer_site),
            ]  # fmt: skip
        identity = [ready_cell(cell) for cell in visit]
        for item in session_bundle.trials:
            trial = item.trial
            result = trial.result if type(trial.result) is dict else {}
            if pseudo is None:
                first: list[Cell] = [trial.id, trial.uid]
                reason: Cell = trial.invalid_reason
            else:
                first = [pseudo.pseudonym("trial", trial.uid)]
                reason = coded_reason(trial)
            values: list[Any] = [
                *first, trial.protocol, trial.side, trial.condition, trial.attempt,
                trial.practice, trial.status, reason, trial.started_at, trial.ended_at,
            ]  # fmt: skip
            yield identity + _ready(values + _result_cells(result, plain, pseudo))


def _result_cells(
    result: dict[str, Any], plain: frozenset[type], pseudo: Pseudonymizer | None
) -> list[Any]:
    """The lunge, balance and metric cells of one trial's result."""
    cells = [
        v if type(v) in plain else _result_cell(v, pseudo) for v in map(result.get, _RESULT_KEYS)
    ]
    metrics = result.get("metrics")
    if isinstance(metrics, dict) and metrics:
        cells += [
            v if type(v) in _PLAIN_NUMBER else _number(v) for v in map(metrics.get, METRIC_KEYS)
        ]
    else:
        cells += _NO_METRICS
    return cells


def _ready(values: list[Any]) -> list[ReadyCell]:
    """:func:`ready_cell` of each value; the common cells (None, int, finite float, text that
    cannot start a formula) are checked inline: a clinic-wide table has millions of them."""
    return [
        v
        if v is None
        or (kind := type(v)) is int
        or (kind is float and v - v == 0.0)
        or (kind is str and v[:1] not in LOOK_CLOSER)
        else ready_cell(v)
        for v in values
    ]


def write_trials_csv(
    path: Path,
    bundles: Iterable[PatientBundle],
    pseudonymizer: Pseudonymizer | None = None,
    *,
    excel: bool = False,
) -> int:
    """Write ``trials.csv`` patient by patient, atomically; return the number of rows."""
    count = 0
    with atomic_text(path) as out:
        writer = SafeCsvWriter(out, excel=excel)
        writer.header(trial_columns(pseudonymizer))
        for bundle in bundles:
            rows = list(trial_rows(bundle, pseudonymizer))
            writer.ready_rows(rows)
            count += len(rows)
    return count


def encode_trial_rows(
    bundles: Iterable[PatientBundle],
    pseudonymizer: Pseudonymizer | None = None,
    *,
    excel: bool = False,
) -> tuple[int, bytes]:
    """The rows of ``bundles`` as ``trials.csv`` has them (UTF-8, no header, no byte-order
    mark), and their number: an export worker's batch."""
    text = io.StringIO(newline="")
    writer = SafeCsvWriter(text, excel=excel, byte_order_mark=False)
    count = 0
    for bundle in bundles:
        rows = list(trial_rows(bundle, pseudonymizer))
        writer.ready_rows(rows)
        count += len(rows)
    return count, text.getvalue().encode("utf-8")


def write_trials_encoded(
    path: Path, batches: Iterable[bytes], pseudonymizer: Pseudonymizer | None, *, excel: bool
) -> None:
    """``trials.csv`` from rows already encoded by :func:`encode_trial_rows` (or
    :func:`~clinic_app.exchange.csv_table.encode_tables`), atomically. The rows arrive as
    UTF-8, encoded where they were made (a worker), so this process only copies them."""
    header = io.StringIO(newline="")
    SafeCsvWriter(header, excel=excel).header(trial_columns(pseudonymizer))
    with atomic_binary(path) as out:
        out.write(header.getvalue().encode("utf-8"))
        for batch in batches:
            out.write(batch)


def write_recording_csv(path: Path, samples: npt.NDArray[Any], *, excel: bool = False) -> None:
    """A structured array as CSV: one column per field, header = field names.

    Times keep microsecond resolution; other values 6 decimals; NaN is an empty cell.
    """
    names = list(samples.dtype.names or ())
    columns = [np.asarray(samples[name]) for name in names]
    with atomic_text(path) as out:
        writer = SafeCsvWriter(out, excel=excel)
        writer.header(names)
        for start in range(0, len(samples), 4096):
            block = [col[start : start + 4096].tolist() for col in columns]
            writer.preformatted_rows([number_text(value) for value in row] for row in zip(*block))


def _number(value: Any) -> Cell:
    if type(value) is float or type(value) is int:  # the usual case, checked cheaply
        return value
    if isinstance(value, bool) or not isinstance(value, int | float | np.generic):
        return None
    return value


def _result_cell(value: Any, pseudo: Pseudonymizer | None) -> Cell:
    if isinstance(value, str):
        return value if pseudo is None or is_code(value) else None
    if isinstance(value, bool | int | float) or value is None:
        return value
    return None  # a nested object has no cell


def _code(value: str) -> str | None:
    return value if is_code(value) else None
