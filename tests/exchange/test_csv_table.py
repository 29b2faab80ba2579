"""The clinic-wide CSV from flat tables (``exchange/csv_table.py``,
``storage/bulk.iter_trial_tables``) writes exactly what the csv module writes of
``csv_format.trial_rows``, whatever a result holds, and takes its fast paths for plain
cells (orjson's floats are ``repr``'s in fixed notation)."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from clinic_app.exchange.collect import PatientBundle, SessionBundle, TrialBundle, collect_patient
from clinic_app.exchange.csv_format import BALANCE_COLUMNS, LUNGE_COLUMNS, METRIC_KEYS, trial_rows
from clinic_app.exchange.csv_safety import SafeCsvWriter, format_cell
from clinic_app.exchange.csv_table import _fixed_floats, table_lines
from clinic_app.storage import Database, NotFoundError
from clinic_app.storage.bulk import TrialTable, export_patient_ids, iter_trial_tables
from tests.exchange.test_bulk_export import (  # noqa: F401  (clinic: a fixture)
    _CELLS,
    _TEXT,
    _table_of,
    clinic,
)


def test_the_batched_tables_are_the_records_tables(clinic: Database) -> None:  # noqa: F811
    ids = export_patient_ids(clinic)
    tables = list(iter_trial_tables(clinic, ids, batch_size=2))
    expected = [_table_of(collect_patient(clinic, i, recordings=False)) for i in ids]
    assert [t.patient for t in tables] == [t.patient for t in expected]
    for got, want in zip(tables, expected, strict=True):
        assert [visit for visit, _ in got.visits] == [visit for visit, _ in want.visits]
        got_trials = [t for _, trials in got.visits for t in trials]
        want_trials = [t for _, trials in want.visits for t in trials]
        assert [t[:-1] for t in got_trials] == [t[:-1] for t in want_trials]
        assert [json.loads(t[-1]) if t[-1] else None for t in got_trials] == [
            json.loads(t[-1]) if t[-1] else None for t in want_trials
        ]
    with pytest.raises(NotFoundError, match="no patient with id 999"):
        list(iter_trial_tables(clinic, [1, 999]))


_RESULT_VALUES = st.one_of(
    _CELLS, st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=2), st.none()),
    st.sampled_from([float("inf"), float("-inf"), 1e-05, -0.0, 2**70]),
)  # fmt: skip
_JSON_VALUES = _RESULT_VALUES.filter(lambda v: not isinstance(v, np.generic))
"""What a stored result can hold (numpy scalars never reach JSON)."""
_RESULT_KEYS = [*LUNGE_COLUMNS, *BALANCE_COLUMNS, "metrics", "extra"]


@given(
    results=st.lists(
        st.one_of(
            st.none(),
            st.lists(st.integers(), max_size=1),
            st.dictionaries(
                st.sampled_from(_RESULT_KEYS),
                st.one_of(
                    _JSON_VALUES,
                    st.dictionaries(st.sampled_from([*METRIC_KEYS, "x"]), _JSON_VALUES),
                ),
            ),
        ),
        min_size=1,
        max_size=4,
    ),
    texts=st.lists(_TEXT | st.text(max_size=6), min_size=4, max_size=4),
    practice=st.booleans(),
    voided=st.booleans(),
    excel=st.booleans(),
)
@example(
    results=[{"capture": "a,b", "metrics": {"n": 1.5}}], texts=["=1", "x", "y", "z"],
    practice=False, voided=False, excel=False,
)  # fmt: skip
@example(
    results=[{"site": "a\rb"}], texts=["a", "b", "c", "d"], practice=True, voided=True,
    excel=True,
)  # fmt: skip
@example(
    results=[
        {"angle_deg": 2**70, "metrics": {"n": -(2**64) - 1, "fs_hz": 1.5}},
        {"metrics": {"n": 1e19}},
    ],
    texts=["a", "b", "c", "d"],
    practice=False,
    voided=False,
    excel=False,
)  # fmt: skip  (integers orjson would make floats; a float that large, as it is)
def test_table_lines_are_what_the_csv_module_writes_of_trial_rows(
    results: list[Any], texts: list[str], practice: bool, voided: bool, excel: bool
) -> None:
    """Whatever a result holds (text needing quotes or a formula guard, booleans, ±inf,
    nested values, huge integers), the fast lines equal the csv module's rows."""
    last, examiner, reason, uid = texts
    patient_row = (7, uid, "MRN-7", last, "Zoë")
    session = (3, uid, "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z" if voided else None,
               examiner, "tibial_crest_15cm")  # fmt: skip
    rows = [
        (10 + i, uid, "lunge", "left", None, i + 1, int(practice), "valid", reason,
         "2026-01-01T00:00:00Z", None, None if r is None else json.dumps(r, allow_nan=True))
        for i, r in enumerate(results)
    ]  # fmt: skip
    table = TrialTable(patient_row, [(session, rows)])
    fields = dict(zip(("id", "uid", "record_number", "last_name", "first_name"), patient_row))
    bundle = PatientBundle(
        _any_patient(fields),
        (
            SessionBundle(
                _any_session(session), tuple(TrialBundle(_any_trial(r), {}) for r in rows), ()
            ),
        ),
    )
    reference = io.StringIO(newline="")
    SafeCsvWriter(reference, excel=excel, byte_order_mark=False).ready_rows(trial_rows(bundle))
    assert "".join(table_lines(table, excel=excel)) == reference.getvalue()


def _any_patient(fields: dict[str, Any]) -> Any:
    return SimpleNamespace(**fields)


def _any_session(row: tuple[Any, ...]) -> Any:
    session_id, uid, started, voided_at, examiner, site = row
    return SimpleNamespace(
        id=session_id, uid=uid, started_at=started, voided_at=voided_at,
        is_voided=voided_at is not None, examiner=examiner, inclinometer_site=site,
    )  # fmt: skip


def _any_trial(row: tuple[Any, ...]) -> Any:
    (trial_id, uid, protocol, side, condition, attempt, practice, status, reason, started,
     ended, result) = row  # fmt: skip
    return SimpleNamespace(
        id=trial_id, uid=uid, protocol=protocol, side=side, condition=condition,
        attempt=attempt, practice=bool(practice), status=status, invalid_reason=reason,
        started_at=started, ended_at=ended, result=None if result is None else json.loads(result),
    )  # fmt: skip


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=16))
@example([1e-4, 9999999999999998.0, -0.5])
@example([9.999999999999999e-05])
@example([1e16])
@example([0.0, 1.5])
def test_metrics_through_orjson_are_what_repr_writes(values: list[float]) -> None:
    joined = _fixed_floats(values)
    if joined is not None:  # else the row's metrics go through format_cell one by one
        assert joined == ",".join(format_cell(v) for v in values)
        assert all(1e-4 <= abs(v) < 1e16 for v in values)


def test_metrics_through_orjson_cover_every_fixed_notation_float() -> None:
    """Dense random floats of every magnitude repr writes in fixed notation, in rows."""
    rng = np.random.default_rng(18)
    mantissa = rng.uniform(1.0, 10.0, 150_000) * rng.choice([-1.0, 1.0], 150_000)
    values = (mantissa * 10.0 ** rng.integers(-4, 16, 150_000)).tolist()
    values = [v for v in values if 1e-4 <= abs(v) < 1e16]
    for start in range(0, len(values), 15):
        row = values[start : start + 15]
        assert _fixed_floats(row) == ",".join(map(repr, row))


def test_plain_rows_take_the_joined_path(
    clinic: Database,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The csv module writes no line of plain cells, neither a visit's identity nor a
    trial's (the joined path once fell back on every line: equality tests cannot see it)."""
    import clinic_app.exchange.csv_table as csv_table

    written: list[Any] = []
    real = csv_table._csv_line

    def counted(cells: list[Any], end: str) -> str:
        written.append(cells)
        return real(cells, end)

    monkeypatch.setattr(csv_table, "_csv_line", counted)
    tables = list(iter_trial_tables(clinic, export_patient_ids(clinic)))
    lines = [line for table in tables for line in table_lines(table)]
    visits = {visit[0] for table in tables for visit, _ in table.visits}
    assert len(lines) > len(visits) > 1
    assert written == []
