"""``clinic-app report --patient ID [--session ID] [-o FILE] [--handout]``.

Writes the clinician report (or, with ``--handout``, the patient handout) of a patient's
session as PDF. Unknown ids are user errors (exit 2) and nothing is written; the file is
built in memory and renamed into place, so it is never half-written.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.errors import UserError

log = logging.getLogger(__name__)


def register(subparsers: Any) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser("report", help="clinician report or patient handout as PDF")
    parser.add_argument("--patient", type=int, required=True, metavar="ID", help="patient id")
    parser.add_argument(
        "--session", type=int, metavar="ID", help="session id (default: the latest)"
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
    parser.set_defaults(func=run)


def default_name(patient_id: int, session_id: int | None, day: str, handout: bool) -> str:
    """``dorsilab-patient7-session12-2026-11-24-report.pdf`` (no names: files get shared)."""
    kind = "handout" if handout else "report"
    return f"dorsilab-patient{patient_id}-session{session_id}-{day}-{kind}.pdf"


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Build the requested PDF and print its path."""
    from clinic_app.reports import build_clinician_report, build_handout
    from clinic_app.reports.source import load_report_data
    from clinic_app.storage import Database

    if args.output is not None:
        out = args.output
        if out.is_dir():
            raise UserError(f"-o {out} is a folder; give the path of a PDF file")
        if not out.parent.exists():
            raise UserError(f"-o {out}: the folder {out.parent} does not exist")
    if not ctx.db_path.exists():
        raise UserError(f"no database at {ctx.db_path}; start DorsiLab once or give --db")
    with Database.open(ctx.db_path, backup_on_start=False) as db:
        data = load_report_data(db, args.patient, args.session, paper=args.paper)
    if args.output is None:
        out = Path.cwd() / default_name(
            args.patient, data.visit.session_id, data.visit.day.isoformat(), args.handout
        )
    (build_handout if args.handout else build_clinician_report)(data, out)
    log.info("%s written for patient %d", "handout" if args.handout else "report", args.patient)
    print(out)
    return 0
