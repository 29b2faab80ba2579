"""Clinic-wide exports read in batches (``storage/bulk.py``) give exactly what reading one
patient at a time gives: the same records, the same samples, the same bytes in every format.

The clinic here has what batching could get wrong: patients in name order that differs
from id order, a patient without visits, one in the deleted list, a voided visit, an
unfinished visit with an incomplete trial, a recording journaled in several chunks, plans
with several versions, and batches smaller than the clinic.
"""

from __future__ import annotations

import io
import json
import math
import re
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from clinic_app.exchange.collect import (
    PatientBundle,
    collect_patient,
    iter_bundles,
)
from clinic_app.exchange.csv_safety import (
    FORMULA_PREFIXES,
    WHITE_SPACE,
    SafeCsvWriter,
    format_cell,
)
from clinic_app.exchange.export import ExportRequest, run_export
from clinic_app.exchange.fhir_codes import NAMESPACE, name_uuid
from clinic_app.storage import Database, NotFoundError, StorageError
from clinic_app.storage.bulk import (
    TrialTable,
    export_patient_ids,
    iter_patient_records,
    patient_recordings,
)
from tests.exchange.conftest import _incl, _plate, add_visit


def _patient(db: Database, first: str, last: str, number: str) -> int:
    fields = {"first_name": first, "last_name": last, "birth_date": "1985-06-30",
              "record_number": number, "mass_kg": "70", "height_cm": "175"}  # fmt: skip
    return db.create_patient(fields).id


@pytest.fixture()
def clinic(tmp_path: Path) -> Iterator[Database]:
    """Seven patients whose name order is not their id order, with every kind of record."""
    db = Database.open(tmp_path / "clinic.sqlite3")
    zed = _patient(db, "Zoë", "Zúñiga", "MRN-1")
    add_visit(db, zed, "2026-09-01T09:00:00Z", 36.0, seed=1)
    voided = add_visit(db, zed, "2026-08-01T09:00:00Z", 30.0, seed=2)  # older, added later
    db.void_session(voided, "wrong patient")
    _patient(db, "Ana", "Abel", "MRN-2")  # no visits
    gone = _patient(db, "Bo", "Berg", "MRN-3")
    add_visit(db, gone, "2026-07-01T09:00:00Z", 33.0, seed=3)
    db.delete_patient(gone)
    chunked = _patient(db, "Kwame", "Mensah", "MRN-4")
    session = db.create_session(chunked, "Dr Ruiz", started_at="2026-10-02T08:00:00Z")
    trial = db.begin_trial(session, "balance", "left", "eo_firm", 1)
    plate = _plate(900, seed=4)
    for start in range(0, 900, 300):  # journaled once a second, in three chunks
        db.append_recording_chunk(trial, "plate", plate[start : start + 300])
    db.append_recording_chunk(trial, "inclinometer", _incl(50, 20.0, seed=5))
    # the visit stays unfinished, its trial incomplete (a crash)
    for i, last in enumerate(("Chen", "Olsen", "Dupont")):
        pid = _patient(db, "Lea", last, f"MRN-{5 + i}")
        add_visit(db, pid, f"2026-0{i + 4}-11T09:00:00Z", 38.0 + i, seed=10 + i)
    yield db
    db.close()


def _assert_same(got: list[PatientBundle], expected: list[PatientBundle]) -> None:
    assert [b.patient for b in got] == [b.patient for b in expected]
    for mine, theirs in zip(got, expected, strict=True):
        assert len(mine.sessions) == len(theirs.sessions)
        for visit, reference in zip(mine.sessions, theirs.sessions, strict=True):
            assert visit.session == reference.session
            assert visit.plans == reference.plans
            assert [t.trial for t in visit.trials] == [t.trial for t in reference.trials]
            for item, ref in zip(visit.trials, reference.trials, strict=True):
                assert list(item.recordings) == list(ref.recordings)
                for device, samples in item.recordings.items():
                    assert samples.dtype == ref.recordings[device].dtype
                    assert samples.tobytes() == ref.recordings[device].tobytes()


def _one_at_a_time(db: Database, recordings: bool) -> list[PatientBundle]:
    return [
        collect_patient(db, p.id, recordings=recordings)
        for p in db.search_patients("", limit=None)
    ]


@pytest.mark.parametrize("recordings", [True, False])
def test_bulk_bundles_are_the_per_patient_bundles(clinic: Database, recordings: bool) -> None:
    expected = _one_at_a_time(clinic, recordings)
    assert len(expected) == 6  # the deleted patient is not exported
    assert any(t.recordings for b in expected for s in b.sessions for t in s.trials) is recordings
    _assert_same(list(iter_bundles(clinic, None, recordings=recordings)), expected)


@pytest.mark.parametrize("batch_size", [1, 2, 4, 500])
def test_batches_of_any_size_give_the_same_records(clinic: Database, batch_size: int) -> None:
    ids = export_patient_ids(clinic)
    assert ids == [p.id for p in clinic.search_patients("", limit=None)]
    assert ids != sorted(ids)  # name order, not id order
    records = list(iter_patient_records(clinic, ids, batch_size=batch_size))
    assert [r.patient.id for r in records] == ids
    for record in records:
        history = clinic.patient_history(record.patient.id)
        assert [(v.session, v.trials) for v in record.visits] == [
            (h.session, h.trials) for h in history
        ]
        assert [v.plans for v in record.visits] == [
            tuple(clinic.plan_versions(h.session.id)) for h in history
        ]


def test_plans_left_out_leave_the_rest_as_it_is(clinic: Database) -> None:
    with_plans = list(iter_patient_records(clinic, export_patient_ids(clinic)))
    without = list(iter_patient_records(clinic, export_patient_ids(clinic), plans=False))
    assert any(v.plans for r in with_plans for v in r.visits)
    assert all(not v.plans for r in without for v in r.visits)
    assert [(r.patient, [(v.session, v.trials) for v in r.visits]) for r in without] == [
        (r.patient, [(v.session, v.trials) for v in r.visits]) for r in with_plans
    ]


def test_chosen_patients_come_in_the_order_asked_deleted_ones_too(clinic: Database) -> None:
    deleted = clinic.list_deleted_patients()[0].id
    ids = [4, deleted, 1]
    expected = [collect_patient(clinic, i) for i in ids]
    _assert_same(list(iter_bundles(clinic, ids)), expected)


def test_no_query_sorts_rows(clinic: Database) -> None:
    """Sorting (a temporary B-tree) could spill records to a temporary file: a full disk
    would then fail the reading, and it costs time; every order follows an index. (The
    list of patient ids, in name order, is the patient list's own query.)"""
    statements: list[str] = []
    clinic.conn.set_trace_callback(statements.append)
    try:
        for bundle in iter_bundles(clinic, None):
            patient_recordings(clinic, bundle.patient.id)
    finally:
        clinic.conn.set_trace_callback(None)
    reads = [s for s in statements if s.startswith("SELECT") and not s.startswith("SELECT id ")]
    assert len(reads) >= 5
    for sql in reads:
        plan = " ".join(row[-1] for row in clinic.conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
        assert "TEMP B-TREE" not in plan, (sql, plan)


def test_an_unknown_patient_is_not_found(clinic: Database) -> None:
    with pytest.raises(NotFoundError, match="no patient with id 999"):
        list(iter_bundles(clinic, [1, 999]))


def test_a_damaged_chunk_is_reported_as_by_load_recording(clinic: Database) -> None:
    patient_id = 4  # Kwame Mensah: the plate recording in three chunks
    (trial_id,) = patient_recordings(clinic, patient_id)
    clinic.conn.execute(
        "UPDATE recordings SET data = ? WHERE trial_id = ? AND device = 'plate' AND chunk = 1",
        (b"not zlib", trial_id),
    )
    with pytest.raises(StorageError, match=r"chunk 1 of trial \d+ \(plate\) is damaged") as bulk:
        patient_recordings(clinic, patient_id)
    with pytest.raises(StorageError) as single:
        clinic.load_recording(trial_id, "plate")
    assert str(bulk.value) == str(single.value)


_RUN_STAMPS = re.compile(rb'^  "(exported_at|id|timestamp)": .*\n', re.MULTILINE)
"""Header lines that differ between any two runs (export time, the Bundle's random id)."""


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): _RUN_STAMPS.sub(b"", p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


FORMATS_AND_OPTIONS = [
    ("csv", {}),
    ("csv", {"excel": True, "deidentify": True}),
    ("json", {}),
    ("json", {"recordings": False, "deidentify": True}),
    ("fhir", {}),
    ("fhir-transaction", {"deidentify": True}),
]
"""Every format and option that encodes patients (``raw`` writes recordings as they are)."""


@pytest.mark.parametrize(("fmt", "options"), [*FORMATS_AND_OPTIONS, ("raw", {})])
def test_every_format_writes_the_same_bytes_as_reading_patient_by_patient(
    clinic: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    options: dict[str, Any],
) -> None:
    bulk_dir, single_dir = tmp_path / "bulk", tmp_path / "single"
    bulk_dir.mkdir()
    single_dir.mkdir()
    bulk = run_export(clinic, ExportRequest(fmt=fmt, out_dir=bulk_dir, **options))

    def per_patient(db: Database, ids: Any, *, recordings: bool, **_: Any) -> Iterator[Any]:
        for patient in db.search_patients("", limit=None):
            yield collect_patient(db, patient.id, recordings=recordings)

    def tables_from_records(db: Database, ids: Any) -> Iterator[TrialTable]:
        for patient in db.search_patients("", limit=None):
            yield _table_of(collect_patient(db, patient.id, recordings=False))

    monkeypatch.setattr("clinic_app.exchange.export.iter_bundles", per_patient)
    monkeypatch.setattr("clinic_app.storage.bulk.iter_trial_tables", tables_from_records)
    single = run_export(clinic, ExportRequest(fmt=fmt, out_dir=single_dir, **options))
    assert [p.relative_to(bulk_dir) for p in bulk] == [p.relative_to(single_dir) for p in single]
    assert _files(bulk_dir) == _files(single_dir)
    assert _files(bulk_dir)  # something was compared


# ------------------------------------------------------------ fast paths agree with the rule
def _format_cell_rule(value: Any) -> str:
    """The rule of :func:`format_cell`, written plainly (as before its fast path)."""
    if value is None:
        return ""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    text = str(value)
    stripped = text.lstrip()
    if text and (text[0] in FORMULA_PREFIXES or (stripped and stripped[0] in FORMULA_PREFIXES)):
        return "'" + text
    return text


_TEXT = st.text(alphabet=st.sampled_from(" \t\r\n\u3000=+-@＝＋－＠aZ9é中'\","), max_size=6)


@given(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), _TEXT,
        st.floats(width=32).map(np.float32), st.integers(-(2**31), 2**31 - 1).map(np.int64),
        st.booleans().map(np.bool_),
    )
)  # fmt: skip
@example("\u3000=1")  # white space that is not a space or a tab, then a formula
@example("\n+1")
@example("  ")
@example(np.float64("nan"))
def test_format_cell_follows_its_rule(value: Any) -> None:
    assert format_cell(value) == _format_cell_rule(value)


def test_white_space_is_what_lstrip_strips() -> None:
    every = (chr(i) for i in range(sys.maxunicode + 1))
    assert frozenset(c for c in every if c.isspace()) == WHITE_SPACE


_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), _TEXT, st.text(max_size=8),
    st.floats(width=32).map(np.float32),
)  # fmt: skip


@given(st.lists(st.lists(_CELLS, max_size=8), max_size=5))
def test_rows_writes_what_row_writes(rows: list[list[Any]]) -> None:
    one_by_one, at_once = io.StringIO(newline=""), io.StringIO(newline="")
    single = SafeCsvWriter(one_by_one)
    for row in rows:
        single.row(row)
    SafeCsvWriter(at_once).rows(rows)
    assert at_once.getvalue() == one_by_one.getvalue()


@given(st.lists(st.one_of(st.text(max_size=40), st.integers(), st.floats()), max_size=4))
def test_name_uuid_is_uuid5(parts: list[Any]) -> None:
    assert name_uuid(*parts) == str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


# --------------------------------------------------- the CSV's flat tables and its records
def _table_of(bundle: PatientBundle) -> TrialTable:
    """The :class:`TrialTable` the batched queries give, built from a patient's records."""
    patient = bundle.patient
    visits = [
        (
            (v.session.id, v.session.uid, v.session.started_at, v.session.voided_at,
             v.session.examiner, v.session.inclinometer_site),
            [
                (t.trial.id, t.trial.uid, t.trial.protocol, t.trial.side, t.trial.condition,
                 t.trial.attempt, int(t.trial.practice), t.trial.status, t.trial.invalid_reason,
                 t.trial.started_at, t.trial.ended_at,
                 None if t.trial.result is None else json.dumps(t.trial.result))
                for t in v.trials
            ],
        )
        for v in bundle.sessions
    ]  # fmt: skip
    ident = (patient.id, patient.uid, patient.record_number, patient.last_name, patient.first_name)
    return TrialTable(ident, visits)
