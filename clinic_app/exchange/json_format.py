"""DorsiLab JSON export and import: patients, sessions, trials, results, plans, recordings.

The document is versioned (``format_version``) so later DorsiLab versions can read older
exports. Recordings are stored per trial and device as zlib-compressed raw bytes in
base64 with their numpy ``dtype`` description, so an export → import round trip is
exact to the bit.

Document layout (``format_version`` 1)::

    {"format": "dorsilab-export", "format_version": 1, "software_version": "0.1.0",
     "exported_at": "2026-11-24T10:00:00Z", "deidentified": false,
     "includes_recordings": true,
     "patients": [{"id": 3, "record_number": "A-17", "first_name": …, "birth_date": …,
                   …every patient field…,
                   "sessions": [{"id": 9, "started_at": …, "ended_at": …, "examiner": …,
                                 "status": "complete", "inclinometer_site": …, "notes": …,
                                 "test_plan": {…Test plan JSON…} or null,
                                 "trials": [{"id": 51, "protocol": "lunge", "side": "left",
                                             "condition": null, "attempt": 1,
                                             "practice": false, "status": "valid",
                                             "invalid_reason": null, "result": {…},
                                             "started_at": …, "ended_at": …,
                                             "recordings": {"inclinometer": {"dtype": […],
                                                 "n_samples": 812, "encoding": "zlib+base64",
                                                 "data": "…"}}}],
                                 "plans": [{"version": 1, "plan": {…},
                                            "edited_by": "generator",
                                            "created_at": …}]}]}]}

``test_plan`` (the tests and settings chosen for the visit, ``docs/data-model.md``) was
added within format version 1: exports written before it lack the key and import with no
plan, and older DorsiLab versions ignore it.

De-identified exports replace ids by salted pseudonyms and drop names, birth dates,
record numbers and free-text notes (see :mod:`clinic_app.exchange.deidentify`); they
cannot be imported (there is no one to attach them to).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from clinic_app import __version__
from clinic_app.exchange.collect import PatientBundle
from clinic_app.exchange.deidentify import DROPPED_PATIENT_FIELDS, Pseudonymizer
from clinic_app.exchange.files import write_text_atomic
from clinic_app.storage import PATIENT_FIELDS, Database, PatientInput

FORMAT_NAME = "dorsilab-export"
FORMAT_VERSION = 1


class ImportFormatError(ValueError):
    """The file is not a DorsiLab export this version can read (message in words)."""


# ---------------------------------------------------------------------------- export
def export_document(
    bundles: Sequence[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> dict[str, Any]:
    """Build the export document for ``bundles`` (de-identified when a pseudonymizer is given)."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "software_version": __version__,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deidentified": pseudonymizer is not None,
        "includes_recordings": any(
            t.recordings for b in bundles for s in b.sessions for t in s.trials
        ),
        "patients": [_patient(bundle, pseudonymizer) for bundle in bundles],
    }


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write ``document`` atomically (temporary file, then rename)."""
    write_text_atomic(path, json.dumps(document, ensure_ascii=False, indent=1))


def _patient(bundle: PatientBundle, pseudo: Pseudonymizer | None) -> dict[str, Any]:
    patient = bundle.patient
    fields = {name: getattr(patient, name) for name in PATIENT_FIELDS}
    fields["birth_date"] = patient.birth_date.isoformat()
    out: dict[str, Any] = {"id": patient.id, **fields}
    out.update(created_at=patient.created_at, updated_at=patient.updated_at)
    if pseudo is not None:
        for name in DROPPED_PATIENT_FIELDS:
            out.pop(name, None)
        out["id"] = pseudo.pseudonym("patient", patient.id)
        out["age_years"] = patient.age_years()
    out["sessions"] = [_session(s, pseudo) for s in bundle.sessions]
    return out


def _session(bundle: Any, pseudo: Pseudonymizer | None) -> dict[str, Any]:
    session = bundle.session
    out: dict[str, Any] = {
        "id": session.id if pseudo is None else pseudo.pseudonym("session", session.id),
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "examiner": session.examiner,
        "status": session.status,
        "inclinometer_site": session.inclinometer_site,
        "notes": session.notes if pseudo is None else "",
        "test_plan": session.test_plan,
        "trials": [],
        "plans": [
            {
                "version": p.version,
                "plan": _plan(p.plan, pseudo),
                "edited_by": p.edited_by,
                "created_at": p.created_at,
            }
            for p in bundle.plans
        ],
    }
    for item in bundle.trials:
        trial = item.trial
        out["trials"].append(
            {
                "id": trial.id if pseudo is None else pseudo.pseudonym("trial", trial.id),
                "protocol": trial.protocol,
                "side": trial.side,
                "condition": trial.condition,
                "attempt": trial.attempt,
                "practice": trial.practice,
                "status": trial.status,
                "invalid_reason": trial.invalid_reason,
                "result": trial.result,
                "started_at": trial.started_at,
                "ended_at": trial.ended_at,
                "recordings": {dev: encode_array(a) for dev, a in item.recordings.items()},
            }
        )
    return out


def _plan(plan: dict[str, Any], pseudo: Pseudonymizer | None) -> dict[str, Any]:
    if pseudo is None:
        return plan
    cleaned = dict(plan)
    cleaned.pop("clinician_notes", None)
    return cleaned


def encode_array(samples: npt.NDArray[Any]) -> dict[str, Any]:
    """A structured array as JSON: dtype description, count, zlib+base64 bytes."""
    data = np.ascontiguousarray(samples)
    return {
        "dtype": [list(field) for field in data.dtype.descr],
        "n_samples": len(data),
        "encoding": "zlib+base64",
        "data": base64.b64encode(zlib.compress(data.tobytes(), 6)).decode("ascii"),
    }


def decode_array(item: dict[str, Any]) -> npt.NDArray[Any]:
    """Inverse of :func:`encode_array` (raises ImportFormatError if damaged)."""
    try:
        dtype = np.dtype([tuple(field) for field in item["dtype"]])
        raw = zlib.decompress(base64.b64decode(item["data"]))
        array = np.frombuffer(raw, dtype=dtype).copy()
    except (KeyError, TypeError, ValueError, zlib.error) as exc:
        raise ImportFormatError(f"a recording in the file is damaged ({exc})") from exc
    if len(array) != int(item.get("n_samples", -1)):
        raise ImportFormatError("a recording in the file has the wrong number of samples")
    return array


# ---------------------------------------------------------------------------- import
def read_document(path: Path) -> dict[str, Any]:
    """Load and check an export file.

    Raises
    ------
    ImportFormatError
        If the file is not JSON, not a DorsiLab export, from a newer version, or
        de-identified — each said in words with the file name.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFormatError(f"{path}: cannot be read ({exc})") from exc
    except json.JSONDecodeError as exc:
        raise ImportFormatError(
            f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise ImportFormatError(f"{path}: not a DorsiLab export (no 'format': '{FORMAT_NAME}')")
    version = document.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ImportFormatError(
            f"{path}: export format version {version} is newer than this DorsiLab "
            f"reads ({FORMAT_VERSION}); update DorsiLab"
        )
    if document.get("deidentified"):
        raise ImportFormatError(
            f"{path}: a de-identified export cannot be imported (it has no names to "
            "attach the sessions to)"
        )
    return document


@dataclass(frozen=True)
class ImportSummary:
    """What an import did (counts only: this may be logged)."""

    patients_created: int
    patients_matched: int
    sessions_imported: int
    sessions_skipped: int
    trials_imported: int
    plans_imported: int


def import_document(db: Database, document: dict[str, Any]) -> ImportSummary:
    """Import every patient, session, trial, recording and plan of ``document``.

    All or nothing: the import is one transaction. A patient is matched to an existing
    one by record number (which must then carry the same names and birth date) or, with
    no record number, by names and birth date; otherwise created. A session whose start
    time the matched patient already has is skipped, so importing the same file twice
    adds nothing.

    Raises
    ------
    ImportFormatError
        If a record in the document is malformed or conflicts with the database, naming
        the patient by position (never by name) and the field.
    """
    counts = dict.fromkeys(("created", "matched", "sessions", "skipped", "trials", "plans"), 0)
    with db.transaction():
        for index, item in enumerate(document.get("patients", []), start=1):
            try:
                patient_id, created = _import_patient(db, item)
            except (KeyError, TypeError, ValueError) as exc:
                raise ImportFormatError(f"patient #{index} in the file: {exc}") from exc
            counts["created" if created else "matched"] += 1
            existing = {s.started_at for s in db.list_sessions(patient_id)}
            for session in item.get("sessions", []):
                if session["started_at"] in existing:
                    counts["skipped"] += 1
                    continue
                trials, plans = _import_session(db, patient_id, session)
                counts["sessions"] += 1
                counts["trials"] += trials
                counts["plans"] += plans
        db.record_audit(
            "import",
            "database",
            None,
            {
                "patients": counts["created"] + counts["matched"],
                "sessions": counts["sessions"],
                "trials": counts["trials"],
            },
        )
    return ImportSummary(
        counts["created"],
        counts["matched"],
        counts["sessions"],
        counts["skipped"],
        counts["trials"],
        counts["plans"],
    )


def _import_patient(db: Database, item: dict[str, Any]) -> tuple[int, bool]:
    fields = {name: item.get(name) for name in PATIENT_FIELDS}
    candidate = PatientInput.from_fields(fields)
    owner = db.record_number_owner(candidate.record_number)
    if owner is not None:
        existing = db.get_patient(owner)
        same = (existing.first_name, existing.last_name, existing.birth_date) == (
            candidate.first_name,
            candidate.last_name,
            candidate.birth_date,
        )
        if not same:
            raise ValueError(
                f"record number {candidate.record_number} belongs to another patient here"
            )
        return owner, False
    if candidate.record_number is None:
        matches = db.possible_duplicates(
            candidate.first_name, candidate.last_name, candidate.birth_date
        )
        if len(matches) == 1:
            return matches[0].id, False
    return db.create_patient(candidate).id, True


def _import_session(db: Database, patient_id: int, item: dict[str, Any]) -> tuple[int, int]:
    test_plan = item.get("test_plan")  # absent from exports made before it was stored
    if test_plan is not None and not isinstance(test_plan, dict):
        raise ImportFormatError(
            f"the session of {item.get('started_at')}: test_plan must be an object or null"
        )
    session_id = db.create_session(
        patient_id,
        item.get("examiner", ""),
        item["inclinometer_site"],
        started_at=item["started_at"],
        notes=item.get("notes", ""),
        test_plan=test_plan,
    )
    for trial in item.get("trials", []):
        trial_id = db.begin_trial(
            session_id,
            trial["protocol"],
            trial["side"],
            trial.get("condition"),
            int(trial["attempt"]),
            bool(trial["practice"]),
            started_at=trial["started_at"],
        )
        recordings = {dev: decode_array(rec) for dev, rec in trial.get("recordings", {}).items()}
        if trial.get("ended_at") is None:
            # Interrupted trial: journal its samples and leave it incomplete, as it was.
            for device, samples in recordings.items():
                db.append_recording_chunk(trial_id, device, samples)
            continue
        db.finish_trial(
            trial_id,
            trial["status"],
            trial.get("result"),
            trial.get("invalid_reason"),
            final_samples=recordings,
            ended_at=trial["ended_at"],
        )
    for plan in sorted(item.get("plans", []), key=lambda p: int(p["version"])):
        db.save_plan(session_id, plan["plan"], plan.get("edited_by", "import"))
    if item.get("status") in ("complete", "abandoned"):
        db.finish_session(session_id, item["status"], ended_at=item.get("ended_at"))
    return len(item.get("trials", [])), len(item.get("plans", []))
