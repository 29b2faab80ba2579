"""Killing the program in the middle of writing loses nothing that was committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from clinic_app.storage import Database
from drivers.base import PLATE_DTYPE
from tests.conftest import REPO_ROOT

CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from pathlib import Path
    from clinic_app.storage import Database
    from drivers.base import PLATE_DTYPE

    db = Database.open(Path(sys.argv[1]), backup_on_start=False)
    session_id = int(sys.argv[2])
    i = 0
    while True:
        i += 1
        samples = np.zeros(500, dtype=PLATE_DTYPE)
        samples["seq"] = np.arange(500) + 500 * i
        with db.transaction():  # several rows per transaction: the kill lands inside one
            patient = db.create_patient(
                {"first_name": f"Kill{i}", "last_name": "Test", "birth_date": "1990-01-01"}
            )
            trial = db.begin_trial(session_id, "lunge", "left", None, i)
            db.append_recording_chunk(trial, "plate", samples)
        db.append_recording_chunk(trial, "plate", samples)
        db.finish_trial(trial, "valid", {"angle_deg": 40.0 + i % 7})
        print(patient.id, trial, flush=True)
    """
)


def test_sigkill_mid_write_loop_keeps_every_committed_row(db_path: Path) -> None:
    with Database.open(db_path) as db:
        patient = db.create_patient(
            {"first_name": "A", "last_name": "B", "birth_date": "1990-01-01"}
        )
        session_id = db.create_session(patient.id, "examiner")
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db_path), str(session_id)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    committed: list[tuple[int, int]] = []
    assert child.stdout is not None
    deadline = time.monotonic() + 60
    while len(committed) < 40 and time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            break
        committed.append(tuple(int(x) for x in line.split()))  # type: ignore[arg-type]
    os.kill(child.pid, signal.SIGKILL)
    rest, errors = child.communicate(timeout=30)
    assert child.returncode == -signal.SIGKILL
    committed += [tuple(int(x) for x in line.split()) for line in rest.splitlines() if line]  # type: ignore[misc]
    assert len(committed) >= 40, errors

    with Database.open(db_path, backup_on_start=False) as db:
        assert db.quick_check() == ["ok"]
        for patient_id, trial_id in committed:
            assert db.get_patient(patient_id).first_name.startswith("Kill")
            trial = db.get_trial(trial_id)
            assert trial.status == "valid" and trial.result is not None
            samples = db.load_recording(trial_id, "plate")
            assert samples.dtype == PLATE_DTYPE and len(samples) == 1000
            assert np.array_equal(samples["seq"][:500], samples["seq"][500:])
        # Whatever the kill interrupted is either wholly there or wholly absent.
        for trial in db.trials_for_session(session_id):
            chunks = db.recording_sample_count(trial.id, "plate")
            assert chunks in (500, 1000)
            assert (trial.ended_at is None) == (trial.status == "incomplete")
        assert db.unfinished_sessions()[0].id == session_id
