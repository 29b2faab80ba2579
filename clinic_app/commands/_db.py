"""Opening the database for a command: demo seeding, and user errors in words."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from clinic_app.commands import AppContext
from clinic_app.errors import UserError

if TYPE_CHECKING:
    # Imported when a command runs, not when the parser is built: every sub-command module
    # is imported to build the parser, and storage pulls in numpy and sqlite-utils.
    from clinic_app.storage import Database, Patient


def open_database(ctx: AppContext) -> Database:
    """Open the command's database.

    The demo database is created and seeded on first use; a clinic database must
    already exist (a command never creates an empty one as a side effect).

    Raises
    ------
    UserError
        If the database is missing, damaged or not a database, said in words.
    """
    from clinic_app.storage import Database, StorageError

    if not ctx.demo and not ctx.db_path.exists():
        raise UserError(
            f"there is no DorsiLab database at {ctx.db_path} (start the app once, or give --db)"
        )
    try:
        db = Database.open(ctx.db_path)
    except StorageError as exc:
        raise UserError(str(exc)) from exc
    if ctx.demo:
        seed = importlib.import_module("clinic_app.demo_data")
        seed.ensure_demo_data(db)
    return db


def require_patient(db: Database, patient_id: int) -> Patient:
    """The patient with this id, or a UserError naming the id."""
    from clinic_app.storage import NotFoundError

    try:
        return db.get_patient(patient_id)
    except NotFoundError as exc:
        raise UserError(f"there is no patient with id {patient_id} in {db.path}") from exc
