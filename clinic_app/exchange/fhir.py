"""FHIR R4 export: a ``collection`` Bundle with the Patient and one Observation per measure.

Per session, the Observations are the session's summary values (the same numbers as the
clinician report): for each side, the weight-bearing lunge angle and knee-to-wall
distance (mean of the valid measured trials), and for each side and balance condition the
mean COP velocity, 95 % ellipse area and path length (mean of the valid trials); plus the
patient's body mass and height (LOINC 29463-7 and 8302-2, vital-signs category).

Codes: LOINC where a code exists (body weight, body height). No LOINC code is known for
the WBLT or for single-leg COP sway measures, so those use DorsiLab's local code system
:data:`LOCAL_SYSTEM` (documented in ``docs/fhir.md``). Units are UCUM (``deg``, ``cm``,
``cm/s``, ``cm2``, ``kg``). Laterality and condition are in ``bodySite.text`` and
``method`` (the inclinometer site is also coded, system :data:`SITE_SYSTEM`, because
angles taken at different sites must never be compared); every Observation references its
Patient (``subject``) by the Patient entry's ``fullUrl`` (``urn:uuid:…``), so the reference
resolves inside the Bundle.

De-identified bundles carry a Patient with only a pseudonymous identifier (no name, no
birth date) and pseudonymous resource ids.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from clinic_app.analysis.session import SessionSummary, summarize_session
from clinic_app.exchange.collect import PatientBundle, SessionBundle
from clinic_app.exchange.deidentify import Pseudonymizer

LOCAL_SYSTEM = "urn:dorsilab:fhir:measure"
"""DorsiLab's code system for measures that have no LOINC code (see docs/fhir.md)."""
SITE_SYSTEM = "urn:dorsilab:fhir:inclinometer-site"
"""DorsiLab's code system for the inclinometer site of an angle (see docs/fhir.md)."""
IDENTIFIER_SYSTEM = "urn:dorsilab:patient-id"
PSEUDONYM_SYSTEM = "urn:dorsilab:pseudonym"
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
NAMESPACE = uuid.UUID("6f1c1c5e-3d1a-4e53-9a77-5b9b8f0a4c21")

LOCAL_CODES: dict[str, tuple[str, str]] = {
    "wblt-angle": ("Weight-bearing lunge test, tibial inclination (mean of trials)", "deg"),
    "wblt-distance": ("Weight-bearing lunge test, knee-to-wall distance (mean)", "cm"),
    "slb-cop-velocity": ("Single-leg balance, mean COP velocity", "cm/s"),
    "slb-ellipse-area": ("Single-leg balance, 95 % prediction ellipse area", "cm2"),
    "slb-path-length": ("Single-leg balance, COP path length", "cm"),
}
"""Local code → (display, UCUM unit)."""

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


def patient_bundle(
    bundles: Sequence[PatientBundle], pseudonymizer: Pseudonymizer | None = None
) -> dict[str, Any]:
    """A FHIR R4 ``collection`` Bundle (as a JSON-ready dict) for the given patients."""
    entries: list[dict[str, Any]] = []
    for bundle in bundles:
        patient_resource = _patient(bundle, pseudonymizer)
        entries.append(_entry(patient_resource))
        # A collection Bundle has no server base, so only the fullUrl resolves.
        subject = {"reference": f"urn:uuid:{patient_resource['id']}"}
        for session_bundle in bundle.sessions:
            entries.extend(
                _entry(obs) for obs in _session_observations(bundle, session_bundle, subject)
            )
    return {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "entry": entries,
    }


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {"fullUrl": f"urn:uuid:{resource['id']}", "resource": resource}


def _resource_id(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, "/".join(str(p) for p in parts)))


def _patient(bundle: PatientBundle, pseudo: Pseudonymizer | None) -> dict[str, Any]:
    patient = bundle.patient
    gender = {"female": "female", "male": "male", "other": "other"}.get(patient.sex, "unknown")
    if pseudo is not None:
        token = pseudo.pseudonym("patient", patient.id)
        return {
            "resourceType": "Patient",
            "id": _resource_id("patient", token),
            "identifier": [{"system": PSEUDONYM_SYSTEM, "value": token}],
            "gender": gender,
        }
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": _resource_id("patient", patient.id, patient.created_at),
        "identifier": [{"system": IDENTIFIER_SYSTEM, "value": str(patient.id)}],
        "name": [{"family": patient.last_name, "given": [patient.first_name]}],
        "gender": gender,
        "birthDate": patient.birth_date.isoformat(),
    }
    if patient.record_number:
        resource["identifier"].append(
            {"type": {"text": "Medical record number"}, "value": patient.record_number}
        )
    return resource


def _session_observations(
    bundle: PatientBundle, session_bundle: SessionBundle, subject: dict[str, str]
) -> list[dict[str, Any]]:
    session = session_bundle.session
    summary = _summary(session_bundle)
    effective = session.started_at
    observations: list[dict[str, Any]] = []

    def add(
        code: str,
        value: float | None,
        side: str,
        method: str,
        key: str,
        method_code: dict[str, str] | None = None,
    ) -> None:
        if value is None:
            return
        display, unit = LOCAL_CODES[code]
        observations.append(
            _observation(
                _resource_id("obs", session.id, session.started_at, key),
                {"system": LOCAL_SYSTEM, "code": code, "display": display},
                "exam",
                value,
                unit,
                subject,
                effective,
                body_site=f"{side} ankle",
                method=method,
                method_code=method_code,
            )
        )

    for side, lunge in summary.lunge.items():
        site_code = lunge.site or session.inclinometer_site
        site = SITE_TEXT.get(site_code, site_code)
        add(
            "wblt-angle", lunge.angle_mean_deg, side, f"WBLT, {site}", f"lunge-angle-{side}",
            {"system": SITE_SYSTEM, "code": site_code, "display": site},
        )  # fmt: skip
        add(
            "wblt-distance",
            lunge.distance_mean_cm,
            side,
            "WBLT, great toe to wall",
            f"lunge-distance-{side}",
        )
    metric_codes = (
        ("slb-cop-velocity", "mean_velocity_cm_s"),
        ("slb-ellipse-area", "ellipse_area_95_cm2"),
        ("slb-path-length", "path_length_cm"),
    )
    for side, conditions in summary.balance.items():
        for condition, result in conditions.items():
            method = (
                f"Single-leg stance on a force plate, {CONDITION_TEXT.get(condition, condition)}"
            )
            for code, key in metric_codes:
                add(code, result.metrics_mean.get(key), side, method, f"{code}-{side}-{condition}")
    patient = bundle.patient
    for loinc, display, value, unit in (
        ("29463-7", "Body weight", patient.mass_kg, "kg"),
        ("8302-2", "Body height", patient.height_cm, "cm"),
    ):
        if value is not None:
            observations.append(
                _observation(
                    _resource_id("obs", session.id, session.started_at, loinc),
                    {"system": LOINC, "code": loinc, "display": display},
                    "vital-signs",
                    value,
                    unit,
                    subject,
                    effective,
                )
            )
    return observations


def _summary(session_bundle: SessionBundle) -> SessionSummary:
    session = session_bundle.session
    rows = [dataclasses.asdict(item.trial) for item in session_bundle.trials]
    return summarize_session(
        rows, session_id=session.id, examiner=session.examiner, site=session.inclinometer_site
    )


def _observation(
    resource_id: str,
    coding: dict[str, str],
    category: str,
    value: float,
    unit: str,
    subject: dict[str, str],
    effective: str,
    *,
    body_site: str | None = None,
    method: str | None = None,
    method_code: dict[str, str] | None = None,
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "category": [{"coding": [{"system": CATEGORY_SYSTEM, "code": category}]}],
        "code": {"coding": [coding], "text": coding["display"]},
        "subject": subject,
        "effectiveDateTime": effective,
        "valueQuantity": {
            "value": round(float(value), 4),
            "unit": unit,
            "system": UCUM,
            "code": unit,
        },
    }
    if body_site:
        resource["bodySite"] = {"text": body_site}
    if method:
        resource["method"] = {"text": method}
        if method_code:
            resource["method"]["coding"] = [method_code]
    return resource
