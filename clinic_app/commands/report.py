"""``clinic-app report --patient ID [--session ID] [-o FILE] [--handout] [--force]``.

Writes the clinician report (or, with ``--handout``, the patient handout) of a patient's
session as PDF. The output path is checked before anything else
(:mod:`clinic_app.output_paths`: never the database, a backup, a device, or an existing
file that is not a PDF unless ``--force``); the file is built in memory, written whole,
audited (``disclose``) and only then appears. Unknown ids, refused paths and disk
failures are user errors (exit 2) and nothing is written.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._args import record_id

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser("report", help="clinician report or patient handout as PDF")
    parser.add_argument(
        "--patient", type=record_id, required=True, metavar="ID", help="patient id"
    )
    parser.add_argument(
        "--session", type=record_id, metavar="ID", help="session id (default: the latest)"
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="PDF file to write (default: a name from the patient and date, in this folder)",
    )
    parser.add_argument(
        "--handout", action="store_true", help="the patient handout instead of the report"
    )
    parser.add_argument(
        "--paper", choices=("A4", "Letter"), help="paper size (default: the clinic setting)"
    )
    parser.add_argument(
        "--force",
        action="store_true",
        help="replace FILE even if it exists and is not a PDF (never the database or a backup)",
    )
    parser.set_defaults(func=run)


def default_name(patient_id: int, session_id: int | None, day: str, handout: bool) -> str:
    """``dorsilab-patient7-session12-2026-11-24-report.pdf`` (no names: files get shared)."""
    kind = "handout" if handout else "report"
    return f"dorsilab-patient{patient_id}-session{session_id}-{day}-{kind}.pdf"


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Build the requested PDF, write it (audited) and print its path."""
    import io

    from clinic_app.commands._db import open_database
    from clinic_app.disclosure import save_document
    from clinic_app.output_paths import PDF, check_output
    from clinic_app.reports import build_clinician_report, build_handout
    from clinic_app.reports.source import load_report_data

    if args.output is not None:  # refused before the database is even opened
        check_output(args.output, PDF, db_path=ctx.db_path, force=args.force)
    kind = "handout" if args.handout else "report"
    db = open_database(ctx)
    try:
        data = load_report_data(db, args.patient, args.session, paper=args.paper)
        out = args.output
        if out is None:
            out = Path.cwd() / default_name(
                args.patient, data.visit.session_id, data.visit.day.isoformat(), args.handout
            )
        buffer = io.BytesIO()
        (build_handout if args.handout else build_clinician_report)(data, buffer)
        written = save_document(
            db,
            args.patient,
            kind=kind,
            session_id=data.visit.session_id,
            pdf=buffer.getvalue(),
            path=out,
            force=args.force,
        )
    finally:
        db.close()
    log.info("%s written for patient %d", kind, args.patient)
    print(written)
    return 0
