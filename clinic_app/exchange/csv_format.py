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

import csv
import dataclasses
import io
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from clinic_app.analysis.sway import SwayMetrics
from clinic_app.exchange.collect import PatientBundle
from clinic_app.exchange.csv_safety import (
    LOOK_CLOSER,
    Cell,
    ReadyCell,
    SafeCsvWriter,
    format_cell,
    number_text,
    ready_cell,
)
from clinic_app.exchange.deidentify import Pseudonymizer, coded_reason, is_code
from clinic_app.exchange.files import atomic_text
from clinic_app.storage._util import from_json
from clinic_app.storage.bulk import TrialTable

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


def table_lines(table: TrialTable, *, excel: bool = False) -> list[str]:
    """The lines :func:`trial_rows` gives one patient (not de-identified) in ``trials.csv``,
    from the patient's flat :class:`~clinic_app.storage.bulk.TrialTable`.

    The same text as the csv module writes, made faster: the visit's identity cells are
    written once per visit, and a trial's cells are joined with commas directly when
    none of them needs quotes (checked on the joined line: a comma, quote or line break
    inside a cell shows as a character too many); a line that does goes through the csv
    module.
    """
    end = "\r\n" if excel else "\n"
    lines = []
    width = len(_TRIAL_CELLS)
    for (
        session_id,
        session_uid,
        session_started,
        voided_at,
        examiner,
        site,
    ), trials in table.visits:
        visit = [session_id, session_uid, session_started, voided_at is not None, examiner, site]
        identity = _csv_line(_ready([*table.patient, *visit]), end)[: -len(end)] + ","
        lines += _trial_lines(trials, identity, end, width)
    return lines


def _trial_lines(trials: list[tuple[Any, ...]], identity: str, end: str, width: int) -> list[str]:
    """The lines of one visit's trials (see :func:`table_lines`)."""
    lines = []
    for (
        trial_id, trial_uid, protocol, side, condition, attempt, practice, status, reason,
        started, ended, result_text,
    ) in trials:  # fmt: skip
        result = from_json(result_text)
        if type(result) is not dict:
            result = {}
        metrics = result.get("metrics")
        texts = _texts(
            (
                trial_id, trial_uid, protocol, side, condition, attempt, bool(practice),
                status, reason, started, ended,
            ),
            format_cell,
        ) + _texts(map(result.get, _RESULT_KEYS), _result_text)  # fmt: skip
        if isinstance(metrics, dict) and metrics:
            numbers = list(map(metrics.get, METRIC_KEYS))
            joined = _fixed_floats(numbers)
            metric_texts = [joined] if joined else _texts(numbers, _metric_text)
        else:
            numbers, metric_texts = [], _NO_METRIC_TEXTS
        line = ",".join(texts + metric_texts)
        if line.count(",") != width - 1 or '"' in line or "\n" in line or "\r" in line:
            texts += _texts(numbers, _metric_text) if numbers else _NO_METRIC_TEXTS
            line = _csv_line(texts, end)[: -len(end)]  # the ending decides what is quoted
        lines.append(identity + line + end)
    return lines


_TRIAL_CELLS = trial_columns()[IDENTITY_COLUMNS.index("trial_id") :]
"""The columns after the visit's identity (a trial's own cells)."""


_NO_METRIC_TEXTS = [""] * len(METRIC_KEYS)


def _fixed_floats(values: list[Any]) -> str | None:
    """``values`` as cells joined by commas, formatted by orjson, when every one is a float
    that ``repr`` writes in fixed notation (1e-4 <= |x| < 1e16); None otherwise.

    Both write the shortest digits that read back as the same float, and in that range the
    same text (tested, boundaries included); orjson formats a row's metrics some 15 times
    faster than ``repr`` one by one, which was a third of a clinic-wide CSV.
    """
    if not values or set(map(type, values)) != {float}:
        return None
    total = sum(values)
    if total - total != 0.0:
        return None  # NaN or infinity: an empty cell
    if min(map(abs, values)) < 1e-4 or max(map(abs, values)) >= 1e16:
        return None  # repr writes an exponent (or 0.0, checked by _texts)
    return orjson.dumps(values)[1:-1].decode("ascii")


def _texts(values: Iterable[Any], other: Callable[[Any], str]) -> list[str]:
    """Each value's cell text as :func:`format_cell` makes it; the common cells (None, int,
    finite float, text that cannot start a formula) inline, any other through ``other``."""
    return [
        ""
        if v is None
        else v
        if (kind := type(v)) is str and v[:1] not in LOOK_CLOSER
        else str(v)
        if kind is int or (kind is float and v - v == 0.0)
        else other(v)
        for v in values
    ]


def _result_text(value: Any) -> str:
    """A result field's cell (:func:`_result_cell`, not de-identified) as text."""
    return format_cell(_result_cell(value, None))


def _metric_text(value: Any) -> str:
    """A metric's cell as :func:`trial_rows` makes it, as text."""
    return format_cell(value if type(value) in _PLAIN_NUMBER else _number(value))


def _csv_line(cells: list[ReadyCell] | list[str], end: str) -> str:
    """``cells`` as the csv module writes a row ending with ``end`` (which also decides
    what is quoted: a carriage return in a cell is quoted when lines end with CRLF)."""
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator=end).writerow(cells)
    return text.getvalue()


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
) -> tuple[int, str]:
    """The rows of ``bundles`` as ``trials.csv`` has them (no header, no byte-order mark),
    and their number: an export worker's batch."""
    text = io.StringIO(newline="")
    writer = SafeCsvWriter(text, excel=excel, byte_order_mark=False)
    count = 0
    for bundle in bundles:
        rows = list(trial_rows(bundle, pseudonymizer))
        writer.ready_rows(rows)
        count += len(rows)
    return count, text.getvalue()


def encode_tables(tables: Iterable[TrialTable], *, excel: bool = False) -> tuple[int, str]:
    """:func:`encode_trial_rows` (not de-identified) from the patients' flat tables."""
    text = io.StringIO(newline="")
    count = 0
    for table in tables:
        lines = table_lines(table, excel=excel)
        text.write("".join(lines))
        count += len(lines)
    return count, text.getvalue()


def write_trials_text(
    path: Path, batches: Iterable[str], pseudonymizer: Pseudonymizer | None, *, excel: bool
) -> None:
    """``trials.csv`` from rows already encoded by :func:`encode_trial_rows`, atomically."""
    with atomic_text(path) as out:
        SafeCsvWriter(out, excel=excel).header(trial_columns(pseudonymizer))
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
