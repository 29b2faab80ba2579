"""The FHIR export is a valid R4 Bundle (checked by fhir.resources' R4B models, the R4
technical correction): every Observation has a resolvable subject, a code and a UCUM
quantity, and its value is the analysis' session mean."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient

from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.fhir import (
    LOCAL_CODES,
    LOCAL_SYSTEM,
    LOINC,
    SITE_SYSTEM,
    UCUM,
    patient_bundle,
)
from clinic_app.storage import Database

# Every unit the export may use, as UCUM case-sensitive codes (degree, centimetre,
# centimetre per second, square centimetre, kilogram).
UCUM_CODES = {"deg", "cm", "cm/s", "cm2", "kg"}


def _bundle(db: Database, patient_id: int, pseudo: Pseudonymizer | None = None) -> dict[str, Any]:
    document = patient_bundle([collect_patient(db, patient_id, recordings=False)], pseudo)
    # What a receiver gets: the JSON text, not our dict.
    return json.loads(json.dumps(document, ensure_ascii=False))


def _observations(bundle: Bundle) -> list[Observation]:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == "Observation"]


def test_bundle_validates_against_the_fhir_structure(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    document = _bundle(db, patient_id)
    bundle = Bundle.model_validate(document)
    assert bundle.type == "collection" and bundle.timestamp is not None
    patients = [e for e in bundle.entry if e.resource.get_resource_type() == "Patient"]
    assert len(patients) == 1
    patient = patients[0].resource
    assert isinstance(patient, FhirPatient)
    assert patient.name[0].family == "Núñez 中文" and patient.name[0].given == ["Zoë"]
    assert str(patient.birthDate) == "1991-03-14" and patient.gender == "female"
    full_urls = [e.fullUrl for e in bundle.entry]
    assert len(set(full_urls)) == len(full_urls)
    assert all(e.fullUrl == f"urn:uuid:{e.resource.id}" for e in bundle.entry)


def test_every_observation_has_subject_code_and_ucum_quantity(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    bundle = Bundle.model_validate(_bundle(db, patient_id))
    patient_url = next(
        e.fullUrl for e in bundle.entry if e.resource.get_resource_type() == "Patient"
    )
    observations = _observations(bundle)
    assert observations
    for obs in observations:
        assert obs.status == "final"
        assert obs.subject is not None and obs.subject.reference == patient_url
        assert obs.effectiveDateTime is not None
        coding = obs.code.coding[0]
        q = obs.valueQuantity
        assert q is not None and q.system == UCUM and q.code in UCUM_CODES and q.unit == q.code
        if coding.system == LOCAL_SYSTEM:
            display, unit = LOCAL_CODES[coding.code]
            assert coding.display == display and q.code == unit
            assert obs.category[0].coding[0].code == "exam"
            assert obs.bodySite.text in ("left ankle", "right ankle")
            assert obs.method.text
        else:
            assert coding.system == LOINC
            assert (coding.code, q.code) in {("29463-7", "kg"), ("8302-2", "cm")}
            assert obs.category[0].coding[0].code == "vital-signs"
    # Two visits × (2 sides × (angle, distance) + 2 sides × eo_firm × 3 metrics) + weight,
    # height per visit; the failed eyes-closed trials give no balance observation.
    codes = Counter(o.code.coding[0].code for o in observations)
    assert codes == {
        "wblt-angle": 4, "wblt-distance": 4, "slb-cop-velocity": 4, "slb-ellipse-area": 4,
        "slb-path-length": 4, "29463-7": 2, "8302-2": 2,
    }  # fmt: skip


def test_values_are_the_session_means_with_site_and_condition(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    observations = _observations(Bundle.model_validate(_bundle(db, patient_id)))
    first_visit = [o for o in observations if str(o.effectiveDateTime).startswith("2026-09-01")]
    angle = next(
        o
        for o in first_visit
        if o.code.coding[0].code == "wblt-angle" and o.bodySite.text == "left ankle"
    )
    # conftest: 36 − 4 + 0.3·attempt for attempts 1–3 → mean 32.6°.
    assert float(angle.valueQuantity.value) == pytest.approx(32.6)
    site = angle.method.coding[0]
    assert (site.system, site.code) == (SITE_SYSTEM, "tibial_crest_15cm")
    velocity = next(o for o in first_visit if o.code.coding[0].code == "slb-cop-velocity")
    assert float(velocity.valueQuantity.value) == pytest.approx(3.15)
    assert "eyes open, firm surface" in velocity.method.text


def test_deidentified_bundle_has_no_name_birth_date_or_record_number(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    pseudo = Pseudonymizer(b"0123456789abcdef-test-salt")
    document = _bundle(db, patient_id, pseudo)
    text = json.dumps(document, ensure_ascii=False)
    for secret in ("Zoë", "Núñez", "1991-03-14", "MRN-0042"):
        assert secret not in text
    bundle = Bundle.model_validate(document)
    patient = bundle.entry[0].resource
    assert patient.name is None and patient.birthDate is None
    assert patient.identifier[0].value == pseudo.pseudonym("patient", patient_id)
    patient_url = bundle.entry[0].fullUrl
    assert all(o.subject.reference == patient_url for o in _observations(bundle))
    # Same clinic salt → same pseudonymous ids in every export (linkable by the clinic).
    assert _bundle(db, patient_id, pseudo)["entry"][0] == document["entry"][0]


def test_a_broken_observation_is_refused_by_the_validator(
    clinic_db: tuple[Database, int],
) -> None:
    """The structure check can fail: a quantity without a number is not FHIR."""
    db, patient_id = clinic_db
    document = _bundle(db, patient_id)
    document["entry"][1]["resource"]["valueQuantity"]["value"] = "thirty"
    with pytest.raises(ValueError, match="value"):
        Bundle.model_validate(document)
