"""Opening the database for a command: demo seeding, and user errors in words."""

from __future__ import annotations

import contextlib
import importlib
import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from clinic_app.commands import AppContext
from clinic_app.errors import UserError
from clinic_app.output_files import shown

if TYPE_CHECKING:
    # Imported when a command runs, not when the parser is built: every sub-command module
    # is imported to build the parser, and storage pulls in numpy and sqlite-utils.
    from clinic_app.storage import Database, Patient


def open_database(ctx: AppContext, *, create: bool = False, backup: bool = False) -> Database:
    """Open the command's database.

    With ``--demo`` the demo database is created and seeded on first use, as the app
    does, so every command works on a fresh machine. A clinic database must already exist
    unless ``create`` (``import`` into a new file creates it); no other command creates
    an empty one as a side effect.

    Parameters
    ----------
    create : bool
        Create the database if there is none at ``ctx.db_path``.
    backup : bool
        The command writes records: make the daily backup (if due) just before its first
        write, so that a command refused before writing leaves no backup behind.

    Raises
    ------
    UserError
        If the database is missing, damaged or not a database, said in words.
    """
    from clinic_app.storage import Database, StorageError

    if ctx.db_url is not None:
        from clinic_app.commands.signin import connect_server

        return connect_server(ctx.db_url)
    if not (ctx.demo or create) and not ctx.db_path.exists():
        raise UserError(
            f"there is no DorsiLab database at {shown(ctx.db_path)} "
            "(start the app once, or give --db)"
        )
    backup = backup and ctx.db_path.exists()  # a new, empty database has nothing to keep
    try:
        db = Database.open(ctx.db_path, backup_on_start=False, backup_before_first_write=backup)
    except StorageError as exc:
        raise UserError(str(exc)) from exc
    except (OSError, sqlite3.Error) as exc:
        raise UserError(f"the database {shown(ctx.db_path)} cannot be opened: {exc}") from exc
    if ctx.demo:
        try:
            seed = importlib.import_module("clinic_app.demo_data")
            seed.ensure_demo_data(db)
        except BaseException:
            db.close()
            raise
    return db


@contextlib.contextmanager
def created_or_removed(ctx: AppContext) -> Iterator[None]:
    """Remove a database file the block created if the block fails (nothing half-made).

    ``import`` into a new file creates the database; a refused import must not leave an
    empty database behind.
    """
    from clinic_app.storage._files import companions

    existed = ctx.db_path.exists()
    try:
        yield
    except BaseException:
        if not existed:
            for path in companions(ctx.db_path):
                path.unlink(missing_ok=True)
        raise


def require_patient(db: Database, patient_id: int) -> Patient:
    """The patient with this id, or a UserError naming the id."""
    from clinic_app.storage import NotFoundError

    try:
        return db.get_patient(patient_id)
    except NotFoundError as exc:
        raise UserError(f"there is no patient with id {patient_id} in {shown(db.path)}") from exc
