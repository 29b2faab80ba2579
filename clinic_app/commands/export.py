"""``clinic-app export``: a patient's (or the clinic's) data as CSV, JSON, FHIR or raw files."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._db import open_database, require_patient
from clinic_app.errors import UserError

FORMATS = ("csv", "json", "fhir", "raw")


def register(subparsers: Any) -> None:
    """Add the ``export`` command."""
    parser = subparsers.add_parser(
        "export",
        help="export a patient (or the whole clinic) as CSV, JSON, FHIR or raw recordings",
        description=(
            "csv: one row per trial with its results (trials.csv). json: every session, "
            "trial, result, plan and recording, re-importable with 'clinic-app import'. "
            "fhir: a FHIR R4 Bundle of Observations. raw: one CSV per trial and device and a "
            "C3D per force-plate trial. Every export is recorded in the audit log."
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
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Write the export and print the files written."""
    from clinic_app.exchange.collect import collect_clinic, collect_patient
    from clinic_app.exchange.deidentify import Pseudonymizer

    out_dir: Path = args.output
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"-o {out_dir} is a file; give a folder")
    db = open_database(ctx)
    try:
        recordings = args.format == "raw" or (args.format == "json" and not args.no_recordings)
        pseudo = None
        if args.all:
            bundles = collect_clinic(db, recordings=recordings)
            stem = f"dorsilab-clinic-{date.today().isoformat()}"
        else:
            require_patient(db, args.patient)
            bundles = [collect_patient(db, args.patient, recordings=recordings)]
            stem = f"patient-{args.patient}"
        if args.deidentify:
            pseudo = Pseudonymizer.for_clinic(db)
            # The file name must not carry the database id the pseudonym replaces.
            if not args.all:
                stem = f"patient-{pseudo.pseudonym('patient', args.patient)}"
            stem += "-deidentified"
        out_dir.mkdir(parents=True, exist_ok=True)
        written = _write(args.format, out_dir, stem, bundles, pseudo)
        details = {
            "format": args.format,
            "deidentified": bool(args.deidentify),
            "files": len(written),
        }
        if args.all:
            db.record_audit("export", "database", None, {**details, "patients": len(bundles)})
        else:
            db.record_audit("export", "patient", args.patient, details)
    finally:
        db.close()
    for path in written:
        print(path)
    return 0


def _write(fmt: str, out_dir: Path, stem: str, bundles: list[Any], pseudo: Any) -> list[Path]:
    if fmt == "json":
        from clinic_app.exchange.json_format import export_document, write_json

        path = out_dir / f"{stem}.json"
        write_json(export_document(bundles, pseudo), path)
        return [path]
    if fmt == "csv":
        from clinic_app.exchange.csv_format import write_trials_csv

        path = out_dir / f"{stem}-trials.csv"
        write_trials_csv(path, bundles, pseudo)
        return [path]
    if fmt == "fhir":
        from clinic_app.exchange.fhir import patient_bundle
        from clinic_app.exchange.json_format import write_json

        path = out_dir / f"{stem}-fhir.json"
        write_json(patient_bundle(bundles, pseudo), path)
        return [path]
    from clinic_app.exchange.raw import write_raw_recordings

    written: list[Path] = []
    for bundle in bundles:
        written += write_raw_recordings(out_dir / stem, bundle, pseudo)
    return written
