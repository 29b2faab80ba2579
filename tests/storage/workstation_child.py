"""A second workstation, as its own process, for the multi-workstation storage tests.

``python -m tests.storage.workstation_child save DB PATIENT_ID MASS READY GO``: open the
database (a file path or a ``postgresql://`` URL), read the patient, say so by creating
READY, wait for GO, then save a new body mass from the version it read. Prints ``saved``
or ``conflict: <message>``.

``python -m tests.storage.workstation_child record DB SESSION_ID``: begin a balance trial
and journal a chunk of samples every 20 ms until killed, printing the trial id and then
each chunk number as it is committed.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np


def _open(where: str):  # type: ignore[no-untyped-def]
    if where.startswith("postgresql://"):
        from clinic_app.storage.server_database import ServerDatabase

        return ServerDatabase.connect(where)
    from clinic_app.storage import Database

    return Database.open(Path(where), backup_on_start=False)


def save(where: str, patient_id: int, mass: float, ready: Path, go: Path) -> None:
    from clinic_app.storage import ConcurrentChangeError

    db = _open(where)
    seen = db.get_patient(patient_id).row_version
    ready.touch()
    deadline = time.monotonic() + 30
    while not go.exists() and time.monotonic() < deadline:
        time.sleep(0.005)
    try:
        db.update_patient(patient_id, {"mass_kg": mass}, expected_version=seen)
        print("saved", flush=True)
    except ConcurrentChangeError as exc:
        print(f"conflict: {exc}", flush=True)
    finally:
        db.close()


def record(where: str, session_id: int) -> None:
    from drivers.base import PLATE_DTYPE

    db = _open(where)
    trial = db.begin_trial(session_id, "balance", "left", "eo_firm")
    print(trial, flush=True)
    for chunk in range(100_000):
        samples = np.zeros(20, dtype=PLATE_DTYPE)
        samples["seq"] = np.arange(20) + 20 * chunk
        db.append_recording_chunk(trial, "plate", samples)
        print(chunk, flush=True)
        time.sleep(0.02)


def offline(where: str, local_dir: Path, trial_id: int, session_id: int, stopped: Path) -> None:
    """Record while the server goes away; wait, killed, with writes kept only locally."""
    from clinic_app.protocols.journal import ThreadJournal
    from clinic_app.protocols.spool import spool_for
    from clinic_app.protocols.writes import AppendChunk, FinishSession, FinishTrial
    from clinic_app.storage.server_database import ServerDatabase
    from drivers.base import PLATE_DTYPE

    db = ServerDatabase.connect(where, local_dir=local_dir)
    spool = spool_for(db)
    journal = ThreadJournal(db.reopen, spool)

    def chunk(n: int) -> AppendChunk:
        samples = np.zeros(20, dtype=PLATE_DTYPE)
        samples["seq"] = np.arange(20) + 20 * n
        return AppendChunk(trial_id, "plate", samples, n)

    for n in range(10):
        journal.submit(chunk(n), trial_id=trial_id, what="recording")
    journal.flush(30)
    print("stored 10", flush=True)
    while not stopped.exists():
        time.sleep(0.01)
    for n in range(10, 20):
        journal.submit(chunk(n), trial_id=trial_id, what="recording")
    journal.submit(FinishTrial(trial_id, "valid", {"x": 1.0}, None), trial_id=trial_id)
    journal.submit(FinishSession(session_id, "complete"), what="end of the visit")
    assert spool is not None
    while not (journal.waiting_for_server and spool.count() == 12):
        time.sleep(0.05)
    print("spooled 12", flush=True)
    time.sleep(600)  # killed here


if __name__ == "__main__":
    kind, where, *rest = sys.argv[1:]
    if kind == "save":
        save(where, int(rest[0]), float(rest[1]), Path(rest[2]), Path(rest[3]))
    elif kind == "offline":
        offline(where, Path(rest[0]), int(rest[1]), int(rest[2]), Path(rest[3]))
    else:
        record(where, int(rest[0]))
