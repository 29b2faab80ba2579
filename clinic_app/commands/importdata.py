"""``clinic-app import FILE``: bring patients and sessions from a DorsiLab JSON export."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from clinic_app.commands import AppContext
from clinic_app.commands._db import created_or_removed, open_database
from clinic_app.errors import UserError
from clinic_app.output_paths import check_input, refuse_database_input


def register(subparsers: Any) -> None:
    """Add the ``import`` command."""
    parser = subparsers.add_parser(
        "import",
        help="import patients and sessions from a DorsiLab JSON export",
        description=(
            "Imports every patient, session, trial, result, plan and recording of a file "
            "written by 'clinic-app export --format json'. All or nothing; sessions already "
            "present are skipped, so importing twice adds nothing. A --db file that does "
            "not exist yet is created."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, ctx: AppContext) -> int:
    """Import the file and print what was imported."""
    from clinic_app.exchange.json_format import (
        ImportFormatError,
        import_document,
        read_document,
        validate_document,
    )

    check_input(args.file)
    refuse_database_input(args.file, ctx.db_path)
    try:
        document = validate_document(read_document(args.file))  # before the database opens
    except ImportFormatError as exc:
        message = str(exc)
        if not message.startswith(str(args.file)):
            message = f"{args.file}: {message}; nothing was imported"
        raise UserError(message) from exc
    with created_or_removed(ctx):  # into a new file: creates the database, or nothing
        db = open_database(ctx, create=True, backup=True)
        try:
            summary = import_document(db, document)
        except ImportFormatError as exc:
            raise UserError(f"{args.file}: {exc}; nothing was imported") from exc
        finally:
            db.close()
    print(
        f"imported {summary.sessions_imported} sessions ({summary.trials_imported} trials, "
        f"{summary.plans_imported} plan versions) for {summary.patients_created} new and "
        f"{summary.patients_matched} existing patients; skipped {summary.sessions_skipped} "
        "sessions already present"
    )
    return 0
