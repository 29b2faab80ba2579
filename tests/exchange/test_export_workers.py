"""Exports encoded by worker processes (``exchange/export_workers.py``) are byte for byte
the in-process exports, in every format and option, in batches of any size; what goes
wrong in a worker is raised as the in-process export raises it, with no file left.

The workers are real ``spawn``-started processes reading the test's database file through
:meth:`Database.open_reader`.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from clinic_app.exchange import export_workers
from clinic_app.exchange.export import ExportRequest, run_export
from clinic_app.storage import Database, StorageError
from clinic_app.storage.bulk import patient_recordings
from tests.exchange.test_bulk_export import (  # noqa: F401  (clinic: a fixture)
    FORMATS_AND_OPTIONS,
    _files,
    clinic,
)


@pytest.mark.parametrize(("fmt", "options"), FORMATS_AND_OPTIONS)
def test_workers_write_the_bytes_of_the_in_process_export(
    clinic: Database,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    options: dict[str, Any],
) -> None:
    monkeypatch.setattr(export_workers, "BATCH_PATIENTS", 2)  # several batches, one empty
    monkeypatch.setattr(export_workers, "FHIR_BATCH_PATIENTS", 3)
    here, there = tmp_path / "here", tmp_path / "workers"
    here.mkdir()
    there.mkdir()
    in_process = run_export(clinic, ExportRequest(fmt=fmt, out_dir=here, workers=0, **options))
    spawned: list[Any] = []
    real_batches = export_workers.encoded_batches

    def counted(job: Any, ids: Any, workers: int) -> Any:
        spawned.append(workers)
        return real_batches(job, ids, workers)

    monkeypatch.setattr(export_workers, "encoded_batches", counted)
    by_workers = run_export(clinic, ExportRequest(fmt=fmt, out_dir=there, workers=2, **options))
    assert spawned == [2]  # the worker path was taken
    assert [p.name for p in by_workers] == [p.name for p in in_process]
    assert _files(there) == _files(here)
    assert all(p.stat().st_size > 100 for p in by_workers)


def test_chosen_patients_in_workers_are_in_the_order_asked(
    clinic: Database,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export_workers, "BATCH_PATIENTS", 1)
    ids = [6, 1, 4]  # not the name order
    for workers, folder in ((0, tmp_path / "a"), (2, tmp_path / "b")):
        folder.mkdir()
        request = ExportRequest(fmt="csv", out_dir=folder, patient_ids=ids, workers=workers)
        run_export(clinic, request)
    assert _files(tmp_path / "a") == _files(tmp_path / "b")


def test_a_damaged_chunk_in_a_worker_is_raised_and_leaves_no_file(
    clinic: Database,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(export_workers, "BATCH_PATIENTS", 2)
    (trial_id,) = patient_recordings(clinic, 4)
    clinic.conn.execute(
        "UPDATE recordings SET data = ? WHERE trial_id = ? AND device = 'plate' AND chunk = 1",
        (b"not zlib", trial_id),
    )
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(StorageError, match=r"chunk 1 of trial \d+ \(plate\) is damaged"):
        run_export(clinic, ExportRequest(fmt="json", out_dir=out, workers=2))
    assert list(out.iterdir()) == []


def test_who_gets_workers(clinic: Database, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0, 1}, raising=False)
    minimum = export_workers.MIN_PATIENTS
    assert export_workers.workers_for(clinic, minimum - 1) == 0  # start-up would cost more
    assert export_workers.workers_for(clinic, minimum) == 2
    assert export_workers.workers_for(clinic, 3, requested=2) == 2
    assert export_workers.workers_for(object(), minimum, requested=2) == 0  # not a file
    monkeypatch.setattr(os, "sched_getaffinity", lambda _: {0}, raising=False)
    assert export_workers.workers_for(clinic, 10 * minimum) == 0  # one processor


def test_a_reader_cannot_write_and_leaves_the_journal_alone(
    clinic: Database,  # noqa: F811
) -> None:
    reader = Database.open_reader(clinic.path)
    try:
        assert reader.get_patient(1).last_name == clinic.get_patient(1).last_name
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            reader.conn.execute("UPDATE patients SET last_name = 'X'")
    finally:
        reader.close()
    wal = clinic.path.with_name(clinic.path.name + "-wal")
    assert wal.exists()  # the writer's WAL was not checkpointed away by the reader
    assert clinic.get_patient(1).last_name != "X"


def test_a_deidentified_plan_has_one_key_order_whatever_the_hash_seed() -> None:
    """Workers are other processes with other hash seeds; a set's order once leaked into the
    de-identified plan's keys, so two exports of one clinic differed."""
    code = (
        "import json; from clinic_app.exchange.deidentify import deidentified_plan; "
        "print(list(deidentified_plan({'retest_date': '2026-01-02', "
        "'generated_at': '2026-01-01T00:00:00Z', 'schema': 1}, 's-1')))"
    )
    orders = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(6)
    }
    assert len(orders) == 1, orders
