"""Exports of one patient or the whole clinic, streamed patient by patient.

:func:`run_export` is what ``clinic-app export`` calls. Every format is written one
patient at a time — the patient's records (and recordings, when they are exported) are
read, encoded and written, then dropped — so memory does not grow with the number of
patients, and every file appears only when complete (:mod:`clinic_app.exchange.files`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from clinic_app.exchange import export_workers
from clinic_app.exchange.collect import iter_bundles
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.storage import Database
from clinic_app.storage.bulk import export_patient_ids, iter_trial_tables

FORMATS = ("csv", "json", "fhir", "fhir-transaction", "raw")
"""``fhir`` is a FHIR ``collection`` Bundle, ``fhir-transaction`` a ``transaction`` Bundle
a FHIR server applies as is (``docs/fhir.md``)."""


@dataclass(frozen=True)
class ExportRequest:
    """What to export and how.

    Attributes
    ----------
    fmt : str
        One of :data:`FORMATS`.
    out_dir : Path
        The folder to write into (it must exist).
    patient_ids : sequence of int, optional
        The patients; None for every patient not in the deleted list.
    deidentify : bool
        Pseudonyms and codes only (:mod:`clinic_app.exchange.deidentify`).
    recordings : bool
        JSON: include the raw samples (raw always has them; CSV and FHIR never).
    excel : bool
        CSV: UTF-8 with a byte-order mark and CRLF, for Excel on Windows.
    workers : int, optional
        CSV, JSON and FHIR from a database file: worker processes that encode the patients
        (:mod:`clinic_app.exchange.export_workers`); None chooses by the number of
        patients and processors, 0 encodes in this process.
    """

    fmt: str
    out_dir: Path
    patient_ids: Sequence[int] | None = None
    deidentify: bool = False
    recordings: bool = True
    excel: bool = False
    workers: int | None = None


def export_stem(db: Database, request: ExportRequest, pseudo: Pseudonymizer | None) -> str:
    """The file-name stem: ``patient-<id>``, ``dorsilab-clinic-<date>``, or with a
    pseudonym and ``-deidentified`` (never the database id a pseudonym replaces)."""
    if request.patient_ids is None or len(request.patient_ids) != 1:
        stem = f"dorsilab-clinic-{date.today().isoformat()}"
    elif pseudo is None:
        stem = f"patient-{request.patient_ids[0]}"
    else:
        uid = db.get_patient(request.patient_ids[0]).uid
        stem = f"patient-{pseudo.pseudonym('patient', uid)}"
    return stem + ("-deidentified" if pseudo is not None else "")


def run_export(db: Database, request: ExportRequest) -> list[Path]:
    """Write the export into ``request.out_dir``; return the files written.

    Raises
    ------
    ValueError
        For an unknown format.
    clinic_app.storage.NotFoundError
        If a patient does not exist.
    OSError
        If the files cannot be written (nothing partial is left behind).
    """
    if request.fmt not in FORMATS:
        raise ValueError(f"unknown export format {request.fmt!r}; use one of {FORMATS}")
    pseudo = Pseudonymizer.for_clinic(db) if request.deidentify else None
    stem = export_stem(db, request, pseudo)
    out = request.out_dir
    if request.fmt == "raw":
        from clinic_app.exchange.raw import write_raw_recordings

        written: list[Path] = []
        for bundle in iter_bundles(db, request.patient_ids, recordings=True, plans=False):
            written += write_raw_recordings(out / stem, bundle, pseudo, excel=request.excel)
        return written
    ids = export_patient_ids(db) if request.patient_ids is None else list(request.patient_ids)
    workers = export_workers.workers_for(db, len(ids), request.workers)
    fhir = None
    if request.fmt in ("fhir", "fhir-transaction"):
        from clinic_app.exchange.fhir_bundle import FhirOptions

        kind: Literal["collection", "transaction"] = (
            "transaction" if request.fmt == "fhir-transaction" else "collection"
        )
        fhir = FhirOptions.from_settings(db, bundle_type=kind)
    by_workers: Iterator[bytes] | None = None
    if workers:  # a database file (the workers open it read-only)
        job = export_workers.EncodeJob(
            "fhir" if fhir is not None else request.fmt,  # type: ignore[arg-type]
            str(db.path),
            pseudo,
            recordings=request.recordings,
            excel=request.excel,
            fhir=fhir,
        )
        by_workers = (encoded for _, encoded in export_workers.encoded_batches(job, ids, workers))
    if request.fmt == "csv":
        from clinic_app.exchange.csv_format import write_trials_csv, write_trials_encoded
        from clinic_app.exchange.csv_table import encode_tables

        path = out / f"{stem}-trials.csv"
        if by_workers is None and pseudo is not None:
            bundles = iter_bundles(db, ids, recordings=False, plans=False)
            write_trials_csv(path, bundles, pseudo, excel=request.excel)
            return [path]
        if by_workers is None:  # the flat tables: no records to build
            tables = iter_trial_tables(db, ids)
            by_workers = (encode_tables([table], excel=request.excel)[1] for table in tables)
        write_trials_encoded(path, by_workers, pseudo, excel=request.excel)
        return [path]
    if request.fmt == "json":
        from clinic_app.exchange.json_export import write_json_encoded, write_json_export

        path = out / f"{stem}.json"
        if by_workers is None:
            bundles = iter_bundles(db, ids, recordings=request.recordings)
            write_json_export(path, bundles, pseudo, recordings=request.recordings)
        else:
            write_json_encoded(
                path, by_workers, deidentified=pseudo is not None, recordings=request.recordings
            )
        return [path]
    from clinic_app.exchange.fhir_bundle import write_fhir_bundle, write_fhir_encoded

    assert fhir is not None
    path = out / f"{stem}-fhir{'-transaction' if fhir.bundle_type == 'transaction' else ''}.json"
    if by_workers is None:
        write_fhir_bundle(path, iter_bundles(db, ids, recordings=False, plans=False), fhir, pseudo)
    else:
        write_fhir_encoded(path, by_workers, fhir)
    return [path]
