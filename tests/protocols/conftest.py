"""Protocol test fixtures: a real database file, simulated devices on a manual clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from clinic_app.protocols.headless import HeadlessDriver
from clinic_app.protocols.journal import SyncJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices


@dataclass
class Rig:
    """A patient on simulated devices, a visit in a real database, and the driver."""

    db: Database
    clock: ManualClock
    patient: SimulatedPatient
    run: AssessmentRun
    drive: HeadlessDriver
    patient_id: int


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "protocols.sqlite3", user="tester")
    yield database
    database.close()


def make_rig(
    db: Database,
    plan: SessionPlan,
    *,
    seed: int = 11,
    autopilot: bool = True,
    mass_kg: float = 70.0,
) -> Rig:
    clock = ManualClock(start_s=100.0)
    patient = SimulatedPatient(
        seed, mass_kg, {"left": 36.0, "right": 43.0}, clock=clock, autopilot=autopilot
    )
    patient.heel_lift_probability = 0.0
    patient.touchdown_probability = dict.fromkeys(patient.touchdown_probability, 0.0)
    inc, plate = create_simulated_devices(patient)
    inc.zero()
    plate.preset_calibration()
    inc.start()
    plate.start()
    pid = db.create_patient(
        {"first_name": "Test", "last_name": "Runner", "birth_date": "1990-01-01",
         "mass_kg": mass_kg}
    ).id  # fmt: skip
    run = AssessmentRun.start(db, pid, plan, SyncJournal(db), prompt=patient.prompt)
    drive = HeadlessDriver(run, clock, inc.buffer, plate.buffer)
    return Rig(db, clock, patient, run, drive, pid)
