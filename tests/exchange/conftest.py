"""A small real database with history: two visits, lunge and balance trials, recordings, plans."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from clinic_app.protocols.plan import SessionPlan
from clinic_app.storage import Database
from drivers.base import INCLINOMETER_DTYPE, PLATE_DTYPE


def _incl(n: int, peak: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    samples = np.zeros(n, dtype=INCLINOMETER_DTYPE)
    samples["t_host_s"] = 100.0 + np.arange(n) / 100.0
    samples["seq"] = np.arange(n)
    samples["t_dev_s"] = np.nan
    samples["angle_x_deg"] = np.linspace(5, peak, n) + rng.normal(0, 0.1, n)
    samples["angle_y_deg"] = rng.normal(0, 0.5, n)
    samples["angle_z_deg"] = np.nan
    samples["tibia_deg"] = samples["angle_x_deg"]
    return samples


def _plate(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    samples = np.zeros(n, dtype=PLATE_DTYPE)
    samples["t_host_s"] = 200.0 + np.arange(n) / 1000.0
    samples["seq"] = np.arange(n)
    samples["t_dev_s"] = np.arange(n) / 1000.0
    samples["fz_n"] = 686.0 + rng.normal(0, 2, n)
    samples["cop_x_mm"] = np.cumsum(rng.normal(0, 0.05, n))
    samples["cop_y_mm"] = np.cumsum(rng.normal(0, 0.05, n))
    for cell in ("tr_n", "br_n", "tl_n", "bl_n"):
        samples[cell] = samples["fz_n"] / 4
    samples["cop_x_mm"][:3] = np.nan  # below the load gate at the start
    return samples


METRICS = {
    "n": 10000,
    "fs_hz": 1000.0,
    "duration_s": 10.0,
    "path_length_cm": 31.5,
    "mean_velocity_cm_s": 3.15,
    "ellipse_area_95_cm2": 4.2,
}


def plan_json(session_id: int, started_at: str, notes: str = "") -> dict[str, Any]:
    """A stored plan as the plan generator writes it (Plan JSON of docs/data-model.md)."""
    return {
        "schema": 1, "generated_at": started_at, "session_id": session_id,
        "retest_date": started_at[:10], "retest_weeks": 4.0, "status": "active",
        "summary": "Mobility first.", "findings": [], "red_flags": [],
        "red_flags_checked": True, "referral_notes": [], "prompts": [], "phases": [],
        "pain_rule": "", "pain_rule_basis": "", "pain_safe_max_nrs": 3,
        "pain_acceptable_max_nrs": 5, "clinician_notes": notes,
    }  # fmt: skip


def add_visit(
    db: Database,
    patient_id: int,
    started_at: str,
    angle: float,
    seed: int,
    test_plan: dict[str, Any] | None = None,
) -> int:
    session_id = db.create_session(
        patient_id, "Dr Ana Ruiz", started_at=started_at, test_plan=test_plan
    )
    for side, offset in (("left", -4.0), ("right", 0.0)):
        for attempt in (1, 2, 3):
            trial_id = db.begin_trial(
                session_id, "lunge", side, None, attempt, started_at=started_at
            )
            db.finish_trial(
                trial_id,
                "valid",
                {
                    "angle_deg": angle + offset + attempt * 0.3,
                    "distance_cm": 9.5 + attempt * 0.1,
                    "hold_s": 2.0,
                    "hold_sd_deg": 0.2,
                    "capture": "auto",
                    "heel_lift": False,
                    "pain_nrs": 2,
                    "pain_location": "posterior",
                    "site": "tibial_crest_15cm",
                },
                final_samples={"inclinometer": _incl(300, angle, seed + attempt)},
                ended_at=started_at,
            )
        trial_id = db.begin_trial(session_id, "balance", side, "eo_firm", 1, started_at=started_at)
        db.finish_trial(
            trial_id,
            "valid",
            {
                "planned_s": 10.0,
                "completed_s": 10.0,
                "time_to_failure_s": None,
                "failure_reason": None,
                "body_mass_kg": 70.0,
                "metrics": METRICS,
                "processing": {"filter": "butterworth zero-lag 4th order 10 Hz"},
            },
            final_samples={"plate": _plate(2000, seed)},
            ended_at=started_at,
        )
        trial_id = db.begin_trial(session_id, "balance", side, "ec_firm", 1, started_at=started_at)
        db.finish_trial(
            trial_id,
            "failed",
            {
                "planned_s": 10.0,
                "completed_s": 4.2,
                "time_to_failure_s": 4.2,
                "failure_reason": "touchdown",
                "body_mass_kg": 70.0,
                "metrics": None,
            },
            invalid_reason="touchdown",
            ended_at=started_at,
        )
    db.save_plan(session_id, plan_json(session_id, started_at, "Zoë likes hills"), "generator")
    edited = plan_json(session_id, started_at)
    edited["phases"] = [
        {"id": "mobility", "title": "Phase 1 · Mobility", "status": "current", "entry": "",
         "exit_criteria": "", "because": ["clinician"],
         "items": [{"exercise_id": "calf_stretch_straight", "level": 1,
                    "dose": {"sets": 3, "reps": None, "hold_s": 30.0, "per_day": 1,
                             "days_per_week": 7, "tempo": "", "load": ""},
                    "dose_evidence": "U", "dose_source": "", "because": ["clinician"],
                    "side": "left", "notes": ""}]}
    ]  # fmt: skip
    db.save_plan(session_id, edited, "Dr Ana Ruiz")
    db.finish_session(session_id, "complete", ended_at=started_at)
    return session_id


@pytest.fixture()
def clinic_db(tmp_path: Path) -> Iterator[tuple[Database, int]]:
    """A database with one patient (non-ASCII name) who has two visits six weeks apart."""
    db = Database.open(tmp_path / "clinic.sqlite3")
    patient = db.create_patient(
        {
            "first_name": "Zoë",
            "last_name": "Núñez 中文",
            "birth_date": "1991-03-14",
            "sex": "female",
            "record_number": "MRN-0042",
            "height_cm": "168",
            "mass_kg": "61.5",
            "dominant_leg": "right",
            "involved_side": "left",
            "weekly_km": "45",
            "years_running": "6",
            "notes": "Zoë prefers mornings",
        }
    )
    # The first visit is as stored before test plans were (none); the second has its plan.
    add_visit(db, patient.id, "2026-09-01T09:00:00Z", 36.0, seed=1)
    plan = SessionPlan.build(conditions=("eo_firm", "ec_firm"), planned_s=20.0, body_mass_kg=61.5)
    add_visit(db, patient.id, "2026-10-13T09:00:00Z", 41.0, seed=2, test_plan=plan.to_json())
    yield db, patient.id
    db.close()
