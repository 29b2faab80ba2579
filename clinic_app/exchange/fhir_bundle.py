"""FHIR R4 Bundles of many patients, written one patient at a time.

``collection``: every resource with ``fullUrl = urn:uuid:<id>``; references between them
use those URNs, which resolve inside the Bundle.

``transaction``: what a FHIR server applies as is, in one all-or-nothing step
(``POST [base]`` with the Bundle). Resources carry no ids of their own; each entry says
how the server matches what it already has, so sending the same export twice changes
nothing and sending a later export updates the values:

* Patient: conditional *create* (``POST Patient`` with ``ifNoneExist``) on the record
  number with the clinic's system when set in Settings, else on the DorsiLab uid. A
  patient the server already knows is matched and left as the EHR has it (DorsiLab
  never rewrites an EHR's demographics); the visits are attached to it.
* Encounter and Observation: conditional *update* (``PUT Encounter?identifier=…``) on
  their ``urn:uuid`` identifier: created the first time, replaced afterwards.

References inside the transaction are the entries' ``urn:uuid`` full URLs, which the
server replaces with the ids it assigns.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import orjson

from clinic_app.exchange.collect import PatientBundle
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.fhir import patient_resources
from clinic_app.exchange.fhir_codes import RECORD_NUMBER_SETTING
from clinic_app.exchange.files import atomic_binary
from clinic_app.exchange.json_export import write_array_document, write_encoded_array
from clinic_app.storage import Database


@dataclass(frozen=True)
class FhirOptions:
    """How the Bundle is made.

    Attributes
    ----------
    bundle_type : {"collection", "transaction"}
    record_number_system : str
        The URI of the clinic's record numbers ("" when not set: the identifier then
        has its ``MR`` type but no system, and servers cannot match on it).
    """

    bundle_type: Literal["collection", "transaction"] = "collection"
    record_number_system: str = ""

    @classmethod
    def from_settings(
        cls, db: Database, *, bundle_type: Literal["collection", "transaction"]
    ) -> FhirOptions:
        """Options with the clinic's record-number system from the settings."""
        system = db.get_setting(RECORD_NUMBER_SETTING, "")
        return cls(bundle_type, system.strip() if isinstance(system, str) else "")


def bundle_header(options: FhirOptions) -> dict[str, Any]:
    """The Bundle's fields before ``entry``."""
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": options.bundle_type,
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
    }


def bundle_entries(
    bundles: Iterable[PatientBundle],
    options: FhirOptions,
    pseudo: Pseudonymizer | None = None,
) -> Iterator[dict[str, Any]]:
    """The entries of every patient, one patient at a time."""
    transaction = options.bundle_type == "transaction"
    for bundle in bundles:
        resources = patient_resources(
            bundle, pseudo, record_number_system=options.record_number_system
        )
        patient = resources.patient
        if not transaction:
            yield _entry(patient)
            for resource, _ in resources.entries:
                yield _entry(resource)
            continue
        yield {
            "fullUrl": f"urn:uuid:{patient['id']}",
            "resource": _without_id(patient),
            "request": {
                "method": "POST",
                "url": "Patient",
                "ifNoneExist": f"identifier={resources.patient_match}",
            },
        }
        for resource, match in resources.entries:
            kind = resource["resourceType"]
            yield {
                "fullUrl": f"urn:uuid:{resource['id']}",
                "resource": _without_id(resource),
                "request": {"method": "PUT", "url": f"{kind}?identifier={match}"},
            }


def write_fhir_bundle(
    path: Path,
    bundles: Iterable[PatientBundle],
    options: FhirOptions,
    pseudo: Pseudonymizer | None = None,
) -> int:
    """Stream the Bundle to ``path``; return the number of entries."""
    with atomic_binary(path) as out:
        return write_array_document(
            out, bundle_header(options), "entry", bundle_entries(bundles, options, pseudo)
        )


def encode_entries(
    bundles: Iterable[PatientBundle],
    options: FhirOptions,
    pseudo: Pseudonymizer | None = None,
) -> tuple[int, bytes]:
    """The entries of ``bundles`` encoded as they stand in the ``entry`` array, joined by
    ``b",\\n"`` (an export worker's batch), and their number."""
    entries = [
        orjson.dumps(e, option=orjson.OPT_INDENT_2)
        for e in bundle_entries(bundles, options, pseudo)
    ]
    return len(entries), b",\n".join(entries)


def write_fhir_encoded(path: Path, batches: Iterable[bytes], options: FhirOptions) -> None:
    """The Bundle of entries already encoded by :func:`encode_entries`, written atomically."""
    with atomic_binary(path) as out:
        write_encoded_array(out, bundle_header(options), "entry", batches)


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _without_id(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key != "id"}
