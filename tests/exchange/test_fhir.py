"""The FHIR export is valid R4 (checked by fhir.resources' R4B models, the R4 technical
correction) that an EHR can match: stable ids from the records' uids that survive export
→ import, per-visit weight and height, the record number as an MR identifier under the
clinic's system, SNOMED CT ankles, coded balance conditions, and a transaction Bundle
with conditional create/update."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.encounter import Encounter
from fhir.resources.R4B.observation import Observation
from fhir.resources.R4B.patient import Patient as FhirPatient

from clinic_app.exchange.collect import collect_patient
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.export import ExportRequest, run_export
from clinic_app.exchange.fhir import LOCAL_CODES, LOCAL_SYSTEM, LOINC, SITE_SYSTEM, UCUM
from clinic_app.exchange.fhir_bundle import FhirOptions, bundle_entries, bundle_header
from clinic_app.exchange.fhir_codes import (
    CONDITION_SYSTEM,
    IDENTIFIER_TYPE_SYSTEM,
    RECORD_NUMBER_SETTING,
    SNOMED,
)
from clinic_app.exchange.json_format import export_document, import_document
from clinic_app.storage import Database

# Every unit the export may use, as UCUM case-sensitive codes.
UCUM_CODES = {"deg", "cm", "cm/s", "cm2", "kg"}
MRN_SYSTEM = "https://riverside-running.example/fhir/mrn"


def _bundle(
    db: Database,
    patient_id: int,
    pseudo: Pseudonymizer | None = None,
    options: FhirOptions | None = None,
) -> dict[str, Any]:
    options = options or FhirOptions()
    bundles = [collect_patient(db, patient_id, recordings=False)]
    document = {**bundle_header(options), "entry": list(bundle_entries(bundles, options, pseudo))}
    # What a receiver gets: the JSON text, not our dict.
    return json.loads(json.dumps(document, ensure_ascii=False))


def _resources(bundle: Bundle, kind: str) -> list[Any]:
    return [e.resource for e in bundle.entry if e.resource.get_resource_type() == kind]


def test_bundle_validates_and_every_reference_resolves(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    bundle = Bundle.model_validate(_bundle(db, patient_id))
    assert bundle.type == "collection" and bundle.timestamp is not None
    (patient,) = _resources(bundle, "Patient")
    assert isinstance(patient, FhirPatient)
    assert patient.name[0].family == "Núñez 中文" and patient.name[0].given == ["Zoë"]
    assert str(patient.birthDate) == "1991-03-14" and patient.gender == "female"
    full_urls = [e.fullUrl for e in bundle.entry]
    assert len(set(full_urls)) == len(full_urls)
    assert all(e.fullUrl == f"urn:uuid:{e.resource.id}" for e in bundle.entry)
    encounters = _resources(bundle, "Encounter")
    assert len(encounters) == 2 and all(isinstance(e, Encounter) for e in encounters)
    for encounter in encounters:
        assert encounter.subject.reference in full_urls
        assert encounter.status == "finished" and encounter.class_fhir.code == "AMB"
    for obs in _resources(bundle, "Observation"):
        assert obs.subject.reference == f"urn:uuid:{patient.id}"
        assert obs.encounter.reference in full_urls


def test_ids_are_the_records_uids_and_survive_export_then_import(
    clinic_db: tuple[Database, int], tmp_path: Path
) -> None:
    db, patient_id = clinic_db
    first = _bundle(db, patient_id)
    stored = db.get_patient(patient_id)
    visits = db.list_sessions(patient_id)
    ids = {e["resource"]["resourceType"]: e["resource"]["id"] for e in first["entry"]}
    assert ids["Patient"] == stored.uid
    encounter_ids = {
        e["resource"]["id"] for e in first["entry"] if e["resource"]["resourceType"] == "Encounter"
    }
    assert encounter_ids == {s.uid for s in visits}
    with Database.open(tmp_path / "second-workstation.sqlite3") as other:
        import_document(other, export_document([collect_patient(db, patient_id)]))
        copy_id = other.search_patients("Núñez")[0].id
        second = _bundle(other, copy_id)
    assert [e["resource"]["id"] for e in second["entry"]] == [
        e["resource"]["id"] for e in first["entry"]
    ]
    assert [e["resource"] for e in second["entry"]] == [e["resource"] for e in first["entry"]]


def test_weight_and_height_are_those_measured_at_each_visit(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    before = _bundle(db, patient_id)
    db.update_patient(patient_id, {"mass_kg": "72"})  # the record changes today
    after = _bundle(db, patient_id)
    weights = [
        e["resource"]["valueQuantity"]["value"]
        for e in after["entry"]
        if e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == "29463-7"
    ]
    assert weights == [61.5, 61.5]  # both visits were measured at 61.5 kg
    assert [e["resource"] for e in after["entry"][1:]] == [
        e["resource"] for e in before["entry"][1:]
    ]


def test_every_observation_is_coded_with_ucum_snomed_and_condition(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    observations = _resources(Bundle.model_validate(_bundle(db, patient_id)), "Observation")
    assert observations
    for obs in observations:
        assert isinstance(obs, Observation) and obs.status == "final"
        assert obs.effectiveDateTime is not None
        coding = obs.code.coding[0]
        q = obs.valueQuantity
        assert q is not None and q.system == UCUM and q.code in UCUM_CODES and q.unit == q.code
        assert obs.identifier[0].value == f"urn:uuid:{obs.id}"
        if coding.system == LOCAL_SYSTEM:
            display, unit = LOCAL_CODES[coding.code]
            assert coding.display == display and q.code == unit
            assert obs.category[0].coding[0].code == "exam"
            site = obs.bodySite.coding[0]
            assert site.system == SNOMED
            assert (site.code, obs.bodySite.text) in {
                ("51636004", "left ankle"), ("6685009", "right ankle")
            }  # fmt: skip
            if coding.code.startswith("slb-"):
                assert obs.method.coding[0].system == CONDITION_SYSTEM
                assert obs.method.coding[0].code == "eo_firm"
        else:
            assert coding.system == LOINC
            assert (coding.code, q.code) in {("29463-7", "kg"), ("8302-2", "cm")}
            assert obs.category[0].coding[0].code == "vital-signs"
    codes = Counter(o.code.coding[0].code for o in observations)
    # Two visits × (2 sides × (angle, distance) + 2 sides × eo_firm × 3 metrics) + weight,
    # height per visit; the failed eyes-closed trials give no balance observation.
    assert codes == {
        "wblt-angle": 4, "wblt-distance": 4, "slb-cop-velocity": 4, "slb-ellipse-area": 4,
        "slb-path-length": 4, "29463-7": 2, "8302-2": 2,
    }  # fmt: skip


def test_values_are_the_session_means_with_site_and_condition(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    observations = _resources(Bundle.model_validate(_bundle(db, patient_id)), "Observation")
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


def test_record_number_is_an_mr_identifier_under_the_clinic_system(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    db.set_setting(RECORD_NUMBER_SETTING, MRN_SYSTEM)
    options = FhirOptions.from_settings(db, bundle_type="collection")
    (patient,) = _resources(
        Bundle.model_validate(_bundle(db, patient_id, None, options)), "Patient"
    )
    mr = patient.identifier[0]
    assert (mr.system, mr.value) == (MRN_SYSTEM, "MRN-0042")
    assert (mr.type.coding[0].system, mr.type.coding[0].code) == (IDENTIFIER_TYPE_SYSTEM, "MR")
    assert patient.identifier[1].value == f"urn:uuid:{db.get_patient(patient_id).uid}"


def test_transaction_bundle_matches_by_identifier(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    db.set_setting(RECORD_NUMBER_SETTING, MRN_SYSTEM)
    options = FhirOptions.from_settings(db, bundle_type="transaction")
    document = _bundle(db, patient_id, None, options)
    bundle = Bundle.model_validate(document)
    assert bundle.type == "transaction"
    first, *rest = bundle.entry
    assert first.request.method == "POST" and first.request.url == "Patient"
    assert first.request.ifNoneExist == f"identifier={MRN_SYSTEM}|MRN-0042"
    assert first.resource.id is None
    for entry in rest:
        kind = entry.resource.get_resource_type()
        assert entry.request.method == "PUT" and entry.resource.id is None
        match = f"urn:ietf:rfc:3986|{entry.resource.identifier[0].value}"
        assert entry.request.url == f"{kind}?identifier={match}"
        assert entry.resource.subject.reference == first.fullUrl


def test_a_voided_visit_is_entered_in_error(clinic_db: tuple[Database, int]) -> None:
    db, patient_id = clinic_db
    first_visit = db.patient_history(patient_id)[0].session
    db.void_session(first_visit.id, "wrong patient")
    bundle = Bundle.model_validate(_bundle(db, patient_id))
    voided = [e for e in _resources(bundle, "Encounter") if e.id == first_visit.uid]
    assert voided[0].status == "entered-in-error"
    statuses = {
        o.status
        for o in _resources(bundle, "Observation")
        if o.encounter.reference == f"urn:uuid:{first_visit.uid}"
    }
    assert statuses == {"entered-in-error"}


def test_deidentified_bundle_has_no_name_birth_date_record_number_or_uid(
    clinic_db: tuple[Database, int],
) -> None:
    db, patient_id = clinic_db
    pseudo = Pseudonymizer(b"0123456789abcdef-test-salt")
    document = _bundle(db, patient_id, pseudo)
    text = json.dumps(document, ensure_ascii=False)
    uids = [db.get_patient(patient_id).uid, *(s.uid for s in db.list_sessions(patient_id))]
    for secret in ("Zoë", "Núñez", "1991-03-14", "MRN-0042", "Dr Ana Ruiz", *uids):
        assert secret not in text
    bundle = Bundle.model_validate(document)
    patient = bundle.entry[0].resource
    assert patient.name is None and patient.birthDate is None
    assert patient.identifier[0].value == pseudo.pseudonym("patient", uids[0])
    patient_url = bundle.entry[0].fullUrl
    assert all(o.subject.reference == patient_url for o in _resources(bundle, "Observation"))
    # Same clinic salt → same pseudonymous ids in every export (linkable by the clinic).
    assert _bundle(db, patient_id, pseudo)["entry"] == document["entry"]


def test_streamed_file_is_the_same_bundle(clinic_db: tuple[Database, int], tmp_path: Path) -> None:
    db, patient_id = clinic_db
    (path,) = run_export(db, ExportRequest("fhir-transaction", tmp_path, [patient_id]))
    document = json.loads(path.read_text(encoding="utf-8"))
    Bundle.model_validate(document)
    expected = _bundle(db, patient_id, None, FhirOptions(bundle_type="transaction"))
    assert document["entry"] == expected["entry"]


def test_a_broken_observation_is_refused_by_the_validator(
    clinic_db: tuple[Database, int],
) -> None:
    """The structure check can fail: a quantity without a number is not FHIR."""
    db, patient_id = clinic_db
    document = _bundle(db, patient_id)
    observation = next(
        e["resource"] for e in document["entry"] if e["resource"]["resourceType"] == "Observation"
    )
    observation["valueQuantity"]["value"] = "thirty"
    with pytest.raises(ValueError, match="value"):
        Bundle.model_validate(document)
