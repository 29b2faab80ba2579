"""FHIR R4 resources of one patient: Patient, an Encounter per visit, Observations.

Per visit, the Observations are the visit's summary values (the same numbers as the
clinician report): for each side, the weight-bearing lunge angle and knee-to-wall
distance (mean of the valid measured trials); for each side and balance condition the
mean COP velocity, 95 % ellipse area and path length (mean of the valid trials); and the
body weight and height *measured at that visit* (LOINC 29463-7 and 8302-2, vital signs).

Identity that an EHR can match: Patient.id is the patient's ``uid``, Encounter.id the
visit's ``uid`` (both also as ``urn:uuid`` identifiers); Observation ids are name-based
UUIDs of the visit's uid and the measure, so they are the same in every export, after an
import into another workstation too. The clinic's record number is an identifier of type
``MR`` (HL7 v2-0203) with the system URI set in Settings. The side is a SNOMED CT
``bodySite``; the balance condition and the inclinometer site are coded in ``method``.
A voided visit is exported as ``entered-in-error`` (Encounter and its Observations), so a
server that received it earlier retracts it. Codes: :mod:`clinic_app.exchange.fhir_codes`.

Bundles (collection or transaction, streamed) are built by
:mod:`clinic_app.exchange.fhir_bundle`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from clinic_app.analysis.session import SessionSummary, TrialRecord, summarize_session
from clinic_app.exchange.collect import PatientBundle, SessionBundle
from clinic_app.exchange.deidentify import Pseudonymizer
from clinic_app.exchange.fhir_codes import (
    ACT_CODE_SYSTEM,
    CATEGORY_SYSTEM,
    CONDITION_SYSTEM,
    CONDITION_TEXT,
    ENCOUNTER_STATUS,
    GENDER,
    IDENTIFIER_TYPE_SYSTEM,
    LOCAL_CODES,
    LOCAL_SYSTEM,
    LOINC,
    PSEUDONYM_SYSTEM,
    SITE_SYSTEM,
    SITE_TEXT,
    UCUM,
    VITAL_SIGNS,
    body_site,
    name_uuid,
    uuid_identifier,
)

__all__ = [
    "LOCAL_CODES",
    "LOCAL_SYSTEM",
    "LOINC",
    "SITE_SYSTEM",
    "UCUM",
    "FhirResources",
    "patient_bundle",
    "patient_resources",
]


@dataclass(frozen=True)
class FhirResources:
    """The resources of one patient, with what a transaction needs to match each.

    ``entries`` are ``(resource, match)`` where ``match`` is the identifier search
    (``system|value``) a server uses to find the resource it already has.
    """

    patient: dict[str, Any]
    patient_match: str
    entries: list[tuple[dict[str, Any], str]]


def patient_resources(
    bundle: PatientBundle,
    pseudo: Pseudonymizer | None = None,
    *,
    record_number_system: str = "",
) -> FhirResources:
    """Patient, Encounters and Observations of one patient (JSON-ready dicts)."""
    patient = _patient(bundle, pseudo, record_number_system)
    patient_ref = {"reference": f"urn:uuid:{patient['id']}"}
    entries: list[tuple[dict[str, Any], str]] = []
    for session_bundle in bundle.sessions:
        session = session_bundle.session
        visit_key = session.uid if pseudo is None else pseudo.pseudonym("session", session.uid)
        encounter = _encounter(session_bundle, visit_key, patient_ref, pseudo)
        entries.append((encounter, _match(encounter)))
        encounter_ref = {"reference": f"urn:uuid:{encounter['id']}"}
        for observation in _observations(session_bundle, visit_key, patient_ref, encounter_ref):
            entries.append((observation, _match(observation)))
    return FhirResources(patient, _patient_match(patient), entries)


def patient_bundle(
    bundles: Sequence[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle in memory (small exports and tests)."""
    from clinic_app.exchange.fhir_bundle import FhirOptions, bundle_entries, bundle_header

    options = FhirOptions()
    return {
        **bundle_header(options),
        "entry": list(bundle_entries(bundles, options, pseudonymizer)),
    }


# ---------------------------------------------------------------------------- Patient
def _patient(
    bundle: PatientBundle, pseudo: Pseudonymizer | None, mr_system: str
) -> dict[str, Any]:
    patient = bundle.patient
    gender = GENDER.get(patient.sex, "unknown")
    if pseudo is not None:
        token = pseudo.pseudonym("patient", patient.uid)
        return {
            "resourceType": "Patient",
            "id": name_uuid("patient", token),
            "identifier": [{"system": PSEUDONYM_SYSTEM, "value": token}],
            "gender": gender,
        }
    identifiers: list[dict[str, Any]] = [uuid_identifier(patient.uid)]
    if patient.record_number:
        record: dict[str, Any] = {
            "use": "usual",
            "type": {
                "coding": [
                    {
                        "system": IDENTIFIER_TYPE_SYSTEM,
                        "code": "MR",
                        "display": "Medical record number",
                    }
                ],
                "text": "Medical record number",
            },
        }
        if mr_system:
            record["system"] = mr_system
        record["value"] = patient.record_number
        identifiers.insert(0, record)
    return {
        "resourceType": "Patient",
        "id": patient.uid,
        "identifier": identifiers,
        "active": not patient.is_deleted,
        "name": [{"use": "official", "family": patient.last_name, "given": [patient.first_name]}],
        "gender": gender,
        "birthDate": patient.birth_date.isoformat(),
    }


def _patient_match(patient: dict[str, Any]) -> str:
    """The identifier a server should match the patient on: the record number when the
    clinic has set its system (an EHR knows its patients by it), else the uid."""
    for identifier in patient["identifier"]:
        if identifier.get("system") and "type" in identifier:
            return f"{identifier['system']}|{identifier['value']}"
    return _match(patient)


def _match(resource: dict[str, Any]) -> str:
    identifier = resource["identifier"][-1]
    return f"{identifier['system']}|{identifier['value']}"


# ---------------------------------------------------------------------------- Encounter
def _encounter(
    bundle: SessionBundle,
    visit_key: str,
    subject: dict[str, str],
    pseudo: Pseudonymizer | None,
) -> dict[str, Any]:
    session = bundle.session
    resource_id = session.uid if pseudo is None else name_uuid("encounter", visit_key)
    identifier = (
        uuid_identifier(session.uid)
        if pseudo is None
        else {"system": PSEUDONYM_SYSTEM, "value": visit_key}
    )
    period = {"start": session.started_at}
    if session.ended_at:
        period["end"] = session.ended_at
    status = "entered-in-error" if session.is_voided else ENCOUNTER_STATUS[session.status]
    return {
        "resourceType": "Encounter",
        "id": resource_id,
        "identifier": [identifier],
        "status": status,
        "class": {"system": ACT_CODE_SYSTEM, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": "Ankle dorsiflexion and single-leg balance assessment"}],
        "subject": subject,
        "period": period,
    }


# ---------------------------------------------------------------------------- Observations
def _observations(
    bundle: SessionBundle,
    visit_key: str,
    subject: dict[str, str],
    encounter: dict[str, str],
) -> Iterator[dict[str, Any]]:
    session = bundle.session
    summary = _summary(bundle)
    status = "entered-in-error" if session.is_voided else "final"

    def observation(
        key: str, coding: dict[str, str], category: str, value: float, unit: str
    ) -> dict[str, Any]:
        resource_id = name_uuid("obs", visit_key, key)
        return {
            "resourceType": "Observation",
            "id": resource_id,
            "identifier": [uuid_identifier(resource_id)],
            "status": status,
            "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}],
            "code": {"coding": [coding], "text": coding["display"]},
            "subject": subject,
            "encounter": encounter,
            "effectiveDateTime": session.started_at,
            "valueQuantity": {
                "value": round(float(value), 4),
                "unit": unit,
                "system": UCUM,
                "code": unit,
            },
        }

    def measure(code: str, value: float | None, key: str) -> dict[str, Any] | None:
        if value is None:
            return None
        display, unit = LOCAL_CODES[code]
        coding = {"system": LOCAL_SYSTEM, "code": code, "display": display}
        return observation(key, coding, "exam", value, unit)

    for side, lunge in summary.lunge.items():
        site_code = lunge.site or session.inclinometer_site
        angle = measure("wblt-angle", lunge.angle_mean_deg, f"lunge-angle-{side}")
        if angle is not None:
            angle["bodySite"] = body_site(side)
            # Only a known site is coded: angles at different sites must never be compared.
            site = SITE_TEXT.get(site_code)
            angle["method"] = (
                {
                    "coding": [{"system": SITE_SYSTEM, "code": site_code, "display": site}],
                    "text": f"WBLT, {site}",
                }
                if site
                else {"text": "WBLT, inclinometer site not recorded"}
            )
            yield angle
        distance = measure("wblt-distance", lunge.distance_mean_cm, f"lunge-distance-{side}")
        if distance is not None:
            distance["bodySite"] = body_site(side)
            distance["method"] = {"text": "WBLT, great toe to wall"}
            yield distance
    metric_codes = (
        ("slb-cop-velocity", "mean_velocity_cm_s"),
        ("slb-ellipse-area", "ellipse_area_95_cm2"),
        ("slb-path-length", "path_length_cm"),
    )
    for side, conditions in summary.balance.items():
        for condition, result in conditions.items():
            words = CONDITION_TEXT.get(condition, condition)
            method = {
                "coding": [{"system": CONDITION_SYSTEM, "code": condition, "display": words}],
                "text": f"Single-leg stance on a force plate, {words}",
            }
            for code, key in metric_codes:
                obs = measure(code, result.metrics_mean.get(key), f"{code}-{side}-{condition}")
                if obs is not None:
                    obs["bodySite"] = body_site(side)
                    obs["method"] = method
                    yield obs
    for field, (loinc, display, unit) in VITAL_SIGNS.items():
        value = getattr(session, field)
        if value is not None:
            coding = {"system": LOINC, "code": loinc, "display": display}
            yield observation(loinc, coding, "vital-signs", value, unit)


def _summary(session_bundle: SessionBundle) -> SessionSummary:
    session = session_bundle.session
    # Records straight from the stored trials (a deep copy of each row, as asdict makes,
    # was most of the cost of a clinic-wide FHIR export); summarize_session checks them.
    records = [
        TrialRecord(
            protocol=trial.protocol,
            side=trial.side,
            condition=trial.condition,
            attempt=trial.attempt,
            practice=trial.practice,
            status=trial.status,
            result=trial.result or {},
            invalid_reason=trial.invalid_reason,
            id=trial.id,
        )
        for trial in (item.trial for item in session_bundle.trials)
    ]
    return summarize_session(
        records, session_id=session.id, examiner=session.examiner, site=session.inclinometer_site
    )
