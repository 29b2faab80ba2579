"""DorsiLab JSON export, written patient by patient (memory does not grow with the clinic).

The document (``format_version`` 2; the schema, limits and version history are in
``docs/exchange.md``)::

    {"format": "dorsilab-export", "format_version": 2, "software_version": "0.1.0",
     "exported_at": "2026-11-24T10:00:00Z", "deidentified": false,
     "includes_recordings": true,
     "patients": [{"uid": "…", "record_number": "A-17", "first_name": …, …,
                   "created_at": …, "updated_at": …, "deleted_at": null,
                   "sessions": [{"uid": "…", "started_at": …, "examiner": …, …,
                                 "mass_kg": 61.5, "height_cm": 168.0,
                                 "voided_at": null, "void_reason": "",
                                 "test_plan": {…} or null,
                                 "trials": [{"uid": "…", "protocol": "lunge", …,
                                             "recordings": {"inclinometer": {
                                                 "dtype": […], "n_samples": 812,
                                                 "encoding": "zlib+base64",
                                                 "data": "…"}}}],
                                 "plans": [{"version": 1, "plan": {…},
                                            "edited_by": "generator",
                                            "created_at": …}]}]}]}

Identity is the ``uid`` of each patient, visit and trial (the database's own ids differ
between workstations and are not exported). Recordings are the raw bytes of the stored
numpy array, zlib-compressed, in base64, with the array's ``dtype`` description, so a
round trip is exact to the bit. De-identified exports follow
:mod:`clinic_app.exchange.deidentify` and cannot be imported.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import orjson

from clinic_app import __version__
from clinic_app.exchange.collect import PatientBundle, SessionBundle, TrialBundle
from clinic_app.exchange.deidentify import (
    DROPPED_PATIENT_FIELDS,
    Pseudonymizer,
    coded_reason,
    deidentified_plan,
    is_code,
    scrub,
)
from clinic_app.exchange.files import atomic_binary
from clinic_app.exchange.json_version import FORMAT_NAME, FORMAT_VERSION
from clinic_app.exchange.pipeline import default_workers, ordered_map
from clinic_app.storage import PATIENT_FIELDS
from clinic_app.storage import _deflate as deflate

_INDENT = orjson.OPT_INDENT_2


def export_header(*, deidentified: bool, recordings: bool) -> dict[str, Any]:
    """The document's fields before ``patients``."""
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "software_version": __version__,
        "exported_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "deidentified": deidentified,
        "includes_recordings": recordings,
    }


def export_document(
    bundles: Iterable[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> dict[str, Any]:
    """The whole export document in memory (small exports and tests; files are streamed
    by :func:`write_json_export`)."""
    patients = [patient_record(bundle, pseudonymizer) for bundle in bundles]
    recordings = any(
        s.get("trials") and any(t.get("recordings") for t in s["trials"])
        for p in patients
        for s in p["sessions"]
    )
    header = export_header(deidentified=pseudonymizer is not None, recordings=recordings)
    return {**header, "patients": patients}


def write_json(document: dict[str, Any], path: Path) -> None:
    """Write a JSON document (export or FHIR Bundle) atomically, indented, UTF-8."""
    with atomic_binary(path) as out:
        out.write(orjson.dumps(document, option=_INDENT))
        out.write(b"\n")


def write_json_export(
    path: Path,
    bundles: Iterable[PatientBundle],
    pseudonymizer: Pseudonymizer | None = None,
    *,
    recordings: bool = True,
) -> int:
    """Stream the export document to ``path`` one patient at a time; return the count.

    The file appears only when complete (see :mod:`clinic_app.exchange.files`).
    """

    def encode(bundle: PatientBundle) -> bytes:
        return encode_patient(bundle, pseudonymizer)

    # Recordings are compressed on worker threads (zlib releases the GIL) while the next
    # patients are read; without them there is nothing to gain from threads.
    workers = default_workers() if recordings else 1
    return write_json_encoded(
        path,
        ordered_map(encode, bundles, workers=workers),
        deidentified=pseudonymizer is not None,
        recordings=recordings,
    )


def write_json_encoded(
    path: Path, patients: Iterable[bytes], *, deidentified: bool, recordings: bool
) -> int:
    """The export document of patients already encoded (:func:`encode_patient`, or several
    joined by ``b",\\n"``), written to ``path`` atomically; returns the number of pieces."""
    header = export_header(deidentified=deidentified, recordings=recordings)
    with atomic_binary(path) as out:
        return write_encoded_array(out, header, "patients", patients)


def encode_patient(bundle: PatientBundle, pseudonymizer: Pseudonymizer | None) -> bytes:
    """One patient's record as indented JSON, as it stands in the ``patients`` array."""
    return orjson.dumps(patient_record(bundle, pseudonymizer), option=_INDENT)


def write_array_document(
    out: IO[bytes], header: dict[str, Any], key: str, items: Iterable[dict[str, Any]]
) -> int:
    """Write ``{**header, key: [items…]}`` (indented JSON) to ``out`` one item at a time.

    ``header`` must not be empty. Returns the number of items written.
    """
    return write_encoded_array(
        out, header, key, (orjson.dumps(item, option=_INDENT) for item in items)
    )


def write_encoded_array(
    out: IO[bytes], header: dict[str, Any], key: str, encoded: Iterable[bytes]
) -> int:
    """:func:`write_array_document` with the items already encoded (indented JSON).

    An item may be several items joined by ``b",\\n"`` (a worker's batch); an empty one
    (a batch without items) is skipped.
    """
    head = orjson.dumps(header, option=_INDENT)  # b'{\n  "a": 1\n}'
    out.write(head[:-2])
    out.write(b",\n  " + orjson.dumps(key) + b": [\n")
    count = 0
    for item in encoded:
        if not item:
            continue
        if count:
            out.write(b",\n")
        out.write(item)
        count += 1
    out.write(b"\n  ]\n}\n")
    return count


# ---------------------------------------------------------------------------- records
def patient_record(bundle: PatientBundle, pseudo: Pseudonymizer | None) -> dict[str, Any]:
    """One patient with every visit, as the export holds it."""
    patient = bundle.patient
    out: dict[str, Any]
    if pseudo is None:
        out = {"uid": patient.uid}
        out.update({name: getattr(patient, name) for name in PATIENT_FIELDS})
        out["birth_date"] = patient.birth_date.isoformat()
        out.update(
            created_at=patient.created_at,
            updated_at=patient.updated_at,
            deleted_at=patient.deleted_at,
        )
    else:
        out = {"id": pseudo.pseudonym("patient", patient.uid), "age_years": patient.age_years()}
        out.update(
            {n: getattr(patient, n) for n in PATIENT_FIELDS if n not in DROPPED_PATIENT_FIELDS}
        )
    uid_of = {s.session.id: s.session.uid for s in bundle.sessions}
    out["sessions"] = [_session(s, pseudo, uid_of) for s in bundle.sessions]
    return out


def portable_plan(plan: Mapping[str, Any], uid_of: Mapping[int, str]) -> dict[str, Any]:
    """The plan without this database's integer ids, which mean nothing in another one.

    ``session_id`` (the visit that holds the plan) is implied by where the plan sits in the
    file; ``continues_session_id`` (the visit whose plan a re-test continued, §3.7) becomes
    ``continues_session_uid``. :func:`clinic_app.exchange.json_import.local_plan` reverses
    this against the database the file is imported into.
    """
    out = {k: v for k, v in plan.items() if k not in ("session_id", "continues_session_id")}
    if "continues_session_id" in plan:
        continued = plan["continues_session_id"]
        out["continues_session_uid"] = (
            uid_of.get(continued) if isinstance(continued, int) else None
        )
    return out


def _session(
    bundle: SessionBundle, pseudo: Pseudonymizer | None, uid_of: Mapping[int, str]
) -> dict[str, Any]:
    session = bundle.session
    if pseudo is None:
        return {
            "uid": session.uid,
            "started_at": session.started_at,
            "ended_at": session.ended_at,
            "examiner": session.examiner,
            "status": session.status,
            "inclinometer_site": session.inclinometer_site,
            "notes": session.notes,
            "created_at": session.created_at,
            "updated_at": session.updated_at,
            "mass_kg": session.mass_kg,
            "height_cm": session.height_cm,
            "voided_at": session.voided_at,
            "void_reason": session.void_reason,
            "test_plan": session.test_plan,
            "trials": [_trial(t, None) for t in bundle.trials],
            "plans": [
                {
                    "version": p.version,
                    "plan": portable_plan(p.plan, uid_of),
                    "edited_by": p.edited_by,
                    "created_at": p.created_at,
                }
                for p in bundle.plans
            ],
        }
    session_pseudonym = pseudo.pseudonym("session", session.uid)
    return {
        "id": session_pseudonym,
        "started_at": session.started_at,
        "ended_at": session.ended_at,
        "examiner": pseudo.examiner(session.examiner),
        "status": session.status,
        "inclinometer_site": session.inclinometer_site
        if is_code(session.inclinometer_site)
        else None,
        "mass_kg": session.mass_kg,
        "height_cm": session.height_cm,
        "voided": session.is_voided,
        "voided_at": session.voided_at,
        "test_plan": scrub(session.test_plan),
        "trials": [_trial(t, pseudo) for t in bundle.trials],
        "plans": [
            {
                "version": p.version,
                "plan": deidentified_plan(p.plan, session_pseudonym),
                "edited_by": pseudo.editor(p.edited_by),
                "created_at": p.created_at,
            }
            for p in bundle.plans
        ],
    }


def _trial(item: TrialBundle, pseudo: Pseudonymizer | None) -> dict[str, Any]:
    trial = item.trial
    return {
        **({"uid": trial.uid} if pseudo is None else {"id": pseudo.pseudonym("trial", trial.uid)}),
        "protocol": trial.protocol,
        "side": trial.side,
        "condition": trial.condition,
        "attempt": trial.attempt,
        "practice": trial.practice,
        "status": trial.status,
        "invalid_reason": trial.invalid_reason if pseudo is None else coded_reason(trial),
        "result": trial.result if pseudo is None else scrub(trial.result),
        "started_at": trial.started_at,
        "ended_at": trial.ended_at,
        "recordings": {dev: encode_array(a) for dev, a in item.recordings.items()},
    }


def encode_array(samples: npt.NDArray[Any]) -> dict[str, Any]:
    """A structured array as JSON: dtype description, count, zlib+base64 bytes."""
    data = np.ascontiguousarray(samples)
    return {
        "dtype": [list(field) for field in data.dtype.descr],
        "n_samples": len(data),
        "encoding": "zlib+base64",
        "data": base64.b64encode(deflate.compress(data.tobytes(), 1)).decode("ascii"),
    }
