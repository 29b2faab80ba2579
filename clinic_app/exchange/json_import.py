"""Importing a DorsiLab JSON export: checked whole first, then written in one transaction.

:func:`read_document` refuses a file over the size limit before reading it and parses
it; :func:`validate_document` checks the whole document against the written schema
(:mod:`clinic_app.exchange.json_schema`, :mod:`clinic_app.exchange.plan_schema`), every
recording's size against its declared sample count and the decompression limit, and the
patient fields by the patient form's rules. Only then does :func:`import_document` write,
in one transaction: the database is unchanged by a refused file.

Errors name the place in the file as a JSON path, e.g.
``patients[0].sessions[2].trials[5].result.angle_deg: not a finite number``, never a
name or birth date from the file.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
from pydantic import BaseModel, ValidationError

from clinic_app.exchange import json_schema as schema
from clinic_app.exchange.json_schema import LIMITS, Limits
from clinic_app.exchange.plan_schema import PlanSchema
from clinic_app.protocols.plan import SessionPlan
from clinic_app.storage import DEVICES, PATIENT_FIELDS, Database, PatientInput, StorageError
from clinic_app.storage.imported import ImportedSession, ImportedTrial
from clinic_app.storage.validation import parse_patient_fields

MAX_MESSAGES = 3
"""Problems named in one error message (the rest are counted)."""


class ImportFormatError(ValueError):
    """The file is not a DorsiLab export this version can import (message in words)."""


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (counts only: this may be logged)."""

    patients_created: int
    patients_matched: int
    sessions_imported: int
    sessions_skipped: int
    trials_imported: int
    plans_imported: int


# ---------------------------------------------------------------------------- reading
def read_document(path: Path, limits: Limits = LIMITS) -> dict[str, Any]:
    """Load an export file and check what it is (format, version, not de-identified).

    The size is checked on the open file before anything is read.

    Raises
    ------
    ImportFormatError
        Unreadable, too large, not JSON, not a DorsiLab export, a newer version, or
        de-identified; said in words with the file name.
    """
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_file_bytes:
                raise ImportFormatError(
                    f"{path}: {size / 2**20:.0f} MiB is larger than an import may be "
                    f"({limits.max_file_bytes / 2**20:.0f} MiB); export fewer patients per "
                    "file, or leave the recordings out"
                )
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(data) > limits.max_file_bytes:  # it grew while being read
        raise ImportFormatError(f"{path}: larger than an import may be")
    document = _parse(path, data)
    if not isinstance(document, dict) or document.get("format") != schema.FORMAT_NAME:
        raise ImportFormatError(
            f"{path}: not a DorsiLab export (no 'format': '{schema.FORMAT_NAME}')"
        )
    version = document.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise ImportFormatError(f"{path}: format_version: not a whole number")
    if version > schema.FORMAT_VERSION:
        raise ImportFormatError(
            f"{path}: export format version {version} is newer than this DorsiLab "
            f"reads ({schema.FORMAT_VERSION}); update DorsiLab"
        )
    if document.get("deidentified"):
        raise ImportFormatError(
            f"{path}: a de-identified export cannot be imported (it has no names to "
            "attach the sessions to)"
        )
    return document


def _parse(path: Path, data: bytes) -> Any:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    # orjson refuses NaN and Infinity; the standard parser reads them, so the schema can
    # then name the field ("…angle_deg: not a finite number"), and it gives line numbers.
    try:
        return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportFormatError(f"{path}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    except RecursionError:
        raise ImportFormatError(f"{path}: nested too deeply to be an export") from None


# ---------------------------------------------------------------------------- checking
def validate_document(document: Any, limits: Limits = LIMITS) -> schema.ExportDocument:
    """Check the whole document; return it parsed.

    Raises
    ------
    ImportFormatError
        Naming up to :data:`MAX_MESSAGES` problems by their JSON path.
    """
    try:
        parsed = schema.ExportDocument.model_validate(document)
    except ValidationError as exc:
        raise ImportFormatError(_message(_pydantic_problems(exc, ()))) from None
    except RecursionError:
        raise ImportFormatError("the document is nested too deeply") from None
    problems: list[tuple[str, str]] = []
    total_trials = 0
    seen: set[str] = set()
    for p, patient in enumerate(parsed.patients):
        where = f"patients[{p}]"
        problems += _patient_field_problems(patient, where)
        problems += _duplicate(patient.uid, seen, f"{where}.uid")
        for s, session in enumerate(patient.sessions):
            at = f"{where}.sessions[{s}]"
            problems += _duplicate(session.uid, seen, f"{at}.uid")
            if session.test_plan is not None:
                try:
                    SessionPlan.from_json(session.test_plan)
                except (ValueError, TypeError) as exc:
                    problems.append((f"{at}.test_plan", str(exc)))
            for v, version in enumerate(session.plans):
                problems += _model_problems(PlanSchema, version.plan, f"{at}.plans[{v}].plan")
            total_trials += len(session.trials)
            for t, trial in enumerate(session.trials):
                here = f"{at}.trials[{t}]"
                problems += _duplicate(trial.uid, seen, f"{here}.uid")
                if trial.result is not None:
                    model: type[BaseModel] = (
                        schema.LungeResult if trial.protocol == "lunge" else schema.BalanceResult
                    )
                    problems += _model_problems(model, trial.result, f"{here}.result")
                for device, recording in trial.recordings.items():
                    try:
                        decode_recording(device, recording, limits)
                    except ImportFormatError as exc:
                        problems.append((f"{here}.recordings.{device}", str(exc)))
            if len(problems) > 50:
                break
    if total_trials > limits.max_trials:
        problems.append(("patients", f"more than {limits.max_trials} trials in one file"))
    if problems:
        raise ImportFormatError(_message(problems))
    return parsed


def _duplicate(uid: str | None, seen: set[str], where: str) -> list[tuple[str, str]]:
    if uid is None:
        return []
    if uid in seen:
        return [(where, "the same uid appears twice in the file")]
    seen.add(uid)
    return []


def _patient_field_problems(patient: schema.Patient, where: str) -> list[tuple[str, str]]:
    fields = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    _, errors = parse_patient_fields(fields, today=date.today())
    return [(f"{where}.{name}", message) for name, message in sorted(errors.items())]


def _model_problems(model: type[BaseModel], value: Any, where: str) -> list[tuple[str, str]]:
    try:
        model.model_validate(value)
    except ValidationError as exc:
        return _pydantic_problems(exc, (where,))
    return []


def _pydantic_problems(exc: ValidationError, prefix: tuple[str, ...]) -> list[tuple[str, str]]:
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
        )
        where = ("".join(prefix) + path).lstrip(".") or "the document"
        problems.append((where, _words(error["type"], error["msg"])))
    return problems


def _words(kind: str, message: str) -> str:
    if kind == "value_error":  # our own validators' words, without pydantic's prefix
        return message.removeprefix("Value error, ")
    return {
        "finite_number": "not a finite number",
        "missing": "missing",
        "extra_forbidden": "unknown field",
        "float_type": "not a number",
        "int_type": "not a whole number",
        "string_type": "not text",
        "bool_type": "not true or false",
        "dict_type": "not an object",
        "list_type": "not a list",
        "model_type": "not an object",
    }.get(kind, message[:1].lower() + message[1:])


def _message(problems: list[tuple[str, str]]) -> str:
    shown = "; ".join(f"{where}: {what}" for where, what in problems[:MAX_MESSAGES])
    rest = len(problems) - MAX_MESSAGES
    return shown + (f" (and {rest} more problem{'s' * (rest > 1)})" if rest > 0 else "")


# ---------------------------------------------------------------------------- recordings
def decode_recording(
    device: str, recording: schema.Recording | Mapping[str, Any], limits: Limits = LIMITS
) -> npt.NDArray[Any]:
    """The samples of one exported recording, checked.

    The dtype must be the device's sample layout (any byte order), the data must inflate
    to exactly ``n_samples`` samples and never beyond ``limits.max_recording_bytes``
    (checked while inflating, so a compression bomb is stopped early), and no value may be
    infinite (NaN marks "no value" and is kept).
    """
    if not isinstance(recording, schema.Recording):
        recording = schema.Recording.model_validate(recording)
    expected = DEVICES[device]
    try:
        dtype = np.dtype([(str(name), str(fmt)) for name, fmt in recording.dtype])
    except (TypeError, ValueError):
        raise ImportFormatError("dtype: not a numpy sample layout") from None
    if dtype.names != expected.names or any(
        dtype[name].kind != expected[name].kind or dtype[name].itemsize != expected[name].itemsize
        for name in expected.names or ()
    ):
        raise ImportFormatError(f"dtype: not the {device} sample layout")
    size = recording.n_samples * dtype.itemsize
    if size > limits.max_recording_bytes:
        raise ImportFormatError(
            f"{recording.n_samples} samples are more than a recording may hold "
            f"({limits.max_recording_bytes // 2**20} MiB)"
        )
    try:
        packed = base64.b64decode(recording.data, validate=True)
    except (binascii.Error, ValueError):
        raise ImportFormatError("data: not base64") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, size + 1)
    except zlib.error:
        raise ImportFormatError("data: not zlib-compressed samples") from None
    if len(raw) != size or inflater.unconsumed_tail or not inflater.eof:
        raise ImportFormatError(
            f"data: does not hold the {recording.n_samples} samples it declares"
        )
    samples = np.frombuffer(raw, dtype=dtype)
    for name in dtype.names or ():
        if dtype[name].kind == "f" and np.isinf(samples[name]).any():
            raise ImportFormatError(f"data: {name} holds an infinite value")
    return samples.copy()


# ---------------------------------------------------------------------------- writing
def import_document(
    db: Database,
    document: Mapping[str, Any] | schema.ExportDocument,
    limits: Limits = LIMITS,
) -> ImportSummary:
    """Check and import every patient, visit, trial, recording and plan of ``document``.

    All or nothing: the document is validated whole (unless it is the result of
    :func:`validate_document` already), then written in one transaction.
    A patient is the same as one here if it has the same ``uid``; else if it has the
    same record number (which must then carry the same names and birth date); else,
    with no record number, if exactly one patient has the same names and birth date.
    Otherwise it is created with the file's ``uid`` and times. A visit already here
    (same ``uid``; for files without uids, same start time) is skipped, so importing
    the same file twice adds nothing.

    Raises
    ------
    ImportFormatError
        The document breaks the schema, or conflicts with the database; naming the
        place in the file, never a name.
    """
    parsed = (
        document
        if isinstance(document, schema.ExportDocument)
        else validate_document(document, limits)
    )
    counts = dict.fromkeys(("created", "matched", "sessions", "skipped", "trials", "plans"), 0)
    try:
        with db.transaction():
            for index, patient in enumerate(parsed.patients):
                where = f"patients[{index}]"
                patient_id, created = _match_or_create(db, patient, where)
                counts["created" if created else "matched"] += 1
                present = _sessions_present(db, patient_id, patient, where)
                for s, session in enumerate(patient.sessions):
                    if s in present:
                        counts["skipped"] += 1
                        continue
                    _import_session(db, patient_id, session, f"{where}.sessions[{s}]", limits)
                    counts["sessions"] += 1
                    counts["trials"] += len(session.trials)
                    counts["plans"] += len(session.plans)
            db.record_audit(
                "import", "database", None,
                {"patients": counts["created"] + counts["matched"],
                 "sessions": counts["sessions"], "trials": counts["trials"]},
            )  # fmt: skip
    except (StorageError, ValueError) as exc:
        if isinstance(exc, ImportFormatError):
            raise
        raise ImportFormatError(f"the file does not fit this database ({exc})") from exc
    return ImportSummary(
        counts["created"], counts["matched"], counts["sessions"], counts["skipped"],
        counts["trials"], counts["plans"],
    )  # fmt: skip


def _match_or_create(db: Database, patient: schema.Patient, where: str) -> tuple[int, bool]:
    candidate = PatientInput.from_fields({name: getattr(patient, name) for name in PATIENT_FIELDS})
    if patient.uid is not None:
        existing = db.patient_by_uid(patient.uid)
        if existing is not None:
            return existing.id, False
    owner = db.record_number_owner(candidate.record_number)
    if owner is not None:
        existing = db.get_patient(owner)
        same = (existing.first_name, existing.last_name, existing.birth_date) == (
            candidate.first_name,
            candidate.last_name,
            candidate.birth_date,
        )
        if not same:
            raise ImportFormatError(
                f"{where}.record_number: this record number belongs to another patient here"
            )
        return owner, False
    if candidate.record_number is None:
        matches = db.possible_duplicates(
            candidate.first_name, candidate.last_name, candidate.birth_date
        )
        if len(matches) == 1:
            return matches[0].id, False
    patient_id = db.insert_imported_patient(
        candidate,
        uid=patient.uid,
        created_at=patient.created_at,
        updated_at=patient.updated_at,
        deleted_at=patient.deleted_at,
    )
    return patient_id, True


def _sessions_present(
    db: Database, patient_id: int, patient: schema.Patient, where: str
) -> set[int]:
    """Indexes of the file's visits this patient already has here."""
    mine = db.list_sessions(patient_id)
    my_uids = {s.uid for s in mine}
    my_starts = {s.started_at for s in mine}
    uids = [s.uid for s in patient.sessions if s.uid is not None]
    elsewhere = db.known_uids("sessions", uids) - my_uids
    present: set[int] = set()
    for index, session in enumerate(patient.sessions):
        if session.uid is not None:
            if session.uid in elsewhere:
                raise ImportFormatError(
                    f"{where}.sessions[{index}].uid: this visit belongs to another patient "
                    "in this database"
                )
            if session.uid in my_uids:
                present.add(index)
        elif session.started_at in my_starts:
            present.add(index)
    return present


def _import_session(
    db: Database, patient_id: int, session: schema.Session, where: str, limits: Limits
) -> None:
    taken = db.known_uids("trials", [t.uid for t in session.trials if t.uid is not None])
    for index, trial in enumerate(session.trials):
        if trial.uid in taken:
            raise ImportFormatError(
                f"{where}.trials[{index}].uid: this trial is already in this database"
            )
    trials = [
        ImportedTrial(
            uid=t.uid or "", protocol=t.protocol, side=t.side, condition=t.condition,
            attempt=t.attempt, practice=t.practice, status=t.status,
            invalid_reason=t.invalid_reason, result=t.result, started_at=t.started_at,
            ended_at=t.ended_at,
            recordings={d: decode_recording(d, r, limits) for d, r in t.recordings.items()},
        )
        for t in session.trials
    ]  # fmt: skip
    created = session.created_at or session.started_at
    session_id = db.insert_imported_session(
        patient_id,
        ImportedSession(
            uid=session.uid or "", started_at=session.started_at, ended_at=session.ended_at,
            examiner=session.examiner, status=session.status,
            inclinometer_site=session.inclinometer_site, notes=session.notes,
            created_at=created, updated_at=session.updated_at or created,
            test_plan=session.test_plan, mass_kg=session.mass_kg,
            height_cm=session.height_cm, voided_at=session.voided_at,
            void_reason=session.void_reason,
        ),
        trials,
    )  # fmt: skip
    for version in sorted(session.plans, key=lambda p: p.version):
        db.insert_imported_plan(
            session_id,
            version=version.version,
            plan=local_plan(db, version.plan, session_id),
            edited_by=version.edited_by,
            created_at=version.created_at or created,
        )


def local_plan(db: Database, plan: Mapping[str, Any], session_id: int) -> dict[str, Any]:
    """The plan with this database's ids (the reverse of
    :func:`clinic_app.exchange.json_export.portable_plan`).

    ``session_id`` is the visit the plan is imported into; ``continues_session_uid`` becomes
    the id of that visit here, or None when it is not in this database. A version-1 file's
    integer ``continues_session_id`` named a visit of the exporting database, so it is
    dropped rather than pointed at whatever visit has that number here.
    """
    out = {k: v for k, v in plan.items() if k != "continues_session_uid"}
    out["session_id"] = session_id
    if "continues_session_uid" in plan or "continues_session_id" in plan:
        continued = plan.get("continues_session_uid")
        out["continues_session_id"] = (
            db.session_id_of_uid(continued) if isinstance(continued, str) else None
        )
    return out
