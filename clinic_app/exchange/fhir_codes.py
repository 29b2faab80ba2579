"""Code systems and codes used in DorsiLab's FHIR export (``docs/fhir.md`` explains each).

Standard terminologies where a code exists: LOINC for body weight and height
(vital-signs), SNOMED CT for the left and right ankle (``bodySite``), HL7 v2 table 0203
for the record-number identifier type (``MR``), HL7 v3 ActCode for the visit class
(``AMB``), UCUM for units. DorsiLab's own code systems where no standard code fits: the
measures (no LOINC term describes the weight-bearing lunge test or single-leg COP sway),
the balance condition and the inclinometer site.
"""

from __future__ import annotations

import hashlib
import uuid

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
URI_SYSTEM = "urn:ietf:rfc:3986"
"""Identifier system for a value that is itself a URI (``urn:uuid:…``)."""
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"

LOCAL_SYSTEM = "urn:dorsilab:fhir:measure"
"""DorsiLab's code system for measures that have no LOINC code (see docs/fhir.md)."""
SITE_SYSTEM = "urn:dorsilab:fhir:inclinometer-site"
"""DorsiLab's code system for the inclinometer site of an angle (see docs/fhir.md)."""
CONDITION_SYSTEM = "urn:dorsilab:fhir:balance-condition"
"""DorsiLab's code system for the single-leg balance condition (see docs/fhir.md)."""
PSEUDONYM_SYSTEM = "urn:dorsilab:pseudonym"
"""Identifier system of the pseudonyms in de-identified exports."""
RECORD_NUMBER_SETTING = "fhir_record_number_system"
"""Settings key: the URI the clinic's record numbers are issued under (Settings dialog)."""

NAMESPACE = uuid.UUID("6f1c1c5e-3d1a-4e53-9a77-5b9b8f0a4c21")
"""Namespace of the name-based (v5) UUIDs of Observations and pseudonymous resources."""
_NAMESPACE_BYTES = NAMESPACE.bytes

LOCAL_CODES: dict[str, tuple[str, str]] = {
    "wblt-angle": ("Weight-bearing lunge test, tibial inclination (mean of trials)", "deg"),
    "wblt-distance": ("Weight-bearing lunge test, knee-to-wall distance (mean)", "cm"),
    "slb-cop-velocity": ("Single-leg balance, mean COP velocity", "cm/s"),
    "slb-ellipse-area": ("Single-leg balance, 95 % prediction ellipse area", "cm2"),
    "slb-path-length": ("Single-leg balance, COP path length", "cm"),
}
"""Local measure code → (display, UCUM unit)."""

VITAL_SIGNS: dict[str, tuple[str, str, str]] = {
    "mass_kg": ("29463-7", "Body weight", "kg"),
    "height_cm": ("8302-2", "Body height", "cm"),
}
"""Visit field → (LOINC code, display, UCUM unit)."""

ANKLE: dict[str, tuple[str, str]] = {
    "left": ("51636004", "Structure of left ankle"),
    "right": ("6685009", "Structure of right ankle"),
}
"""Side → SNOMED CT body structure of that ankle."""

CONDITION_TEXT = {
    "eo_firm": "eyes open, firm surface",
    "ec_firm": "eyes closed, firm surface",
    "eo_foam": "eyes open, foam surface",
    "ec_foam": "eyes closed, foam surface",
}
SITE_TEXT = {
    "tibial_crest_15cm": "inclinometer on the anterior tibial crest, 15 cm below "
    "the tibial tuberosity",
    "tibial_tuberosity": "inclinometer on the tibial tuberosity",
}
ENCOUNTER_STATUS = {"in_progress": "in-progress", "complete": "finished", "abandoned": "cancelled"}
"""Visit status → FHIR R4 Encounter.status (a voided visit is ``entered-in-error``)."""
GENDER = {"female": "female", "male": "male", "other": "other"}
"""Patient sex → FHIR administrative gender (anything else is ``unknown``)."""


def body_site(side: str) -> dict[str, object]:
    """``bodySite`` of an Observation on the ``side`` ankle (SNOMED CT, with text)."""
    code, display = ANKLE[side]
    return {
        "coding": [{"system": SNOMED, "code": code, "display": display}],
        "text": f"{side} ankle",
    }


def uuid_identifier(value: str) -> dict[str, str]:
    """An identifier whose value is the URN of a UUID."""
    return {"system": URI_SYSTEM, "value": f"urn:uuid:{value}"}


def name_uuid(*parts: object) -> str:
    """A stable name-based UUID (v5) of ``parts``: ``str(uuid.uuid5(NAMESPACE, "a/b/…"))``.

    Computed as RFC 4122 §4.3 says (SHA-1 of namespace and name, version and variant bits
    set) without building a :class:`uuid.UUID`, whose checks cost more than the hash; a
    clinic-wide FHIR export names hundreds of thousands of Observations.
    """
    name = "/".join([str(p) for p in parts]).encode("utf-8")
    digest = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest())
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    text = digest[:16].hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
