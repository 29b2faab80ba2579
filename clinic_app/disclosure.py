"""Records leaving the database: documents saved or printed and exports, checked and audited.

The command line and the GUI use the same functions, so both make the same checks
(:mod:`clinic_app.output_paths`) and leave the same audit trail (issue 12 §§2, 7):

* :func:`save_document` — a clinician report or handout as a PDF file;
* :func:`record_print` — the same sent to a printer;
* :func:`export_to_folder` — CSV, JSON, FHIR or raw recordings.

Order, for every file: written whole in a private staging folder, then the audit row is
committed (action ``disclose`` for documents, ``export`` for exports; details say what
kind, which visit and where to — file name or printer — never patient names), and only
then do the files appear under their names. A failure to audit stops the disclosure and
nothing appears; a refusal or an operating-system failure writes nothing at all.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_app.errors import UserError
from clinic_app.output_files import Staging, redact, write_bytes, writing
from clinic_app.output_paths import PDF, OutputCheck, check_folder, check_output, kind_for
from clinic_app.storage import Database, NotFoundError, StorageError

log = logging.getLogger(__name__)

DOCUMENT_KINDS = ("report", "handout")


class Cancelled(Exception):
    """The user declined to replace existing files (GUI); nothing was written."""


def _names(db: Database, patient_id: int) -> list[str]:
    patient = db.get_patient(patient_id)
    return [str(getattr(patient, field, "") or "") for field in ("first_name", "last_name")]


def audit(
    db: Database, action: str, entity: str, entity_id: int | None, details: dict[str, Any]
) -> None:
    """Commit one audit row or stop: a disclosure that cannot be audited does not happen.

    Raises
    ------
    UserError
        If the row cannot be written (the message says nothing was written).
    """
    try:
        db.record_audit(action, entity, entity_id, details)
    except (StorageError, sqlite3.Error) as exc:
        log.error("audit row could not be written: %s", type(exc).__name__)
        raise UserError(
            f"nothing was written: the audit log of {db.path.name} could not record it ({exc})"
        ) from exc


def document_details(
    db: Database, patient_id: int, kind: str, session_id: int | None, **where: str
) -> dict[str, Any]:
    """Audit details of a document: its kind, the visit, and where it went (names redacted)."""
    if kind not in DOCUMENT_KINDS:
        raise ValueError(f"document kind must be one of {DOCUMENT_KINDS}, not {kind!r}")
    names = _names(db, patient_id)
    return {
        "document": kind,
        "session_id": session_id,
        **{key: redact(value, names) for key, value in where.items()},
    }


def save_document(
    db: Database,
    patient_id: int,
    *,
    kind: str,
    session_id: int | None,
    pdf: bytes,
    path: Path,
    force: bool = False,
    confirm_replace: Callable[[OutputCheck], bool] | None = None,
) -> Path:
    """Write a report or handout PDF to ``path``, audited; return the file written.

    Parameters
    ----------
    kind : {"report", "handout"}
    session_id : int or None
        The visit the document is about.
    pdf : bytes
        The document, built in memory.
    force : bool
        Replace an existing file of another kind (``--force``).
    confirm_replace : callable, optional
        Asked before an existing file is replaced (the GUI's "Replace?"); False cancels.

    Raises
    ------
    UserError
        The path is refused, the disk failed, or the audit row could not be written.
    Cancelled
        ``confirm_replace`` said no.
    """
    check = check_output(path, PDF, db_path=db.path, force=force)
    if check.replaces and confirm_replace is not None and not confirm_replace(check):
        raise Cancelled(str(check.path))
    details = document_details(db, patient_id, kind, session_id, file=check.path.name)
    with Staging(check.path.parent) as stage, writing(check.path):
        write_bytes(stage.path_for(check.path), pdf)
        audit(db, "disclose", "patient", patient_id, details)
        (written,) = stage.publish([check.path])
    log.info("%s saved for patient %d", kind, patient_id)
    return written


def record_print(
    db: Database, patient_id: int, *, kind: str, session_id: int | None, printer: str
) -> None:
    """Audit a document sent to ``printer`` (call before the pages are sent)."""
    details = document_details(db, patient_id, kind, session_id, printer=printer or "default")
    audit(db, "disclose", "patient", patient_id, details)


# ---------------------------------------------------------------------- exports
@dataclass(frozen=True)
class ExportJob:
    """What to export.

    Attributes
    ----------
    fmt : str
        ``csv``, ``json``, ``fhir`` or ``raw`` (``clinic_app.commands.export.FORMATS``).
    patient_ids : tuple of int, optional
        The patients; None for the whole clinic.
    deidentify : bool
        Pseudonyms instead of names and ids.
    recordings : bool
        JSON: include the raw samples.
    excel : bool
        CSV and raw: UTF-8 with a byte-order mark and CRLF, for Excel on Windows.
    force : bool
        Replace existing files of another kind (``--force``).
    """

    fmt: str
    patient_ids: tuple[int, ...] | None
    deidentify: bool = False
    recordings: bool = True
    excel: bool = False
    force: bool = False


def export_to_folder(
    db: Database,
    job: ExportJob,
    folder: Path,
    *,
    confirm_replace: Callable[[list[Path]], bool] | None = None,
) -> list[Path]:
    """Write the export into ``folder`` (created owner-only if missing), audited first.

    Raises
    ------
    UserError
        Unknown patient, refused folder or file, a disk failure, or an audit failure;
        nothing was written.
    Cancelled
        ``confirm_replace`` (shown the files that would be replaced) said no.
    """
    root = check_folder(folder, db_path=db.path)
    for patient_id in job.patient_ids or ():
        try:
            db.get_patient(patient_id)
        except NotFoundError:
            raise UserError(f"there is no patient with id {patient_id}") from None
    with Staging(root) as stage:
        assert stage.folder is not None
        with writing(root):
            staged = _write_export(db, job, stage.folder)
        finals = [root / path.relative_to(stage.folder) for path in staged]
        checks = [
            check_output(p, kind_for(p), db_path=db.path, force=job.force, new_folders=True)
            for p in finals
        ]
        replaced = [c.path for c in checks if c.replaces]
        if replaced and confirm_replace is not None and not confirm_replace(replaced):
            raise Cancelled(f"{len(replaced)} files")
        details: dict[str, Any] = {
            "format": job.fmt,
            "deidentified": job.deidentify,
            "files": len(finals),
        }
        if job.patient_ids is None:
            audit(db, "export", "database", None, {**details, "patients": db.count_patients()})
        else:
            for patient_id in job.patient_ids:
                audit(db, "export", "patient", patient_id, details)
        with writing(root):
            written = stage.publish(finals)
    log.info("export %s written: %d files", job.fmt, len(written))
    return written


def _write_export(db: Database, job: ExportJob, folder: Path) -> list[Path]:
    """Write the export's files below ``folder`` with the exchange writers; their paths."""
    from clinic_app.exchange.export import ExportRequest, run_export

    request = ExportRequest(
        fmt=job.fmt,
        out_dir=folder,
        patient_ids=job.patient_ids,
        deidentify=job.deidentify,
        recordings=job.recordings,
        excel=job.excel,
    )
    try:
        return run_export(db, request)
    except ValueError as exc:  # an unknown format
        raise UserError(str(exc)) from exc


def files_listing(paths: Sequence[Path], limit: int = 5) -> str:
    """A short list of file names for a question or a message."""
    names = [p.name for p in paths[:limit]]
    more = len(paths) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
