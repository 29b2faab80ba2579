"""Other programs opening the database while a visit records never cost a trial (issue 12 §1).

The defect: opening the database a second time in the app's process (the journal worker
does, for every visit) read the file's header with Python's own file I/O and closed it.
Closing any descriptor of a file drops every POSIX lock the process holds on it, so the
next program that opened and closed the database (the command line, the ``sqlite3``
shell) believed it was the last user, checkpointed and deleted the WAL under the app, and
every later journal write failed with "disk I/O error" while the screen said "saved".

Here the app's real storage stack (the window's connection, the visit's
:class:`~clinic_app.protocols.runner.AssessmentRun` and its worker-thread journal, simulated
devices) records visit after visit while other *processes* open and close the same file
100 times: the ``sqlite3`` shell and ``clinic-app`` itself.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from clinic_app.protocols.headless import HeadlessDriver
from clinic_app.protocols.journal import ThreadJournal
from clinic_app.protocols.plan import SessionPlan
from clinic_app.protocols.runner import AssessmentRun
from clinic_app.storage import Database
from drivers.simulated import ManualClock, SimulatedPatient, create_simulated_devices
from tests.conftest import REPO_ROOT
from tests.protocols.drive import play

OTHER_OPENS = 100
CLI_EVERY = 10  # every tenth open is the real command line (slower: a Python start-up)


class _Paced(HeadlessDriver):
    """Ticks with a short real pause, so the visit overlaps the other programs."""

    def tick(self):  # type: ignore[no-untyped-def]
        time.sleep(0.001)
        return super().tick()


def _other_programs(db_path: Path, patient_id: int, out_dir: Path, log: list[str]) -> None:
    """Open and close ``db_path`` from other processes, ``OTHER_OPENS`` times."""
    sqlite3_shell = shutil.which("sqlite3")
    assert sqlite3_shell is not None, "the sqlite3 shell is needed (apt-get install sqlite3)"
    for n in range(OTHER_OPENS):
        if n % CLI_EVERY == CLI_EVERY - 1:
            command = [
                sys.executable, "-m", "clinic_app", "--db", str(db_path),
                "report", "--patient", str(patient_id), "-o", str(out_dir / f"r{n}.pdf"),
            ]  # fmt: skip
        else:  # a read, so that the shell really opens the WAL (``select 1`` would not)
            command = [sqlite3_shell, str(db_path), "SELECT count(*) FROM trials"]
        done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
        # The report may find no finished visit yet (exit 2); any other failure is a defect.
        if done.returncode not in (0, 2) or "Traceback" in done.stderr:
            log.append(f"{command[0]}: {done.returncode} {done.stderr.strip()}")
        log.append("opened")


@pytest.mark.slow
def test_other_programs_opening_the_database_never_cost_a_recorded_trial(tmp_path: Path) -> None:
    db_path = tmp_path / "clinic.sqlite3"
    app = Database.open(db_path)  # the main window's connection, open all along
    clock = ManualClock(start_s=10.0)
    patient = SimulatedPatient(7, 68.0, {"left": 37.0, "right": 42.0}, clock=clock, autopilot=True)
    patient.heel_lift_probability = 0.0
    patient.touchdown_probability = dict.fromkeys(patient.touchdown_probability, 0.0)
    inc, plate = create_simulated_devices(patient)
    inc.zero()
    plate.preset_calibration()
    inc.start()
    plate.start()
    patient_id = app.create_patient(
        {"first_name": "Lock", "last_name": "Test", "birth_date": "1988-04-05", "mass_kg": 68.0}
    ).id
    plan = SessionPlan.build(lunge=False, conditions=("eo_firm",), practice=False,
                             body_mass_kg=68.0)  # fmt: skip

    opened: list[str] = []
    others = threading.Thread(
        target=_other_programs, args=(db_path, patient_id, tmp_path, opened), daemon=True
    )
    others.start()
    journal_errors: list[str] = []
    outcomes: dict[int, str] = {}
    visits = 0
    try:
        while others.is_alive() or visits < 2:
            journal = ThreadJournal(db_path)  # opens the file a second time, as the app does
            run = AssessmentRun.start(app, patient_id, plan, journal, prompt=patient.prompt)
            play(_Paced(run, clock, inc.buffer, plate.buffer), patient)
            assert journal.flush(30.0)
            journal.close()
            journal_errors += [journal.error] if journal.error else []
            outcomes.update({trial_id: o.status for trial_id, o in run.outcomes})
            visits += 1
        others.join(120)
    finally:
        app.close()
        inc.stop()
        plate.stop()

    problems = [line for line in opened if line != "opened"]
    assert problems == []
    assert len(opened) == OTHER_OPENS
    assert journal_errors == [], "a journal write failed"
    assert visits >= 2 and len(outcomes) >= 12
    # Read back by a fresh connection, as the next start of the app would.
    with Database.open(db_path, backup_on_start=False) as db:
        assert db.quick_check() == ["ok"]
        for trial_id, status in outcomes.items():
            trial = db.get_trial(trial_id)
            assert trial.status == status != "incomplete", trial_id
            assert trial.ended_at is not None and trial.result is not None, trial_id
            assert db.recording_sample_count(trial_id, "plate") > 0, trial_id


def _open_and_close_elsewhere(db_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from clinic_app.storage import Database; "
        "Database.open(Path(sys.argv[1]), backup_on_start=False).close()"
    )
    subprocess.run([sys.executable, "-c", code, str(db_path)], cwd=REPO_ROOT, check=True,
                   timeout=60)  # fmt: skip


def test_a_second_open_in_the_process_keeps_the_first_ones_locks(tmp_path: Path) -> None:
    """The quick form of the reproduction: two opens here, one open and close elsewhere."""
    db_path = tmp_path / "clinic.sqlite3"
    first = Database.open(db_path)
    try:
        patient = first.create_patient(
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
        )
        session = first.create_session(patient.id, "")
        for visit in range(2):
            second = Database.open(db_path, backup_on_start=False)  # the journal's open
            _open_and_close_elsewhere(db_path)
            trial = first.begin_trial(session, "balance", "left", "eo_firm", visit + 1)
            _open_and_close_elsewhere(db_path)
            second.finish_trial(trial, "valid", {"mean_velocity_cm_s": 1.0}, None)
            second.close()
            _open_and_close_elsewhere(db_path)
        assert len(first.trials_for_session(session)) == 2
    finally:
        first.close()
