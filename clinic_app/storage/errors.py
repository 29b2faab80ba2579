"""Errors raised by the patient database, each worded for the person at the keyboard.

Every message says what happened and what to do, and never contains patient-identifying
data (names, birth dates, record numbers), because messages may be logged. All of them
are :class:`clinic_app.errors.UserError`, so the command line prints them as one line and
exits 2, and the GUI can show ``str(error)`` as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from clinic_app.errors import UserError


class StorageError(UserError):
    """Base class of every database error a user may see."""


class DatabaseOpenError(StorageError):
    """The database file could not be opened safely.

    Attributes
    ----------
    db_path : Path
        The database file that failed.
    newest_backup : Path or None
        The newest backup of it (in the ``backups`` folder beside it), which the GUI can
        offer to restore with :func:`clinic_app.storage.restore_backup`; None if there is
        no backup.
    """

    def __init__(self, message: str, db_path: Path, newest_backup: Path | None) -> None:
        super().__init__(message)
        self.db_path = db_path
        self.newest_backup = newest_backup


class DatabaseCorruptError(DatabaseOpenError):
    """The integrity check failed: the file is damaged (e.g. after a disk fault)."""


class NotADatabaseError(DatabaseCorruptError):
    """The file is not a SQLite database at all (wrong file, or overwritten)."""


class ForeignDatabaseError(DatabaseOpenError):
    """The file is a SQLite database of another program (tables, but no DorsiLab schema)."""


class DatabaseTooNewError(DatabaseOpenError):
    """The file was written by a newer DorsiLab with a schema this version does not know."""


class BackupCheckError(StorageError):
    """A fresh backup copy failed ``quick_check``: the database it was copied from is damaged.

    The damaged copy is deleted, so it can never be offered for restore.
    """


class DatabaseBusyError(StorageError):
    """Another program kept the database locked for longer than the busy timeout."""


class NotFoundError(StorageError, LookupError):
    """No record with the given id (e.g. a patient id typed on the command line)."""


class ValidationError(StorageError, ValueError):
    """Input that fails validation; ``errors`` maps field name to a message in words."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        summary = " ".join(self.errors.values()) or "The input is not valid."
        super().__init__(summary)


class DuplicateRecordNumberError(ValidationError):
    """The record number is already used by another (possibly deleted) patient.

    Attributes
    ----------
    other_patient_id : int
        The id of the patient who holds the number.
    other_is_deleted : bool
        True if that patient is in the deleted list (and could be restored instead).
    """

    def __init__(self, other_patient_id: int, other_is_deleted: bool) -> None:
        self.other_patient_id = other_patient_id
        self.other_is_deleted = other_is_deleted
        where = "a deleted patient" if other_is_deleted else "another patient"
        hint = (
            "Restore that patient from the deleted list, or choose another number."
            if other_is_deleted
            else "Choose another number, or open that patient instead."
        )
        super().__init__(
            {
                "record_number": (
                    f"This record number is already used by {where} "
                    f"(patient id {other_patient_id}). {hint}"
                )
            }
        )


class ConcurrentChangeError(StorageError):
    """A save found the record changed since it was read (another workstation saved first).

    Nothing was written. ``changed_by`` and ``changed_at`` (ISO UTC) say who changed it and
    when, for a message that offers to reload.
    """

    def __init__(self, what: str, changed_by: str, changed_at: str) -> None:
        self.changed_by = changed_by
        self.changed_at = changed_at
        who = changed_by or "someone else"
        super().__init__(
            f"{what} was changed by {who} at {changed_at} after you opened it; nothing was "
            "saved. Reload to see the changes, then make yours again."
        )


class PermissionDeniedError(StorageError):
    """The server refused the action for the signed-in user's role."""


class ServerUnavailableError(StorageError):
    """The clinic server cannot be reached (network, server stopped) or refused sign-in.

    ``needs_password`` is True when the server asked for a password that none of libpq's
    sources held: a sign-in prompt should ask for it.
    """

    needs_password = False
