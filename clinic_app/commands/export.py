"""``clinic-app export``: a patient's (or the clinic's) data as CSV, JSON, FHIR or raw files.

The checks, the staging and the audit row (committed before the files appear) are those
of :func:`clinic_app.disclosure.export_to_folder`, which the GUI's export dialog uses too.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._args import record_id
from clinic_app.commands._db import open_database
from clinic_app.exchange.export import FORMATS


def register(subparsers: Any) -> None:
    """Add the ``export`` command."""
    parser = subparsers.add_parser(
        "export",
        help="export a patient (or the whole clinic) as CSV, JSON, FHIR or raw recordings",
        description=(
            "csv: one row per trial with its results (trials.csv). json: every session, "
            "trial, result, plan and recording, re-importable with 'clinic-app import'. "
            "fhir: a FHIR R4 collection Bundle (Patient, Encounters, Observations); "
            "fhir-transaction: the same as a transaction Bundle a FHIR server applies as is. "
            "raw: one CSV per trial and device and a C3D per force-plate trial. Text cells of "
            "every CSV are made safe for spreadsheets. Every export is recorded in the audit "
            "log before its files appear."
        ),
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", type=record_id, metavar="ID", help="the patient's id")
    who.add_argument("--all", action="store_true", help="every patient of the clinic")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder to write into (created owner-only if missing)",
    )
    parser.add_argument(
        "--deidentify",
        action="store_true",
        help="drop names, birth dates, record numbers and notes; replace ids with salted hashes",
    )
    parser.add_argument(
        "--no-recordings",
        action="store_true",
        help="json: leave the raw samples out (much smaller)",
    )
    parser.add_argument(
        "--excel",
        action="store_true",
        help="csv, raw: UTF-8 with a byte-order mark and CRLF line ends, so accented and "
        "CJK names open correctly in Excel on Windows",
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace existing files of another kind (never the database or a backup)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Write the export (audited before the files appear) and print the files written."""
    from clinic_app.disclosure import ExportJob, export_to_folder
    from clinic_app.output_paths import check_folder

    check_folder(args.output, db_path=ctx.db_path)  # refused before the database opens
    job = ExportJob(
        fmt=args.format,
        patient_ids=None if args.all else (args.patient,),
        deidentify=bool(args.deidentify),
        recordings=not args.no_recordings,
        excel=bool(args.excel),
        force=bool(args.force),
    )
    db = open_database(ctx)
    try:
        written = export_to_folder(db, job, args.output)
    finally:
        db.close()
    for path in written:
        print(path)
    return 0
