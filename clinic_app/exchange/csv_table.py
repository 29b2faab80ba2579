"""``trials.csv`` of a whole clinic from the patients' flat tables, fast (issue 18 §2).

:func:`table_lines` writes the same text as :func:`~clinic_app.exchange.csv_format.
trial_rows` through the csv module (tested with hypothesis), from the rows of
:func:`~clinic_app.storage.bulk.iter_trial_tables` instead of the patients' records, and
without a Python call per common cell:

* a visit's identity cells are written once for all its trials;
* a trial's cells are joined with commas directly, and the joined line checked: a comma,
  quote or line break inside a cell shows as a character too many, and only then does the
  csv module write (and quote) that line;
* floats that ``repr`` writes in fixed notation are formatted by orjson, which writes the
  same shortest digits some three (one) to fifteen (a row of metrics) times faster;
* results are parsed by orjson; a float of at least 2**63 (perhaps an integer beyond 64
  bits, which orjson cannot keep) sends that one result to the standard library's
  ``json`` and is written as it parses it.

De-identified tables keep to :func:`~clinic_app.exchange.csv_format.trial_rows`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from clinic_app.exchange.csv_format import (
    _PLAIN_NUMBER,
    _RESULT_KEYS,
    IDENTITY_COLUMNS,
    METRIC_KEYS,
    _number,
    _result_cell,
    trial_columns,
)
from clinic_app.exchange.csv_safety import LOOK_CLOSER, ReadyCell, format_cell
from clinic_app.storage.bulk import TrialTable


def encode_tables(tables: Iterable[TrialTable], *, excel: bool = False) -> tuple[int, bytes]:
    """:func:`~clinic_app.exchange.csv_format.encode_trial_rows` (not de-identified) from the
    patients' flat tables: their lines in UTF-8, and how many."""
    lines = [line for table in tables for line in table_lines(table, excel=excel)]
    return len(lines), "".join(lines).encode("utf-8")


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
        lines += _trial_lines(
            trials, _joined(_texts([*table.patient, *visit], format_cell), end) + ",", end, width
        )
    return lines


def _trial_lines(trials: list[tuple[Any, ...]], identity: str, end: str, width: int) -> list[str]:
    """The lines of one visit's trials (see :func:`table_lines`)."""
    lines = []
    for trial in trials:
        text = trial[-1]
        try:
            line = _trial_line(trial, _parse(text), end, width, _CHECKED)
        except _Imprecise:  # perhaps an integer beyond 64 bits that orjson made a float
            line = _trial_line(trial, json.loads(text), end, width, _AS_PARSED)
        lines.append(identity + line + end)
    return lines


def _trial_line(
    trial: tuple[Any, ...],
    result: Any,
    end: str,
    width: int,
    others: tuple[Callable[[Any], str], Callable[[Any], str]],
) -> str:
    """One trial's cells of ``trials.csv`` (after the visit's), its result parsed;
    ``others`` format the result's and the metrics' uncommon cells."""
    result_text, metric_text = others
    (
        trial_id, trial_uid, protocol, side, condition, attempt, practice, status, reason,
        started, ended, _,
    ) = trial  # fmt: skip
    if type(result) is not dict:
        result = {}
    metrics = result.get("metrics")
    texts = _texts(
        (
            trial_id, trial_uid, protocol, side, condition, attempt, bool(practice), status,
            reason, started, ended,
        ),
        format_cell,
    ) + _texts(map(result.get, _RESULT_KEYS), result_text)  # fmt: skip
    if isinstance(metrics, dict) and metrics:
        numbers = list(map(metrics.get, METRIC_KEYS))
        joined = _fixed_floats(numbers)
        metric_texts = [joined] if joined else _texts(numbers, metric_text)
    else:
        numbers, metric_texts = [], _NO_METRIC_TEXTS
    line = ",".join(texts + metric_texts)
    if _needs_quotes(line, width):
        texts += _texts(numbers, metric_text) if numbers else _NO_METRIC_TEXTS
        line = _joined(texts, end)
    return line


def _parse(text: str | None) -> Any:
    """A result column parsed by orjson (``json`` where orjson refuses it). Unlike
    :func:`~clinic_app.storage._util.from_json`, an integer beyond 64 bits is not looked
    for in the text: orjson makes it a float of at least 2**63, which the cells refuse
    (:class:`_Imprecise`), so the caller parses that one result again with ``json``."""
    if text is None:
        return None
    try:
        return _loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class _Imprecise(Exception):
    """A float of at least 2**63 in a result, perhaps an integer orjson could not keep."""


_INT64_LIMIT = 2.0**63
_loads = orjson.loads


def _exact_result_text(value: Any) -> str:
    """:func:`_result_text`, refusing a float orjson may have made of a huge integer."""
    if type(value) is float and value - value == 0.0 and abs(value) >= _INT64_LIMIT:
        raise _Imprecise
    return _result_text(value)


def _exact_metric_text(value: Any) -> str:
    """:func:`_metric_text`, refusing a float orjson may have made of a huge integer."""
    if type(value) is float and value - value == 0.0 and abs(value) >= _INT64_LIMIT:
        raise _Imprecise
    return _metric_text(value)


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
    finite float, text that cannot start a formula) inline, any other through ``other``.

    A float that ``repr`` writes in fixed notation is formatted by orjson (the same text,
    see :func:`_fixed_floats`; 100 ns against 350 ns), any other float by ``repr``.
    """
    return [
        ""
        if v is None
        else v
        if (kind := type(v)) is str and v[:1] not in LOOK_CLOSER
        else _dumps(v).decode()
        if kind is float and 1e-4 <= abs(v) < 1e16  # False for NaN
        else str(v)
        if kind is int or (kind is float and abs(v) < _INT64_LIMIT)  # False for NaN
        else other(v)
        for v in values
    ]


_dumps = orjson.dumps


def _result_text(value: Any) -> str:
    """A result field's cell (:func:`_result_cell`, not de-identified) as text."""
    return format_cell(_result_cell(value, None))


def _metric_text(value: Any) -> str:
    """A metric's cell as :func:`trial_rows` makes it, as text."""
    return format_cell(value if type(value) in _PLAIN_NUMBER else _number(value))


_CHECKED = (_exact_result_text, _exact_metric_text)
"""Cells of a result orjson parsed."""
_AS_PARSED = (_result_text, _metric_text)
"""Cells of a result ``json`` parsed (a float that large is one)."""


def _needs_quotes(line: str, width: int) -> bool:
    """Whether a cell of ``line`` (``width`` cells joined by commas) holds a comma (one
    comma too many), a quote or a line break, so the csv module must quote it."""
    return line.count(",") != width - 1 or '"' in line or "\n" in line or "\r" in line


def _joined(texts: list[str], end: str) -> str:
    """The cells joined by commas, as the csv module writes them in a line ending with
    ``end`` (which decides what is quoted: a carriage return is, before CRLF)."""
    line = ",".join(texts)
    return _csv_line(texts, end)[: -len(end)] if _needs_quotes(line, len(texts)) else line


def _csv_line(cells: list[ReadyCell] | list[str], end: str) -> str:
    """``cells`` as the csv module writes a row ending with ``end`` (which also decides
    what is quoted: a carriage return in a cell is quoted when lines end with CRLF)."""
    text = io.StringIO(newline="")
    csv.writer(text, lineterminator=end).writerow(cells)
    return text.getvalue()
