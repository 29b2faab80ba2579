"""Clinic-wide exports encoded by worker processes and written in order by this one.

Reading a patient's records and encoding them is Python work that holds the interpreter
lock, so threads cannot share it out (issue 18 §2: on the issue's clinic of 10,000
patients and 100,000 visits, nine tenths of a CSV, JSON or FHIR export is that work). Each
worker process opens the database read-only (:meth:`Database.open_reader`), takes a batch
of patients, reads them in one snapshot as the in-process export does
(:func:`~clinic_app.exchange.collect.iter_bundles`, or for a CSV
:func:`~clinic_app.storage.bulk.iter_trial_tables`), encodes them exactly as it does, and
hands back the batch's bytes; this process writes the batches in the patients' order.
The file is therefore byte for byte the in-process export's (tested), and it appears only
when complete.

Memory stays bounded: at most ``2 × workers`` batches are in flight. Workers are started
with ``spawn`` (no ``fork`` of a process holding SQLite connections and threads), which
costs each about a quarter of a second of start-up, so small exports, and exports from a
clinic server (whose sign-in a worker cannot repeat), stay in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from clinic_app.exchange.pipeline import submitted_in_order
from clinic_app.storage import Database

if TYPE_CHECKING:  # a CSV or JSON worker need not import the FHIR and pseudonym modules
    from clinic_app.exchange.deidentify import Pseudonymizer
    from clinic_app.exchange.fhir_bundle import FhirOptions

BATCH_PATIENTS = 100
"""Patients a worker reads and encodes per task (CSV, JSON): 1-4 MB of text on the
issue's clinic, ten visits a patient."""
FHIR_BATCH_PATIENTS = 10
"""The same for FHIR, whose resources are some ten times larger (~1 MB a batch)."""
MIN_PATIENTS = 800
"""Fewer patients than this are exported in this process (the workers' start-up would
cost more than they save)."""
MAX_WORKERS = 2
"""Each worker is a Python process of some 60 MB; two keep a whole export (this process,
its workers and multiprocessing's resource tracker) within 250 MB (issue 18 §2)."""

EncodedFormat = Literal["csv", "json", "fhir"]


@dataclass(frozen=True)
class EncodeJob:
    """What every worker needs to encode a batch (sent once, when it starts).

    Attributes
    ----------
    fmt : {"csv", "json", "fhir"}
    db_path : str
        The SQLite file (opened read-only by each worker).
    pseudonymizer : Pseudonymizer, optional
        For a de-identified export.
    recordings : bool
        JSON: with the raw samples.
    excel : bool
        CSV: CRLF line ends.
    fhir : FhirOptions, optional
        FHIR: the Bundle's options.
    """

    fmt: EncodedFormat
    db_path: str
    pseudonymizer: Pseudonymizer | None = None
    recordings: bool = True
    excel: bool = False
    fhir: FhirOptions | None = None


def workers_for(db: Any, patient_count: int, requested: int | None = None) -> int:
    """Worker processes for an export of ``patient_count`` patients from ``db``; 0 means
    in this process.

    ``requested`` None chooses: one per processor (at most :data:`MAX_WORKERS`) for a
    database file with at least :data:`MIN_PATIENTS` patients on a computer with two or
    more processors. A number asks for that many (tests), for a database file only.
    """
    if not isinstance(db, Database):
        return 0  # a clinic server: its sign-in stays in this process
    if requested is not None:
        return max(0, requested)
    processors = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    processors = processors or os.cpu_count() or 1
    if processors < 2 or patient_count < MIN_PATIENTS:
        return 0
    return min(MAX_WORKERS, processors)


def encoded_batches(
    job: EncodeJob, patient_ids: Sequence[int], workers: int
) -> Iterator[tuple[int, Any]]:
    """``(items, encoded)`` of each batch of ``patient_ids``, in order, encoded by
    ``workers`` processes (see :func:`encode_batch` for what ``encoded`` is).

    An exception raised in a worker (a damaged chunk, a patient deleted meanwhile) is
    raised here, where its batch would have been given; work not yet started is dropped.
    """
    size = FHIR_BATCH_PATIENTS if job.fmt == "fhir" else BATCH_PATIENTS
    batches = [
        list(patient_ids[start : start + size]) for start in range(0, len(patient_ids), size)
    ]
    limit = 2 * workers  # each worker has the next batch waiting when it finishes one
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start_worker,
        initargs=(job,),
    )
    yield from submitted_in_order(pool, _encode_in_worker, batches, limit)


def encode_batch(db: Database, job: EncodeJob, patient_ids: Sequence[int]) -> tuple[int, Any]:
    """One batch as the export file has it, and its number of items.

    JSON: the patients' records joined by ``b",\\n"`` (bytes); FHIR: their Bundle entries,
    likewise; CSV: their ``trials.csv`` rows (text).
    """
    from clinic_app.exchange.collect import iter_bundles

    if job.fmt == "csv" and job.pseudonymizer is None:
        from clinic_app.exchange.csv_table import encode_tables
        from clinic_app.storage.bulk import iter_trial_tables

        return encode_tables(iter_trial_tables(db, patient_ids), excel=job.excel)
    if job.fmt == "json":
        from clinic_app.exchange.json_export import encode_patient

        bundles = iter_bundles(db, patient_ids, recordings=job.recordings)
        records = [encode_patient(bundle, job.pseudonymizer) for bundle in bundles]
        return len(records), b",\n".join(records)
    bundles = iter_bundles(db, patient_ids, recordings=False, plans=False)
    if job.fmt == "fhir":
        from clinic_app.exchange.fhir_bundle import encode_entries

        assert job.fhir is not None
        return encode_entries(bundles, job.fhir, job.pseudonymizer)
    from clinic_app.exchange.csv_format import encode_trial_rows

    return encode_trial_rows(bundles, job.pseudonymizer, excel=job.excel)


# ------------------------------------------------------------------ in the worker process
_worker: dict[str, Any] = {}


def _start_worker(job: EncodeJob) -> None:
    _worker["job"] = job
    _worker["db"] = Database.open_reader(Path(job.db_path))


def _encode_in_worker(patient_ids: list[int]) -> tuple[int, Any]:
    return encode_batch(_worker["db"], _worker["job"], patient_ids)
