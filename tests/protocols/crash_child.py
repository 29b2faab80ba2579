"""Child process of the crash test: a visit on simulated devices, journaled by the worker
thread as in the app, paced so that the parent can SIGKILL it in the middle of a trial.

Prints ``stored <trial_id>`` once a finished trial is committed, ``armed`` when a trial
starts recording and ``chunk <trial_id>`` after each journaled chunk of that trial.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from clinic_app.protocols.headless import HeadlessDriver
from clinic_app.protocols.journal import ThreadJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices
from tests.protocols.drive import play


def main(db_path: str) -> None:
    db = Database.open(Path(db_path))
    clock = ManualClock(start_s=10.0)
    patient = SimulatedPatient(5, 70.0, {"left": 37.0, "right": 42.0}, clock=clock, autopilot=True)
    patient.heel_lift_probability = 0.0
    inc, plate = create_simulated_devices(patient)
    inc.zero()
    plate.preset_calibration()
    inc.start()
    plate.start()
    pid = db.create_patient(
        {"first_name": "Crash", "last_name": "Test", "birth_date": "1985-02-03", "mass_kg": 70.0}
    ).id
    journal = ThreadJournal(Path(db_path))
    plan = SessionPlan.build(conditions=("eo_firm",), practice=False, body_mass_kg=70.0)
    run = AssessmentRun.start(db, pid, plan, journal, prompt=patient.prompt)
    print(f"session {run.session_id}", flush=True)

    def say(text: str):
        return lambda _db: print(text, flush=True)

    original = run._flush_chunks

    def flush_and_tell(now_s: float) -> None:
        trial = run.trial_id
        original(now_s)
        if trial is not None:
            journal.submit(say(f"chunk {trial}"))

    run._flush_chunks = flush_and_tell  # type: ignore[method-assign]

    def on_event(event) -> None:
        if event.kind in ("completed", "invalid"):
            trial_id = run.outcomes[-1][0]
            journal.submit(say(f"stored {trial_id}"))
        elif event.kind == "armed":
            print("armed", flush=True)

    class Paced(HeadlessDriver):
        def tick(self):
            time.sleep(0.002)
            return super().tick()

    play(Paced(run, clock, inc.buffer, plate.buffer), patient, on_event=on_event)
    print("done", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
