"""``clinic-app export``: a patient's (or the clinic's) data as CSV, JSON, FHIR or raw files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._db import open_database, require_patient
from clinic_app.errors import UserError

FORMATS = ("csv", "json", "fhir", "fhir-transaction", "raw")


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
            "log."
        ),
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--patient", type=int, metavar="ID", help="the patient's id")
    who.add_argument("--all", action="store_true", help="every patient of the clinic")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        type=Path,
        metavar="DIR",
        help="folder to write into (created if missing)",
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Write the export and print the files written."""
    from clinic_app.exchange.export import ExportRequest, run_export

    out_dir: Path = args.output
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"-o {out_dir} is a file; give a folder")
    db = open_database(ctx)
    try:
        if not args.all:
            require_patient(db, args.patient)
        request = ExportRequest(
            fmt=args.format,
            out_dir=out_dir,
            patient_ids=None if args.all else [args.patient],
            deidentify=bool(args.deidentify),
            recordings=not args.no_recordings,
            excel=bool(args.excel),
        )
        out_dir.mkdir(parents=True, exist_ok=True)
        written = run_export(db, request)
        details = {
            "format": args.format,
            "deidentified": bool(args.deidentify),
            "files": len(written),
        }
        if args.all:
            patients = db.count_patients()
            db.record_audit("export", "database", None, {**details, "patients": patients})
        else:
            db.record_audit("export", "patient", args.patient, details)
    finally:
        db.close()
    for path in written:
        print(path)
    return 0
