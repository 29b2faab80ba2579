"""``clinic-app import-recording FILE --patient ID --side S --condition C``: a balance trial
from another force plate's file (BDS TSV, CSV or C3D)."""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._args import record_id
from clinic_app.commands._db import open_database, require_patient
from clinic_app.errors import UserError
from clinic_app.output_paths import check_input, refuse_database_input


def register(subparsers: Any) -> None:
    """Add the ``import-recording`` command."""
    parser = subparsers.add_parser(
        "import-recording",
        help="add a force-plate recording from another plate as a balance trial",
        description=(
            "Reads the file (balance data set TSV, CSV or C3D), computes the sway metrics with "
            "the clinic's processing (as for a live trial) and stores it as a balance trial of "
            "the patient: in the given visit in progress, or in a new visit. All or nothing."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.add_argument("--patient", type=record_id, required=True, metavar="ID")
    parser.add_argument("--side", required=True, choices=("left", "right"), help="stance leg")
    parser.add_argument(
        "--condition", required=True, choices=("eo_firm", "ec_firm", "eo_foam", "ec_foam")
    )
    parser.add_argument("--session", type=record_id, metavar="ID", help="a visit in progress")
    parser.add_argument("--examiner", default="", help="examiner of a new visit")
    parser.add_argument("--format", choices=("auto", "bds", "csv", "c3d"), default="auto")
    parser.add_argument(
        "--fs",
        type=float,
        metavar="HZ",
        help="sampling rate of a CSV without a time column",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Import the file and print the trial it became."""
    from clinic_app.exchange.import_recording import RecordingImportError, import_recording

    if args.fs is not None and not (math.isfinite(args.fs) and args.fs > 0):
        raise UserError(f"--fs must be a positive rate in Hz, got {args.fs:g}")
    check_input(args.file)
    refuse_database_input(args.file, ctx.db_path)
    db = open_database(ctx, backup=True)
    try:
        require_patient(db, args.patient)
        done = import_recording(
            db, args.patient, args.file, side=args.side, condition=args.condition,
            session_id=args.session, examiner=args.examiner, fmt=args.format, fs_hz=args.fs,
        )  # fmt: skip
    except RecordingImportError as exc:
        raise UserError(str(exc)) from None
    finally:
        db.close()
    where = "new visit" if done.created_session else "visit"
    print(
        f"trial {done.trial_id} (attempt {done.attempt}) in {where} {done.session_id}: "
        f"mean velocity {done.metrics.mean_velocity_cm_s:.2f} cm/s, "
        f"95 % ellipse {done.metrics.ellipse_area_95_cm2:.2f} cm²"
    )
    for note in done.notes:
        print(f"  note: {note}")
    return 0
